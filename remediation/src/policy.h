#pragma once

// Pure remediation decisions: no I/O, no clock read (time comes in as an
// argument). Everything the remediator decides before it touches a server is
// here, so it can be unit-tested without servers.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbtopo/analysis/analysis.h"
#include "dbtopo/base/result.h"
#include "dbtopo/base/secret.h"
#include "dbtopo/remediation/status.h"

namespace dbtopo::remediation {

/// A "no" from the policy: its code and why.
struct Refusal {
  RemediationCode code = RemediationCode::kRefused;
  std::string reason;
};

// ---------------------------------------------------------------- units

/// Which unit a request names: db_cluster always; namespace and component
/// only when given.
struct UnitSelector {
  std::string ns;
  bool ns_set = false;
  std::string db_cluster;
  std::string component;
  bool component_set = false;
};

/// The one unit of `known` the selector names. 400 when db_cluster is empty
/// or several units match (the reason lists them: add "namespace" /
/// "component"), 404 when none does.
Result<UnitId, Refusal> ResolveUnit(const std::vector<UnitId>& known, const UnitSelector& selector);

/// "ns/db_cluster/component" ("-" for an empty namespace), for messages.
std::string UnitName(const UnitId& unit);

// ---------------------------------------------------------------- switchover

/// What a switchover will do, decided on a fresh read of the unit.
struct SwitchoverPlan {
  std::string old_primary;  ///< Pod the candidate replicates from (or that the others follow).
  std::string candidate;
  /// Name of the candidate's replication channel to the old primary ("" =
  /// default channel / Redis).
  std::string candidate_channel;
  /// Members other than the candidate and the old primary, to re-point
  /// (pod -> channel name to re-use; "" when it has none).
  std::map<std::string, std::string> others;
  /// The candidate is already the only writable member and not replicating
  /// (a switchover that half happened): skip demote/catch-up/promote and
  /// only re-point the others (MySQL checks the candidate holds every GTID
  /// of the old primary first).
  bool resume = false;
  /// The old primary was already not writable at the start (so a failure
  /// before promotion leaves it read-only rather than undoing that).
  bool old_primary_was_read_only = false;
};

/// Switchover thresholds.
struct SwitchoverLimits {
  /// Candidate lag limit (MySQL Seconds_Behind_Master).
  std::chrono::milliseconds max_lag{10'000};
  /// Redis: replication offset bytes behind.
  std::int64_t max_lag_bytes = 64 * 1024 * 1024;
};

/// Decides whether `candidate` may be promoted in `unit` (a fresh read).
/// Refusals (nothing is changed): 404 unknown candidate; 422 when any member
/// is down (unit not fully visible), the candidate has errant GTIDs
/// (MemberView::errant_gtid), the unit has two writable members,
/// the candidate is already the primary everyone follows, the candidate has
/// no link to a member, its link is not up (IO+SQL running; Redis
/// master_link_status up), its lag is unknown or above the limits, or its
/// source is itself a replica. Redis Cluster: the candidate must be a replica
/// whose master is in the unit (resume does not apply).
Result<SwitchoverPlan, Refusal> PlanSwitchover(const UnitView& unit, const std::string& candidate,
                                               const SwitchoverLimits& limits);

/// Picks the replica to promote when a request names none: the healthy
/// replica of the current primary (with no writable primary: of the member
/// most replicas follow) with the smallest lag (then by pod name) that
/// PlanSwitchover accepts. Refusal when none qualifies (with the reason for
/// each replica) or when there are several primaries.
Result<std::string, Refusal> ChooseCandidate(const UnitView& unit, const SwitchoverLimits& limits);

/// Checks a fresh read after a switchover: "" when `candidate` is the only
/// writable member (Redis: the only master) and every other member
/// replicates from it with its link up; otherwise what is still wrong.
std::string VerifySwitchover(const UnitView& unit, const std::string& candidate);

// ---------------------------------------------------------------- fence

/// What a fence will do.
struct FencePlan {
  /// The legitimate primary: writable, labelled primary, not replicating, and
  /// followed by the majority of the replicas (or, with no replica at all,
  /// the only writable member labelled primary).
  std::string legit_primary;
  /// Writable members to fence (set read-only / REPLICAOF the primary).
  std::vector<std::string> strays;
};

/// Decides a fence on a fresh read. `only_pod` limits it to that pod ("" =
/// every stray). Refusals: 422 when the engine is redis-cluster, a member is
/// down, at most one member is writable (nothing to fence), or exactly one
/// legitimate primary cannot be identified (the reason says why for each
/// writable member); 404 when `only_pod` is not a member; 422 when it is the
/// legitimate primary or not writable.
Result<FencePlan, Refusal> PlanFence(const UnitView& unit, const std::string& only_pod);

/// Checks a fresh read after a fence: "" when none of `fenced` is writable.
std::string VerifyFence(const UnitView& unit, const std::vector<std::string>& fenced);

// ---------------------------------------------------------------- automatic

/// Finding kinds that trigger automatic fencing.
bool IsFenceTrigger(const std::string& finding_kind);

/// Counts, per unit, in how many consecutive rounds a fence-trigger finding
/// was present. Feed every round with Observe().
class Persistence {
 public:
  /// Updates the counts from one round's findings; returns the units whose
  /// count reached `rounds` (still present this round), with the first
  /// trigger kind seen.
  std::vector<std::pair<UnitId, std::string>> Observe(const Topology& topology, int rounds);
  /// Forgets a unit (after an action on it).
  void Reset(const UnitId& unit) { counts_.erase(unit); }

 private:
  std::map<UnitId, int> counts_;
};

/// True while `now` is within `cooldown` of `last` (a previous action on the
/// unit); false when there was none.
bool InCooldown(std::optional<std::chrono::steady_clock::time_point> last,
                std::chrono::steady_clock::time_point now, std::chrono::milliseconds cooldown);

}  // namespace dbtopo::remediation
