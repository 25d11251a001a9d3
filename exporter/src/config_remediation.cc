// The `remediation:` section.

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
#include "dbtopo/base/duration.h"

namespace dbtopo::config_detail {

LeaderElectionConfig ParseLeaderElection(const YAML::Node& node) {
  const std::string path = "remediation.leader_election";
  CheckKeys(
      node, path,
      {"enabled", "lease_name", "namespace", "lease_duration", "renew_deadline", "retry_period"});
  LeaderElectionConfig e;
  bool enabled = false;
  if (ReadIfPresent(node, path, "enabled", BoolValue, &enabled)) e.enabled = enabled;
  ReadIfPresent(node, path, "lease_name", ScalarString, &e.lease_name);
  ReadIfPresent(node, path, "namespace", ScalarString, &e.ns);
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
            {"enabled", "token_file", "switchover", "fence_stray_primaries",
             "fence_behind_sentinel", "cooldown", "alert_actions", "leader_election"});
  RemediationConfig r;
  ReadIfPresent(node, path, "enabled", BoolValue, &r.enabled);
  if (ReadIfPresent(node, path, "token_file", ScalarString, &r.token_file)) {
    r.token = ReadSecretFile(node["token_file"], path + ".token_file", config_file);
    if (r.token.empty()) Fail(node["token_file"], path + ".token_file", "token file is empty");
  }
  ReadIfPresent(node, path, "fence_stray_primaries", BoolValue, &r.fence_stray_primaries);
  ReadIfPresent(node, path, "fence_behind_sentinel", BoolValue, &r.fence_behind_sentinel);
  ReadIfPresent(node, path, "cooldown", DurationValue, &r.cooldown);
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

}  // namespace dbtopo::config_detail
