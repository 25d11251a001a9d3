#pragma once

// The data model shared by discovery, probes and analysis.
//
// Probes fill an Observation per Target; analysis turns a round of
// (Target, Observation) pairs into a Topology and Findings. Nothing here does
// I/O, and nothing here holds a secret: credentials stay in collectors/.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dbtopo {

/// Database engine of a target, as configured (`engine:` key). A
/// `redis-sentinel` target is a Sentinel that watches Redis units; it holds
/// no data itself.
enum class Engine { kMysql, kRedis, kRedisCluster, kRedisSentinel };

/// "mysql", "redis", "redis-cluster", "redis-sentinel".
const char* EngineName(Engine engine);
/// Parses an engine name; std::nullopt when unknown.
std::optional<Engine> ParseEngine(const std::string& name);

/// A role, either observed from the database or claimed by a label.
enum class Role { kPrimary, kReplica, kUnknown };

/// "primary", "replica", "unknown".
const char* RoleName(Role role);

/// Identity of the unit that must have exactly one primary:
/// (namespace, db_cluster, component). For static config `ns` is empty.
struct UnitId {
  std::string ns;
  std::string db_cluster;
  std::string component;

  auto operator<=>(const UnitId&) const = default;
};

/// One database server to watch, as discovery yields it.
struct Target {
  UnitId unit;
  std::string pod;  ///< Pod name (static config: `members[].pod`).
  Engine engine = Engine::kMysql;
  std::string host;  ///< IP or DNS name the probe connects to.
  int port = 0;
  /// Pod labels (static config: `members[].labels`).
  std::map<std::string, std::string> labels;
  /// Role the role label claims, mapped through `role_values`;
  /// std::nullopt when the pod has no role label.
  std::optional<Role> labelled_role;
  /// Raw value of the role label ("" when absent).
  std::string role_label_value;
  /// Kubernetes readiness of the pod; std::nullopt for static members.
  std::optional<bool> pod_ready;
  /// `redis-sentinel` only: the db_cluster (same namespace) whose Redis unit
  /// this sentinel watches (`sentinel_for:`); "" to tie each monitored
  /// master to the unit one of whose members its address names.
  std::string sentinel_for;

  /// "host:port".
  std::string Address() const;
  /// Stable key: "ns/db_cluster/component/pod".
  std::string Key() const;
};

/// One replication link of a replica: a MySQL channel / MariaDB connection
/// name, or the single Redis master link.
struct ReplicationChannel {
  /// MySQL `Channel_Name`, MariaDB `Connection_name`; "" for the default
  /// channel and for Redis.
  std::string name;
  /// `Source_Host`/`Master_Host`, Redis `master_host`.
  std::string source_host;
  /// `Source_Port`/`Master_Port`, Redis `master_port`; 0 when unknown.
  int source_port = 0;
  /// `Replica_IO_Running`/`Slave_IO_Running` == "Yes"; Redis
  /// `master_link_status:up`. std::nullopt when the field is missing.
  std::optional<bool> io_running;
  /// Raw IO state text ("Yes", "No", "Connecting"; Redis "up"/"down").
  std::string io_state;
  /// `Replica_SQL_Running`/`Slave_SQL_Running` == "Yes"; always std::nullopt
  /// for Redis (no separate apply thread).
  std::optional<bool> sql_running;
  /// `Seconds_Behind_Source`/`Seconds_Behind_Master`, seconds. NULL (thread
  /// stopped, not connected) is std::nullopt: unknown, never 0.
  std::optional<double> lag_seconds;
  /// MySQL/MariaDB `SQL_Delay`: the delay the replica was told to keep
  /// (`MASTER_DELAY`/`SOURCE_DELAY`), seconds; 0 for none. std::nullopt when
  /// the server did not report it (Redis, garbage).
  std::optional<double> configured_delay_seconds;
  /// Redis: master_repl_offset - slave_repl_offset, bytes; std::nullopt when
  /// not known (MySQL: always std::nullopt).
  std::optional<std::int64_t> lag_bytes;
  /// Redis `master_last_io_seconds_ago`, seconds; std::nullopt when -1/absent.
  std::optional<double> last_io_seconds_ago;
  /// `Last_IO_Errno`, 0 = none.
  int last_io_errno = 0;
  /// `Last_IO_Error` text.
  std::string last_io_error;
  /// `Last_SQL_Errno`, 0 = none.
  int last_sql_errno = 0;
  /// `Last_SQL_Error` text.
  std::string last_sql_error;
  /// MariaDB `Using_Gtid` ("No", "Slave_Pos", "Current_Pos") / MySQL
  /// `Auto_Position` ("0"/"1"); "" when unknown.
  std::string gtid_mode;
};

/// Redis replication facts from `INFO replication` (+ `ROLE`).
struct RedisReplicationInfo {
  /// `role:` master|slave.
  std::string role;
  /// `master_replid`.
  std::string master_replid;
  /// `master_replid2` (the previous master's replid after a promotion;
  /// all zeros when none).
  std::string master_replid2;
  /// `master_repl_offset`, bytes.
  std::optional<std::int64_t> master_repl_offset;
  /// `connected_slaves`.
  std::optional<int> connected_replicas;
};

/// One node line of `CLUSTER NODES`, as one node sees another.
struct RedisClusterNode {
  std::string id;
  std::string host;  ///< "" for noaddr (`:0@0`).
  int port = 0;
  int cluster_bus_port = 0;
  std::string hostname;            ///< Optional `,hostname` suffix ("" when absent).
  std::vector<std::string> flags;  ///< myself, master, slave, fail?, fail, ...
  std::string master_id;           ///< "" for `-`.
  std::int64_t ping_sent = 0;
  std::int64_t pong_received = 0;
  std::int64_t config_epoch = 0;
  bool link_connected = false;  ///< link-state == "connected".
  /// Served slot ranges, inclusive [first, last].
  std::vector<std::pair<int, int>> slots;
  /// Slots in migration ([slot->-id]) or import ([slot-<-id]).
  std::vector<int> migrating_slots;
  std::vector<int> importing_slots;

  bool HasFlag(const std::string& flag) const;
};

/// Redis Cluster facts from `CLUSTER INFO`, `CLUSTER NODES`, `CLUSTER MYID`.
struct RedisClusterInfo {
  std::string myid;
  /// `cluster_state`: true for ok, false for fail; std::nullopt when the
  /// reply did not say (garbage, error reply).
  std::optional<bool> state_ok;
  std::optional<int> slots_assigned, slots_ok, slots_pfail, slots_fail;
  std::optional<int> known_nodes, size;
  std::optional<std::int64_t> current_epoch, my_epoch;
  std::vector<RedisClusterNode> nodes;
};

/// A server one sentinel knows for one master: an entry of `SENTINEL
/// REPLICAS <name>` or `SENTINEL SENTINELS <name>` (flat name/value pairs).
struct SentinelPeer {
  std::string host;  ///< `ip`.
  int port = 0;      ///< `port`; 0 when unknown.
  /// `flags`, split at ',': "slave", "sentinel", "s_down", "disconnected"...
  std::vector<std::string> flags;
  /// Replicas: `master-link-status` ("ok", "err"); "" when not said.
  std::string master_link_status;
  /// Replicas: `slave-priority` (replica-priority as the sentinel last read
  /// it; 0 = never promoted); std::nullopt when not said.
  std::optional<int> replica_priority;
};

/// One master a sentinel monitors: its `SENTINEL MASTERS` entry, with the
/// replies of `SENTINEL REPLICAS`, `SENTINEL SENTINELS` and `SENTINEL
/// CKQUORUM` for its name. Every optional is std::nullopt when not said.
struct SentinelMaster {
  std::string name;  ///< `name`: the master name clients ask for.
  std::string host;  ///< `ip`: the address the sentinel gives clients.
  int port = 0;      ///< `port`; 0 when unknown.
  /// `flags`, split at ',': "master", "s_down", "o_down", "disconnected",
  /// "failover_in_progress", "master_down", ...
  std::vector<std::string> flags;
  /// `config-epoch`: the epoch of the sentinels' current configuration.
  std::optional<std::int64_t> config_epoch;
  std::optional<int> quorum;               ///< `quorum`.
  std::optional<int> num_replicas;         ///< `num-slaves`.
  std::optional<int> num_other_sentinels;  ///< `num-other-sentinels`.
  /// CKQUORUM: true on `+OK ...`, false on an error reply (`-NOQUORUM ...`):
  /// too few usable sentinels to reach the quorum or to authorize a failover.
  std::optional<bool> quorum_ok;
  /// CKQUORUM's text, as the sentinel said it.
  std::string quorum_message;
  std::optional<std::vector<SentinelPeer>> replicas;   ///< SENTINEL REPLICAS.
  std::optional<std::vector<SentinelPeer>> sentinels;  ///< SENTINEL SENTINELS.

  bool HasFlag(const std::string& flag) const;
  /// "host:port".
  std::string Address() const;
};

/// What a sentinel says: `INFO sentinel` and its monitored masters.
struct SentinelInfo {
  /// `sentinel_tilt:1`: the sentinel distrusts its clock and acts on nothing.
  std::optional<bool> tilt;
  /// `sentinel_masters`: masters monitored.
  std::optional<int> masters_count;
  /// One per `SENTINEL MASTERS` entry, sorted by name.
  std::vector<SentinelMaster> masters;
};

/// What one probe of one target saw. A plain value: no Prometheus types, no
/// analysis. Every optional is std::nullopt when the server did not say.
struct Observation {
  /// True when the probe connected and read every statement it needed.
  bool up = false;
  /// Why the probe failed (never contains a secret); "" when up.
  std::string error;
  /// Wall time of the probe, seconds.
  double probe_duration_seconds = 0;

  /// Server accepts writes: MySQL `@@read_only = 0` (and not
  /// `super_read_only`), Redis `role:master`.
  std::optional<bool> writable;
  /// MySQL `@@read_only`.
  std::optional<bool> read_only;
  /// MySQL `@@super_read_only` (absent on MariaDB).
  std::optional<bool> super_read_only;
  /// MySQL `@@server_id`.
  std::optional<std::uint32_t> server_id;
  /// MySQL `@@server_uuid` ("" on MariaDB / unknown).
  std::string server_uuid;
  /// MySQL `@@gtid_executed` / MariaDB `@@gtid_current_pos` ("" = unknown).
  std::string gtid_executed;
  /// MariaDB `@@gtid_binlog_state`: last seq_no per (domain, server_id) in
  /// the binlog ("" on MySQL / unknown). Errant-GTID detection reads it.
  std::string gtid_binlog_state;
  /// `@@version` / Redis `redis_version`.
  std::string version;
  /// Replication links this server has as a replica (empty: not a replica).
  std::vector<ReplicationChannel> channels;

  /// Redis only.
  std::optional<RedisReplicationInfo> redis;
  /// Redis Cluster only.
  std::optional<RedisClusterInfo> redis_cluster;
  /// Redis Sentinel only.
  std::optional<SentinelInfo> sentinel;
};

/// A target with what its probe saw this round.
struct Member {
  Target target;
  Observation observation;
};

namespace utf8 {
/// Sanitize() on every string of the member: target (pod, unit, host,
/// labels, role label value) and observation (error, version, GTID text,
/// channel fields, Redis and Redis Cluster fields). Returns the number of
/// replacements.
std::size_t SanitizeMember(Member& member);

}  // namespace utf8

}  // namespace dbtopo
