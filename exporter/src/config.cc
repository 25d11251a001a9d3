#include "config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "dbtopo/analysis/engines.h"
#include "dbtopo/base/duration.h"
#include "yaml_fields.h"

namespace dbtopo {
namespace {

using yaml::CheckKeys;
using yaml::Fail;
using yaml::Join;
using yaml::KeyString;
using yaml::ScalarString;

std::string RequiredString(const YAML::Node& map, const std::string& path, const std::string& key) {
  const YAML::Node node = map[key];
  if (!node) Fail(map, Join(path, key), "is required");
  std::string value = ScalarString(node, Join(path, key));
  if (value.empty()) Fail(node, Join(path, key), "must not be empty");
  return value;
}

std::chrono::milliseconds DurationValue(const YAML::Node& node, const std::string& key) {
  auto parsed = ParseDuration(ScalarString(node, key));
  if (!parsed)
    Fail(node, key, "invalid duration \"" + node.Scalar() + "\" (want e.g. 500ms, 5s, 1m)");
  return *parsed;
}

long long PositiveInteger(const YAML::Node& node, const std::string& key) {
  const std::string text = ScalarString(node, key);
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
    Fail(node, key, "must be a positive integer, got \"" + text + "\"");
  }
  return value;
}

// The required `engine` key of `node`.
Engine EngineValue(const YAML::Node& node, const std::string& path) {
  const std::string engine = RequiredString(node, path, "engine");
  auto parsed = ParseEngine(engine);
  if (!parsed) {
    Fail(node["engine"], path + ".engine",
         "unknown engine \"" + engine + "\" (want mysql, redis or redis-cluster)");
  }
  return *parsed;
}

// "host:port", "[v6]:port" or "host" (engine's default port).
void ParseAddress(const YAML::Node& node, const std::string& key, Engine engine,
                  MemberConfig* member) {
  const std::string text = ScalarString(node, key);
  std::string host = text;
  std::string port_text;
  if (text.starts_with("[")) {
    const auto close = text.find(']');
    if (close == std::string::npos) Fail(node, key, "unterminated '[' in \"" + text + "\"");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') Fail(node, key, "expected ':' after ']' in \"" + text + "\"");
      port_text = text.substr(close + 2);
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    // "::1" would read as host ":" port 1.
    if (host.find(':') != std::string::npos) {
      Fail(node, key, "IPv6 address needs brackets: \"[" + text + "]\" or \"[" + text + "]:port\"");
    }
    if (port_text.empty()) Fail(node, key, "missing port after ':' in \"" + text + "\"");
  }
  if (host.empty()) Fail(node, key, "missing host in \"" + text + "\"");
  int port = Traits(engine).default_port;
  if (!port_text.empty()) {
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port <= 0 ||
        port > 65535) {
      Fail(node, key, "invalid port in \"" + text + "\"");
    }
  }
  member->host = host;
  member->port = port;
}

std::string TrimTrailingNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Reads a secret file named by `node` (relative to the config file).
Secret ReadSecretFile(const YAML::Node& node, const std::string& key,
                      const std::string& config_file) {
  std::filesystem::path p = ScalarString(node, key);
  if (p.is_relative()) p = std::filesystem::path(config_file).parent_path() / p;
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) {
    Fail(node, key, "cannot read " + p.string() + ": is a directory, not a password file");
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) Fail(node, key, "cannot read " + p.string() + ": " + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return Secret(TrimTrailingNewlines(buffer.str()));
}

bool BoolValue(const YAML::Node& node, const std::string& key) {
  const std::string text = ScalarString(node, key);
  if (text == "true") return true;
  if (text == "false") return false;
  Fail(node, key, "must be true or false, got \"" + text + "\"");
}

std::shared_ptr<const Credentials> ParseCredentials(const YAML::Node& node, const std::string& path,
                                                    const std::string& config_file) {
  auto credentials = std::make_shared<Credentials>();
  if (!node) return credentials;  // no auth (e.g. Redis without a password)
  CheckKeys(node, path, {"username", "password_file", "password_env"});
  if (node["username"]) credentials->username = ScalarString(node["username"], path + ".username");
  const YAML::Node file = node["password_file"];
  const YAML::Node env = node["password_env"];
  if (file && env) Fail(node, path, "set password_file or password_env, not both");
  if (file) {
    credentials->password = ReadSecretFile(file, path + ".password_file", config_file);
  } else if (env) {
    const std::string name = ScalarString(env, path + ".password_env");
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      Fail(env, path + ".password_env", "environment variable " + name + " is not set");
    }
    credentials->password = Secret(value);
  }
  return credentials;
}

std::map<std::string, std::string> ParseLabels(const YAML::Node& node, const std::string& path) {
  std::map<std::string, std::string> labels;
  if (!node) return labels;
  if (!node.IsMap()) Fail(node, path, "must be a mapping of label name to value");
  for (const auto& entry : node) {
    const std::string name = KeyString(entry.first, path);
    labels[name] = ScalarString(entry.second, path + "." + name);
  }
  return labels;
}

MemberConfig ParseMember(const YAML::Node& node, const std::string& path, Engine engine) {
  CheckKeys(node, path, {"pod", "address", "labels"});
  MemberConfig member;
  member.pod = RequiredString(node, path, "pod");
  RequiredString(node, path, "address");
  ParseAddress(node["address"], path + ".address", engine, &member);
  member.labels = ParseLabels(node["labels"], path + ".labels");
  return member;
}

ClusterConfig ParseCluster(const YAML::Node& node, const std::string& path,
                           const std::string& config_file) {
  CheckKeys(node, path,
            {"name", "namespace", "component", "engine", "credentials", "replication_credentials",
             "members"});
  ClusterConfig cluster;
  cluster.name = RequiredString(node, path, "name");
  cluster.engine = EngineValue(node, path);
  if (node["namespace"]) cluster.ns = ScalarString(node["namespace"], path + ".namespace");
  cluster.component = node["component"] ? ScalarString(node["component"], path + ".component")
                                        : std::string(EngineName(cluster.engine));
  cluster.credentials = ParseCredentials(node["credentials"], path + ".credentials", config_file);
  if (node["replication_credentials"]) {
    cluster.replication_credentials = ParseCredentials(
        node["replication_credentials"], path + ".replication_credentials", config_file);
  }
  const YAML::Node members = node["members"];
  if (!members || !members.IsSequence() || members.size() == 0) {
    Fail(members ? members : node, path + ".members", "must be a non-empty list");
  }
  std::set<std::string> pods, addresses;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const std::string member_path = path + ".members[" + std::to_string(i) + "]";
    MemberConfig member = ParseMember(members[i], member_path, cluster.engine);
    if (!pods.insert(member.pod).second) {
      Fail(members[i]["pod"], member_path + ".pod", "duplicate pod \"" + member.pod + "\"");
    }
    // Two pods at one address would be one server counted twice.
    const std::string address = member.host + ":" + std::to_string(member.port);
    if (!addresses.insert(address).second) {
      Fail(members[i]["address"], member_path + ".address",
           "duplicate address " + address + " (another member of this cluster has it)");
    }
    cluster.members.push_back(std::move(member));
  }
  return cluster;
}

RoleValues ParseRoleValues(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) Fail(node, path, "must be a mapping of label value to role");
  RoleValues values;
  for (const auto& entry : node) {
    std::string value = KeyString(entry.first, path);
    const std::string role = ScalarString(entry.second, path + "." + value);
    // MapRoleLabel compares lower-case.
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (role == "primary") {
      values[value] = Role::kPrimary;
    } else if (role == "replica") {
      values[value] = Role::kReplica;
    } else {
      Fail(entry.second, path + "." + value,
           "role must be primary or replica, got \"" + role + "\"");
    }
  }
  return values;
}

std::vector<std::string> StringList(const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence()) Fail(node, path, "must be a list of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < node.size(); ++i) {
    out.push_back(ScalarString(node[i], path + "[" + std::to_string(i) + "]"));
  }
  return out;
}

KubernetesDiscoverRule ParseDiscoverRule(const YAML::Node& node, const std::string& path,
                                         const std::string& config_file) {
  CheckKeys(node, path, {"engine", "label_selector", "port_name", "credentials"});
  KubernetesDiscoverRule rule;
  rule.engine = EngineValue(node, path);
  rule.label_selector = RequiredString(node, path, "label_selector");
  if (node["port_name"]) rule.port_name = ScalarString(node["port_name"], path + ".port_name");
  rule.credentials = ParseCredentials(node["credentials"], path + ".credentials", config_file);
  return rule;
}

KubernetesConfig ParseKubernetes(const YAML::Node& node, const std::string& config_file) {
  const std::string path = "kubernetes";
  CheckKeys(node, path,
            {"kubeconfig", "namespaces", "cluster_label", "component_label", "role_label",
             "role_values", "discover"});
  KubernetesConfig k8s;
  if (node["kubeconfig"]) {
    k8s.kubeconfig = ScalarString(node["kubeconfig"], path + ".kubeconfig");
    if (k8s.kubeconfig.starts_with("~/")) {
      const char* home = std::getenv("HOME");
      if (home != nullptr) k8s.kubeconfig = std::string(home) + k8s.kubeconfig.substr(1);
    }
  }
  if (node["namespaces"]) k8s.namespaces = StringList(node["namespaces"], path + ".namespaces");
  for (auto [key, field] : {std::pair{"cluster_label", &k8s.cluster_label},
                            std::pair{"component_label", &k8s.component_label},
                            std::pair{"role_label", &k8s.role_label}}) {
    if (node[key]) *field = RequiredString(node, path, key);
  }
  if (node["role_values"])
    k8s.role_values = ParseRoleValues(node["role_values"], path + ".role_values");
  const YAML::Node discover = node["discover"];
  if (!discover || !discover.IsSequence() || discover.size() == 0) {
    Fail(discover ? discover : node, path + ".discover", "must be a non-empty list");
  }
  for (std::size_t i = 0; i < discover.size(); ++i) {
    k8s.discover.push_back(
        ParseDiscoverRule(discover[i], path + ".discover[" + std::to_string(i) + "]", config_file));
  }
  return k8s;
}

LeaderElectionConfig ParseLeaderElection(const YAML::Node& node) {
  const std::string path = "remediation.leader_election";
  CheckKeys(
      node, path,
      {"enabled", "lease_name", "namespace", "lease_duration", "renew_deadline", "retry_period"});
  LeaderElectionConfig e;
  if (node["enabled"]) e.enabled = BoolValue(node["enabled"], path + ".enabled");
  if (node["lease_name"]) e.lease_name = ScalarString(node["lease_name"], path + ".lease_name");
  if (node["namespace"]) e.ns = ScalarString(node["namespace"], path + ".namespace");
  if (e.lease_name.empty()) Fail(node["lease_name"], path + ".lease_name", "must not be empty");
  for (const auto& [key, field] : {std::pair{"lease_duration", &e.lease_duration},
                                   std::pair{"renew_deadline", &e.renew_deadline},
                                   std::pair{"retry_period", &e.retry_period}}) {
    if (node[key]) *field = DurationValue(node[key], path + "." + key);
  }
  // As client-go requires: a leader must give up before its lease can be
  // taken over, and must be able to retry before it gives up.
  if (e.lease_duration < std::chrono::seconds(1)) {
    Fail(node, path + ".lease_duration", "must be at least 1s");
  }
  if (e.renew_deadline >= e.lease_duration) {
    Fail(node, path + ".renew_deadline", "must be less than lease_duration");
  }
  if (e.retry_period < std::chrono::milliseconds(100)) {
    Fail(node, path + ".retry_period", "must be at least 100ms");
  }
  if (e.retry_period >= e.renew_deadline) {
    Fail(node, path + ".retry_period", "must be less than renew_deadline");
  }
  return e;
}

RemediationConfig ParseRemediation(const YAML::Node& node, const std::string& config_file) {
  const std::string path = "remediation";
  CheckKeys(node, path,
            {"enabled", "token_file", "switchover", "fence_stray_primaries", "cooldown",
             "alert_actions", "leader_election"});
  RemediationConfig r;
  if (node["enabled"]) r.enabled = BoolValue(node["enabled"], path + ".enabled");
  if (node["token_file"]) {
    r.token_file = ScalarString(node["token_file"], path + ".token_file");
    r.token = ReadSecretFile(node["token_file"], path + ".token_file", config_file);
    if (r.token.empty()) Fail(node["token_file"], path + ".token_file", "token file is empty");
  }
  if (node["fence_stray_primaries"]) {
    r.fence_stray_primaries =
        BoolValue(node["fence_stray_primaries"], path + ".fence_stray_primaries");
  }
  if (node["cooldown"]) r.cooldown = DurationValue(node["cooldown"], path + ".cooldown");
  if (const YAML::Node s = node["switchover"]) {
    const std::string sp = path + ".switchover";
    CheckKeys(s, sp, {"action", "max_lag", "timeout", "command", "url"});
    if (s["action"]) {
      r.switchover.action = ScalarString(s["action"], sp + ".action");
      static const std::set<std::string> kActions = {"native", "kubeblocks", "exec", "webhook"};
      if (!kActions.contains(r.switchover.action)) {
        Fail(s["action"], sp + ".action",
             "unknown action \"" + r.switchover.action +
                 "\" (want native, kubeblocks, exec or webhook)");
      }
    }
    if (s["max_lag"]) r.switchover.max_lag = DurationValue(s["max_lag"], sp + ".max_lag");
    if (s["timeout"]) r.switchover.timeout = DurationValue(s["timeout"], sp + ".timeout");
    if (s["command"]) r.switchover.command = StringList(s["command"], sp + ".command");
    if (s["url"]) r.switchover.url = ScalarString(s["url"], sp + ".url");
    if (r.switchover.action == "exec" && r.switchover.command.empty()) {
      Fail(s, sp + ".command", "is required for action exec");
    }
    if (r.switchover.action == "webhook" && r.switchover.url.empty()) {
      Fail(s, sp + ".url", "is required for action webhook");
    }
  }
  if (const YAML::Node a = node["alert_actions"]) {
    if (!a.IsMap()) Fail(a, path + ".alert_actions", "must map alertname to fence or switchover");
    for (const auto& entry : a) {
      const std::string alert = KeyString(entry.first, path + ".alert_actions");
      const std::string action = ScalarString(entry.second, path + ".alert_actions." + alert);
      if (action != "fence" && action != "switchover") {
        Fail(entry.second, path + ".alert_actions." + alert,
             "action must be fence or switchover, got \"" + action + "\"");
      }
      r.alert_actions[alert] = action;
    }
  }
  if (node["leader_election"]) r.leader_election = ParseLeaderElection(node["leader_election"]);
  if (r.enabled && r.token.empty()) {
    Fail(node, path + ".token_file", "is required when remediation is enabled");
  }
  return r;
}

void ParseThresholds(const YAML::Node& node, AnalysisOptions* options) {
  CheckKeys(node, "thresholds", {"replication_lag", "replication_lag_bytes"});
  if (node["replication_lag"]) {
    options->max_replication_lag_seconds =
        DurationValue(node["replication_lag"], "thresholds.replication_lag").count() / 1000.0;
  }
  if (node["replication_lag_bytes"]) {
    options->max_replication_lag_bytes =
        PositiveInteger(node["replication_lag_bytes"], "thresholds.replication_lag_bytes");
  }
}

Config ParseRoot(const YAML::Node& root, const std::string& file) {
  Config config;
  config.file = file;
  if (!root || root.IsNull()) Fail(root, "", "config is empty");
  CheckKeys(root, "",
            {"poll_interval", "probe_timeout", "max_concurrency", "role_label", "role_values",
             "thresholds", "clusters", "kubernetes", "remediation"});
  if (root["poll_interval"])
    config.poll_interval = DurationValue(root["poll_interval"], "poll_interval");
  if (root["probe_timeout"])
    config.probe_timeout = DurationValue(root["probe_timeout"], "probe_timeout");
  if (config.poll_interval.count() <= 0)
    Fail(root["poll_interval"], "poll_interval", "must be > 0");
  if (config.probe_timeout.count() <= 0)
    Fail(root["probe_timeout"], "probe_timeout", "must be > 0");
  // A longer interval would overflow the poll loop's deadline arithmetic and
  // is no monitoring anyway.
  constexpr std::chrono::hours kMaxPollInterval{24};
  if (config.poll_interval > kMaxPollInterval) {
    Fail(root["poll_interval"], "poll_interval", "must be at most 24h");
  }
  if (config.probe_timeout > config.poll_interval) {
    if (!root["probe_timeout"]) {
      Fail(root["poll_interval"], "poll_interval",
           "is shorter than the default probe_timeout (" + FormatDuration(config.probe_timeout) +
               "): set probe_timeout to at most " + FormatDuration(config.poll_interval));
    }
    Fail(root["probe_timeout"], "probe_timeout",
         "must not exceed poll_interval (" + FormatDuration(config.poll_interval) + ")");
  }
  if (root["max_concurrency"]) {
    config.max_concurrency = static_cast<int>(
        std::min(PositiveInteger(root["max_concurrency"], "max_concurrency"), 1024LL));
  }
  if (root["role_label"]) config.role_label = ScalarString(root["role_label"], "role_label");
  if (root["role_values"]) config.role_values = ParseRoleValues(root["role_values"], "role_values");
  if (root["thresholds"]) ParseThresholds(root["thresholds"], &config.analysis);
  if (root["kubernetes"]) config.kubernetes = ParseKubernetes(root["kubernetes"], file);
  if (root["remediation"]) config.remediation = ParseRemediation(root["remediation"], file);
  const YAML::Node clusters = root["clusters"];
  // `clusters:` may be absent or empty (null) when pods come from Kubernetes.
  if ((!clusters || clusters.IsNull()) && config.kubernetes) return config;
  if (!clusters || !clusters.IsSequence() || (clusters.size() == 0 && !config.kubernetes)) {
    Fail(clusters ? clusters : root, "clusters",
         "must be a non-empty list (or configure kubernetes discovery)");
  }
  std::set<std::tuple<std::string, std::string, std::string>> units;
  for (std::size_t i = 0; i < clusters.size(); ++i) {
    const std::string path = "clusters[" + std::to_string(i) + "]";
    ClusterConfig cluster = ParseCluster(clusters[i], path, file);
    if (!units.insert({cluster.ns, cluster.name, cluster.component}).second) {
      Fail(clusters[i]["name"], path + ".name",
           "duplicate cluster \"" + cluster.name + "\" (same namespace and component)");
    }
    config.clusters.push_back(std::move(cluster));
  }
  return config;
}

}  // namespace

std::string ConfigError::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

std::variant<Config, ConfigError> ParseConfig(const std::string& yaml_text,
                                              const std::string& file) {
  try {
    return ParseRoot(yaml::Parse(yaml_text), file);
  } catch (const yaml::YamlInvalid& invalid) {
    return ConfigError{file, invalid.line, invalid.key, invalid.message};
  } catch (const YAML::Exception& e) {
    // Every accessor above checks its node first; this is a last resort that
    // still says where yaml-cpp was.
    return ConfigError{file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "",
                       "unexpected YAML structure: " + e.msg};
  }
}

std::variant<Config, ConfigError> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ConfigError{path, 0, "", std::string("cannot read: ") + std::strerror(errno)};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseConfig(buffer.str(), path);
}

std::vector<DiscoveredTarget> StaticTargets(const Config& config) {
  std::vector<DiscoveredTarget> targets;
  for (const ClusterConfig& cluster : config.clusters) {
    for (const MemberConfig& member : cluster.members) {
      Target target;
      target.unit = UnitId{cluster.ns, cluster.name, cluster.component};
      target.pod = member.pod;
      target.engine = cluster.engine;
      target.host = member.host;
      target.port = member.port;
      target.labels = member.labels;
      if (auto it = member.labels.find(config.role_label); it != member.labels.end()) {
        target.role_label_value = it->second;
        target.labelled_role = MapRoleLabel(it->second, config.role_values);
      }
      targets.push_back({std::move(target), cluster.credentials});
    }
  }
  return targets;
}

}  // namespace dbtopo
