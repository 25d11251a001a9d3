#pragma once

// Analysis: a round of (Target, Observation) pairs -> Topology -> Findings.
//
// Pure functions: no I/O, no clock, no globals. Everything the detectors need
// (thresholds, time) comes in through AnalysisOptions.

#include <optional>
#include <string>
#include <vector>

#include "dbtopo/analysis/model.h"

namespace dbtopo {

/// Severity of a finding; becomes the `severity` label.
enum class Severity { kCritical, kWarning, kInfo };

/// "critical", "warning", "info".
const char* SeverityName(Severity severity);

/// Finding kinds (the `kind` label of `dbtopo_finding`). Part of the metric
/// contract: alerts and dashboards match on these strings.
namespace finding {
inline constexpr char kDualPrimary[] = "dual_primary";
inline constexpr char kLabelledDualPrimary[] = "labelled_dual_primary";
inline constexpr char kLabelledNoPrimary[] = "labelled_no_primary";
inline constexpr char kNoPrimary[] = "no_primary";
inline constexpr char kPrimaryUnreachable[] = "primary_unreachable";
inline constexpr char kDetachedReplica[] = "detached_replica";
inline constexpr char kErrantGtid[] = "errant_gtid";
inline constexpr char kReplicationBroken[] = "replication_broken";
inline constexpr char kReplicationLagging[] = "replication_lagging";
inline constexpr char kWrongSource[] = "wrong_source";
inline constexpr char kRoleLabelMismatch[] = "role_label_mismatch";
inline constexpr char kServerIdConflict[] = "server_id_conflict";
inline constexpr char kVersionSkew[] = "version_skew";
inline constexpr char kWritableReplica[] = "writable_replica";
inline constexpr char kRedisClusterStateFail[] = "redis_cluster_state_fail";
inline constexpr char kRedisClusterSlotsUncovered[] = "redis_cluster_slots_uncovered";
inline constexpr char kRedisClusterUnmetNodes[] = "redis_cluster_unmet_nodes";
inline constexpr char kRedisClusterFailedNodes[] = "redis_cluster_failed_nodes";
inline constexpr char kRedisClusterViewsSplit[] = "redis_cluster_views_split";
/// A Redis Cluster master serving slots with no healthy replica while the
/// cluster has replicas (a failover of that shard would lose its slots).
inline constexpr char kRedisClusterMasterWithoutReplica[] = "redis_cluster_master_without_replica";
/// A sentinel names as master a server that is not the Redis unit's primary
/// by the databases (or no member at all).
inline constexpr char kSentinelMasterMismatch[] = "sentinel_master_mismatch";
/// Sentinels watching one Redis unit name different masters (critical) or
/// only different config epochs (warning) for one master name.
inline constexpr char kSentinelsDisagree[] = "sentinels_disagree";
/// SENTINEL CKQUORUM fails: no failover can be authorized.
inline constexpr char kSentinelQuorumLost[] = "sentinel_quorum_lost";
/// The sentinel reports its master objectively down (`o_down`).
inline constexpr char kSentinelMasterDown[] = "sentinel_master_down";
/// The sentinel is in TILT mode (INFO sentinel `sentinel_tilt:1`).
inline constexpr char kSentinelTilt[] = "sentinel_tilt";
inline constexpr char kTargetDown[] = "target_down";
}  // namespace finding

/// One problem found in a round. Unit-level findings have an empty `pod`.
struct Finding {
  std::string kind;  ///< One of the finding:: constants.
  Severity severity = Severity::kWarning;
  UnitId unit;
  std::string pod;      ///< "" when the finding is about the whole unit.
  std::string channel;  ///< Replication channel, when relevant.
  std::string message;  ///< Human text for logs and the topology API.
};

/// Thresholds and context for the detectors.
struct AnalysisOptions {
  /// A replica is lagging when its lag exceeds this, seconds.
  double max_replication_lag_seconds = 30;
  /// Redis: a replica is lagging when its offset is this many bytes behind.
  std::int64_t max_replication_lag_bytes = 64 * 1024 * 1024;
  /// Units in which the exporter's own switchover is running this round.
  /// Their primary count passes through zero (or two) by design, so
  /// no_primary and dual_primary are held back; the switchover verifies its
  /// result and is bounded by its timeout.
  std::vector<UnitId> switchovers_in_progress = {};
};

/// A replication channel with what analysis concluded about it.
struct ChannelView {
  ReplicationChannel channel;
  /// IO (Redis: link) and SQL threads both running.
  bool link_up = false;
  /// True when following sources from this channel's source reaches a
  /// primary of the unit (chains of any depth); false when the source is no
  /// member, the replica itself, or the chain loops or ends away from the
  /// primary; std::nullopt when that cannot be known (no primary visible, or
  /// a member on the chain is down).
  std::optional<bool> source_valid;
  /// Pod name of the member the source address resolves to ("" if none).
  std::string source_pod;
};

/// One member with its observed role.
struct MemberView {
  Target target;
  Observation observation;
  /// Role from the database: kUnknown when down or undecidable.
  Role observed_role = Role::kUnknown;
  /// Label and observed role are both known and differ.
  bool role_label_mismatch = false;
  /// One per observation.channels, same order.
  std::vector<ChannelView> channels;
  /// Replication hops below the unit's primary: 0 for the primary, 1 for its
  /// direct replicas, 2 for a replica of a replica, ... std::nullopt when the
  /// member does not reach a primary (or that cannot be known).
  std::optional<int> depth;
  /// MySQL: one of two members that replicate from each other (active/
  /// passive co-primaries). The writable one of the pair is the primary.
  bool co_primary = false;
  /// MySQL: this non-primary member has executed transactions the unit's
  /// primary lacks (leaving out the primary's own). std::nullopt when not
  /// judged (no single primary, GTID state unknown or unparseable).
  std::optional<bool> errant_gtid;
  /// The errant transactions: a MySQL GTID set, or MariaDB
  /// "domain-server-seq" entries. "" unless errant_gtid is true.
  std::string errant_gtids;
  /// Redis Cluster: members of the db_cluster this node has not met (absent,
  /// or known only in handshake/noaddr). std::nullopt when not applicable.
  std::optional<int> redis_cluster_unmet_nodes;
};

/// What one sentinel believes about one master it monitors, tied to the
/// Redis unit it watches.
struct SentinelView {
  UnitId sentinel_unit;      ///< The sentinel's unit.
  std::string sentinel_pod;  ///< The sentinel's pod.
  /// The Redis unit the master is tied to; std::nullopt when none could be.
  std::optional<UnitId> watched_unit;
  std::string master_name;     ///< SENTINEL MASTERS `name`.
  std::string master_address;  ///< `ip:port` the sentinel gives clients.
  /// Pod of the watched unit that master_address names; "" when none.
  std::string master_pod;
  std::optional<std::int64_t> config_epoch;  ///< `config-epoch`.
  std::vector<std::string> flags;            ///< The master's `flags`.
  std::optional<bool> quorum_ok;             ///< CKQUORUM.
};

/// One unit of one primary (namespace, db_cluster, component).
struct UnitView {
  UnitId unit;
  Engine engine = Engine::kMysql;
  std::vector<MemberView> members;
  /// Members whose database reports them as primary.
  int primaries = 0;
  /// Members whose role label says primary.
  int labelled_primaries = 0;
  /// More than one primary (Redis Cluster: two masters claim one slot).
  bool dual_primary = false;
  /// Members sharing a server_id or server_uuid with another member.
  int server_id_conflicts = 0;
  /// Redis Cluster: all reachable nodes of the db_cluster agree on membership
  /// and slot owners. std::nullopt for other engines / nothing reachable.
  std::optional<bool> redis_cluster_views_consistent;
  /// Pod name of the single primary ("" when none or several).
  std::string primary_pod;
  /// Redis: what each up sentinel watching this unit believes; sentinel
  /// units: what each of their up members believes about each master.
  /// Empty when no sentinel is involved.
  std::vector<SentinelView> sentinel_views;
};

/// The result of analysing one round.
struct Topology {
  std::vector<UnitView> units;  ///< Sorted by UnitId.
  std::vector<Finding> findings;
};

/// Groups members into units, decides observed roles, runs every detector.
Topology Analyze(const std::vector<Member>& members, const AnalysisOptions& options);

}  // namespace dbtopo
