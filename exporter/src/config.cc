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

#include "config_sections.h"
#include "dbtopo/analysis/engines.h"
#include "dbtopo/base/duration.h"
#include "yaml_fields.h"

namespace dbtopo {
namespace {
using namespace config_detail;  // NOLINT: the loader's own pieces.

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
             "members", "sentinel_for", "tls"});
  ClusterConfig cluster;
  cluster.name = RequiredString(node, path, "name");
  cluster.engine = EngineValue(node, path);
  cluster.sentinel_for = SentinelFor(node, path, cluster.engine);
  if (node["namespace"]) cluster.ns = ScalarString(node["namespace"], path + ".namespace");
  cluster.component = node["component"] ? ScalarString(node["component"], path + ".component")
                                        : std::string(EngineName(cluster.engine));
  const auto tls = ParseTls(node, path, config_file, cluster.engine);
  cluster.credentials =
      WithTls(ParseCredentials(node["credentials"], path + ".credentials", config_file), tls);
  if (node["replication_credentials"]) {
    cluster.replication_credentials =
        WithTls(ParseCredentials(node["replication_credentials"], path + ".replication_credentials",
                                 config_file),
                tls);
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

Result<Config, ConfigError> ParseConfig(const std::string& yaml_text, const std::string& file) {
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

Result<Config, ConfigError> LoadConfig(const std::string& path) {
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
      target.sentinel_for = cluster.sentinel_for;
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
