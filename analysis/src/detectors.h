#pragma once

// Per-engine hooks that Analyze() calls. Internal to analysis/.
//
// Analyze() groups members into UnitViews, then for each unit:
//   1. sets MemberView::observed_role with the engine's ObservedRole,
//   2. runs the common detectors (target_down, primaries, role labels; see
//      common_detectors.h),
//   3. runs the engine's detectors.
// A new engine adds one file with its functions and one entry in
// engines.cc (EngineHooks below, and EngineTraits in the public engines.h).

#include <vector>

#include "dbtopo/analysis/analysis.h"

namespace dbtopo::detail {

/// A channel with a running thread: IO `Yes` or `Connecting` (retrying its
/// source), or SQL `Yes`.
bool HasRunningThread(const ReplicationChannel& channel);

/// MySQL/MariaDB observed role of one server on its own: a running
/// replication thread makes it a replica; a writable server with no running
/// thread (channels stopped by command or error, or none) is a primary; a
/// read-only server with stopped channels is a replica (broken); read-only
/// with no channel, or down, is unknown.
Role MysqlObservedRole(const Observation& observation);

/// Sets MemberView::observed_role for every member (MysqlObservedRole), then
/// resolves co-primaries: of two up members replicating from each other
/// (MemberView::co_primary on both), each writable one is a primary.
void AssignMysqlRoles(UnitView& unit);

/// MySQL detectors: replication_broken, replication_lagging (lag less
/// SQL_Delay), wrong_source (chains allowed), server_id_conflict,
/// version_skew, writable_replica, detached_replica, errant_gtid. Also fills
/// ChannelView::source_valid / source_pod, MemberView::depth / errant_gtid
/// and UnitView::server_id_conflicts.
void DetectMysql(UnitView& unit, const AnalysisOptions& options, std::vector<Finding>* findings);

/// errant_gtid (warning, per pod) and MemberView::errant_gtid /
/// errant_gtids, for every up non-primary member when the unit has exactly
/// one primary: MySQL by GTID_SUBTRACT of `gtid_executed` less the primary's
/// server_uuid; MariaDB by `gtid_binlog_state` per (domain, server_id), less
/// the primary's server_id. Members whose GTID text does not parse stay
/// unjudged.
void DetectErrantGtids(UnitView& unit, std::vector<Finding>* findings);

}  // namespace dbtopo::detail

// ---------------------------------------------------------------------------
// Redis (engines `redis` and `redis-cluster`): redis_detectors.cc,
// redis_cluster_detectors.cc.

namespace dbtopo::detail {

/// Redis observed role, from INFO replication `role:` (ROLE as fallback):
/// `master` -> primary (a Redis master never replicates), `slave` -> replica;
/// a down member or any other role -> unknown. Used for both Redis engines.
Role RedisObservedRole(const Observation& observation);

/// True when `host:port` names `member`: the port is the member's and the host
/// is its address, its pod name, or its pod FQDN (`pod.headless.ns.svc...`),
/// compared case-insensitively. Redis uses it for `master_host` and for
/// CLUSTER NODES addresses/hostnames.
bool AddressNamesMember(const std::string& host, int port, const MemberView& member);

/// Redis replica links of `unit`: (re)builds the ChannelViews (link_up =
/// `master_link_status:up`), sets ChannelView::source_pod to the member of
/// `candidates` the source address names (a primary wins), refines
/// ChannelView::channel.lag_bytes to `source master_repl_offset - replica
/// master_repl_offset` when the source is an up master of the same
/// replication history (equal master_replid), and raises
/// replication_broken (critical, link down) and replication_lagging
/// (warning, lag_bytes > max_replication_lag_bytes). Down members are not
/// judged. `candidates`: the unit (redis) or the whole db_cluster
/// (redis-cluster).
void DetectRedisLinks(UnitView& unit, const std::vector<const MemberView*>& candidates,
                      const AnalysisOptions& options, std::vector<Finding>* findings);

/// Engine `redis` detectors for one unit (run after the common detectors,
/// which already count primaries and raise no_primary/dual_primary):
/// DetectRedisLinks over the unit, wrong_source (critical; sets
/// ChannelView::source_valid), and, when the unit is a dual primary, names
/// the promoted master in the dual_primary message (a master whose
/// `master_replid2` is another master's `master_replid`: the old primary is
/// still up after a promotion). Never adds a second no_primary/dual_primary.
void DetectRedis(UnitView& unit, const AnalysisOptions& options, std::vector<Finding>* findings);

/// Engine `redis-cluster` detectors, once per round over every unit (units
/// of other engines are ignored). Units are grouped by (namespace,
/// db_cluster): all members of one db_cluster are nodes of one cluster. Sets
/// MemberView::redis_cluster_unmet_nodes, UnitView::redis_cluster_views_consistent
/// (every unit of the db_cluster), UnitView::dual_primary and
/// UnitView::primary_pod (one master in the unit), and raises
/// redis_cluster_state_fail, redis_cluster_slots_uncovered,
/// redis_cluster_unmet_nodes, redis_cluster_failed_nodes (per node),
/// redis_cluster_views_split (once per db_cluster, on its first unit),
/// dual_primary (units of masters claiming one slot),
/// redis_cluster_master_without_replica, and the DetectRedisLinks findings.
void DetectRedisClusters(std::vector<UnitView>& units, const AnalysisOptions& options,
                         std::vector<Finding>* findings);

}  // namespace dbtopo::detail

namespace dbtopo::detail {

/// Sets MemberView::observed_role with RedisObservedRole (both Redis engines).
void AssignRedisRoles(UnitView& unit);

/// For an engine whose servers have no role (observed_role stays unknown).
void NoRoles(UnitView& unit);

/// Engine `redis-sentinel` detectors, once per round over every unit
/// (sentinel_detectors.cc). Ties every master each up sentinel monitors to
/// the `redis` unit it watches (`sentinel_for`, else the unit a member of
/// which the master's address names), records each such view in
/// UnitView::sentinel_views of both units, and raises
/// sentinel_master_mismatch, sentinel_quorum_lost, sentinel_master_down and
/// sentinel_tilt (on the sentinel's pod, channel = master name) and
/// sentinels_disagree (on the Redis unit, channel = master name).
void DetectSentinels(std::vector<UnitView>& units, const AnalysisOptions& options,
                     std::vector<Finding>* findings);

/// For an engine without detectors of that kind.
void NoUnitDetectors(UnitView& unit, const AnalysisOptions& options,
                     std::vector<Finding>* findings);
void NoRoundDetectors(std::vector<UnitView>& units, const AnalysisOptions& options,
                      std::vector<Finding>* findings);

/// The analysis hooks of one engine, each required (an engine without
/// detectors of a kind names NoUnitDetectors / NoRoundDetectors).
struct EngineHooks {
  using AssignRolesFn = void (*)(UnitView& unit);
  using UnitDetectorsFn = void (*)(UnitView& unit, const AnalysisOptions& options,
                                   std::vector<Finding>* findings);
  using RoundDetectorsFn = void (*)(std::vector<UnitView>& units, const AnalysisOptions& options,
                                    std::vector<Finding>* findings);

  constexpr EngineHooks(AssignRolesFn assign_roles, UnitDetectorsFn unit_detectors,
                        RoundDetectorsFn round_detectors)
      : assign_roles(assign_roles),
        unit_detectors(unit_detectors),
        round_detectors(round_detectors) {}

  /// Step 1: MemberView::observed_role of every member.
  AssignRolesFn assign_roles;
  /// Step 3, per unit of this engine, after the common detectors.
  UnitDetectorsFn unit_detectors;
  /// Once per round over every unit (for findings that span units, such as
  /// the shards of one Redis Cluster); must ignore units of other engines.
  RoundDetectorsFn round_detectors;
};

/// The hooks of `engine` (engines.cc).
const EngineHooks& HooksOf(Engine engine);

}  // namespace dbtopo::detail
