#pragma once

// `remediation:` config. Parsed by exporter/src/config.cc.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "dbtopo/collectors/secret.h"

namespace dbtopo {

/// `remediation.switchover`.
struct SwitchoverPolicy {
  /// `action`: native | kubeblocks | exec | webhook.
  std::string action = "native";
  /// `max_lag`: refuse a candidate further behind than this.
  std::chrono::milliseconds max_lag{10'000};
  /// `timeout`: give up (and report the step) after this long.
  std::chrono::milliseconds timeout{60'000};
  /// `command` (exec): argv; unit, old primary and candidate come in env vars.
  std::vector<std::string> command;
  /// `url` (webhook): receives a JSON POST.
  std::string url;
};

/// `remediation:`.
struct RemediationConfig {
  /// `enabled`: false = dry run (decide, log, count; change nothing).
  bool enabled = false;
  /// `token_file`: Bearer token required on every POST (read at load).
  Secret token;
  std::string token_file;
  SwitchoverPolicy switchover;
  /// `fence_stray_primaries`: set read_only on (Redis: REPLICAOF the primary)
  /// a writable member that is not its unit's primary.
  bool fence_stray_primaries = false;
  /// `cooldown`: minimum time between two actions on one unit.
  std::chrono::milliseconds cooldown{300'000};
  /// `alert_actions`: Alertmanager alertname -> action (`fence`, `switchover`).
  std::map<std::string, std::string> alert_actions;
};

}  // namespace dbtopo
