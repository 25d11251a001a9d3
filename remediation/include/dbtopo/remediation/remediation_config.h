#pragma once

// `remediation:` config. Parsed by exporter/src/config.cc.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dbtopo/base/secret.h"

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

/// `remediation.leader_election`.
struct LeaderElectionConfig {
  /// `enabled`; unset => on when remediation.enabled and `kubernetes:` is
  /// configured (resolved by the caller).
  std::optional<bool> enabled;
  /// `lease_name`: the Lease object (one per shard).
  std::string lease_name = "dbtopo-exporter-remediation";
  /// `namespace`: where the Lease lives; "" => $POD_NAMESPACE, else the
  /// kubeconfig's namespace, else "default" (resolved by the caller).
  std::string ns;
  /// `lease_duration`: how long a lease not renewed stays the holder's.
  std::chrono::milliseconds lease_duration{15'000};
  /// `renew_deadline`: a leader that has not renewed for this long stops
  /// acting. Less than lease_duration.
  std::chrono::milliseconds renew_deadline{10'000};
  /// `retry_period`: time between two tries (renewals or acquisitions).
  /// Less than renew_deadline.
  std::chrono::milliseconds retry_period{2'000};
  /// This replica's holderIdentity: $POD_NAME, else the hostname.
  std::string identity;
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
  /// `fence_behind_sentinel`: also fence a stray master of a Redis unit that
  /// sentinels watch. Off by default: Sentinel turns a stray master back
  /// into a replica itself, and a REPLICAOF behind its back can fight it.
  bool fence_behind_sentinel = false;
  /// `cooldown`: minimum time between two actions on one unit.
  std::chrono::milliseconds cooldown{300'000};
  /// `alert_actions`: Alertmanager alertname -> action (`fence`, `switchover`).
  std::map<std::string, std::string> alert_actions;
  /// `leader_election`: which of several exporter replicas remediates.
  LeaderElectionConfig leader_election;
};

}  // namespace dbtopo
