#pragma once

// What the remediator decided and did, as plain values: one record per
// decision (an action run, a dry run, a refusal) and counters per
// (action, result). The poll loop copies a RemediationStatus into every
// Snapshot, so /metrics and /api/v1/topology show it without ever waiting on
// an action in flight. Nothing here holds a secret.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "dbtopo/analysis/model.h"

namespace dbtopo {

/// `action` label values of dbtopo_remediation_actions_total.
namespace remediation_action {
inline constexpr char kSwitchover[] = "switchover";
inline constexpr char kFence[] = "fence";
}  // namespace remediation_action

/// `result` label values of dbtopo_remediation_actions_total.
namespace remediation_result {
/// The action ran and the fresh re-read afterwards confirmed the new state.
inline constexpr char kSuccess[] = "success";
/// The action ran (or started) and a step failed or timed out.
inline constexpr char kFailure[] = "failure";
/// remediation.enabled is false (or the request asked for a dry run): the
/// policy accepted the action, nothing was changed.
inline constexpr char kDryRun[] = "dry_run";
/// The policy said no (unknown unit or candidate, unit not fully visible,
/// broken or lagging candidate, no single legitimate primary, cooldown,
/// another action in flight); nothing was changed.
inline constexpr char kRefused[] = "refused";
}  // namespace remediation_result

/// How a remediation decision ended, as a code its caller maps (the HTTP API
/// to a status: 200, 400, 404, 409, 422, 429, 500, 503).
enum class RemediationCode {
  kOk,           ///< Done, or a dry run of it.
  kBadRequest,   ///< The request cannot name a unit (no db_cluster, ambiguous).
  kNotFound,     ///< No such unit, candidate or pod.
  kBusy,         ///< Another action on the unit is in flight.
  kRefused,      ///< The policy said no (the reason says why).
  kCoolingDown,  ///< The unit is in the action's cooldown.
  kFailed,       ///< A step failed after something was changed.
  kUnavailable,  ///< Not now: nothing discovered, not the leader, unit vanished.
};

/// One step of an action, in the order run (or, for a dry run, planned).
struct RemediationStep {
  std::string name;  ///< e.g. "set_read_only", "wait_catch_up", "verify".
  std::string pod;   ///< Member it acted on ("" for unit-wide steps).
  /// "ok", "failed", "planned" (dry run) or "skipped".
  std::string status;
  std::string detail;  ///< What was done or why it failed; never a secret.
  double duration_seconds = 0;
};

/// One decision of the remediator.
struct RemediationRecord {
  std::uint64_t id = 0;         ///< 1, 2, ... per process.
  double started_unix = 0;      ///< Unix time the decision started, seconds.
  double duration_seconds = 0;  ///< Wall time of the whole decision, seconds.
  UnitId unit;
  std::string action;  ///< remediation_action::*.
  /// How the action is carried out: "native", "kubeblocks", "exec",
  /// "webhook" (switchover); always "native" for fence.
  std::string method;
  /// Who asked: "api", "alert:<alertname>", "auto:<finding kind>".
  std::string trigger;
  std::string result;  ///< remediation_result::*.
  /// One line: why it was refused or failed, or what it achieved.
  std::string reason;
  /// Refused because the fresh read did not show the problem the trigger
  /// (an alert) claimed. Such a refusal starts no cooldown: a stale alert
  /// must not hold back the action a real problem needs.
  bool unconfirmed = false;
  std::string old_primary;          ///< Pod (switchover) / legitimate primary (fence).
  std::string candidate;            ///< Pod to promote (switchover).
  std::vector<std::string> fenced;  ///< Pods fenced (fence).
  std::string failed_step;          ///< Name of the step that failed ("" if none).
  /// On failure: the state the unit was left in and how a person finishes.
  std::string recovery;
  std::vector<RemediationStep> steps;
  /// How the decision ended, for the caller (the HTTP API maps it to a
  /// status); not part of the JSON.
  RemediationCode code = RemediationCode::kOk;
};

/// An automatic action the remediator wanted to run and did not, because of
/// the unit's lock (another action in flight) or the action's cooldown. Kept
/// while the problem persists, dropped when it clears or the action runs;
/// logged once when it starts.
struct HeldBackAction {
  UnitId unit;
  std::string action;     ///< remediation_action::*.
  std::string trigger;    ///< "auto:<finding kind>".
  std::string reason;     ///< Why it waits, one line.
  double since_unix = 0;  ///< Unix time it was first held back, seconds.
  /// Unix time the cooldown ends, seconds; 0 when unknown (the lock ends
  /// when the action in flight does).
  double blocked_until_unix = 0;
};

/// Which exporter replica may remediate (remediation.leader_election).
struct Leadership {
  /// Leader election is on; when off, this replica is the only remediator.
  bool elected = false;
  bool leader = true;    ///< This replica may act now (always, when not elected).
  std::string holder;    ///< The Lease's holderIdentity as last read; "" = none/unknown.
  std::string lease;     ///< "namespace/name" of the Lease.
  std::string identity;  ///< This replica's holderIdentity.
};

/// Everything /metrics and /api/v1/topology show about remediation.
struct RemediationStatus {
  /// False when no remediator is wired in (then nothing is rendered).
  bool present = false;
  bool enabled = false;  ///< remediation.enabled (false = dry run).
  bool fence_stray_primaries = false;
  std::string switchover_action;  ///< remediation.switchover.action.
  /// (action, result) -> decisions counted since start. Pre-seeded with 0
  /// for every known pair so rate() works from the first scrape.
  std::map<std::pair<std::string, std::string>, std::uint64_t> actions_total;
  /// Units with an action in flight, with the action name.
  std::vector<std::pair<UnitId, std::string>> in_flight;
  /// The last records, oldest first, at most N per unit.
  std::vector<RemediationRecord> recent;
  /// Automatic actions waiting for a lock or a cooldown, by unit and action.
  std::vector<HeldBackAction> held_back;
  Leadership leadership;
};

/// A record as JSON: {id, started_unix, duration_seconds, namespace,
/// db_cluster, component, action, method, trigger, result, reason,
/// old_primary, candidate, fenced[], failed_step, recovery, steps[{name, pod,
/// status, detail, duration_seconds}]}.
nlohmann::json RemediationRecordJson(const RemediationRecord& record);

/// The "remediation" section of /api/v1/topology: {enabled, dry_run,
/// fence_stray_primaries, switchover_action, in_flight[{namespace,
/// db_cluster, component, action}], actions_total[{action, result, count}],
/// units[{namespace, db_cluster, component, last_actions[record...]}],
/// held_back[{namespace, db_cluster, component, action, trigger, reason,
/// since_unix, blocked_until (unix seconds, null when unknown)}],
/// leader: {elected, is_leader, holder, lease, identity}}.
nlohmann::json RemediationStatusJson(const RemediationStatus& status);

}  // namespace dbtopo
