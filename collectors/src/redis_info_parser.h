#pragma once

// Parsing of Redis text replies into Observation fields. Internal to
// collectors/.
//
// Everything here is pure: the probe (redis_probe.cc) collects the raw
// replies of one pipelined round-trip into RedisReplies, and FillRedis /
// FillRedisCluster turn them into Observation fields. Odd input (garbage
// INFO, missing keys, error replies, nil) leaves the affected fields unknown;
// nothing here throws or invents a value.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbtopo/analysis/model.h"

struct redisReply;  // hiredis

namespace dbtopo::redis {

/// Parses a whole base-10 integer ("-1", "42"); std::nullopt for anything
/// else (empty, spaces, trailing text, overflow).
std::optional<std::int64_t> ParseInt64(std::string_view text);

/// The fields of one `INFO` or `CLUSTER INFO` reply.
struct InfoReply {
  /// `key` -> `value` of every `key:value` line. The value is everything
  /// after the first ':' (IPv6 `master_host` values contain ':'). A repeated
  /// key keeps its last value.
  std::map<std::string, std::string, std::less<>> fields;
  /// Names of `# Section` headers in order ("Replication", "Server").
  std::vector<std::string> sections;
  /// Non-empty lines that are neither a section header nor `key:value` with
  /// a non-empty key.
  int bad_lines = 0;

  /// The value of `key`, or std::nullopt when absent.
  std::optional<std::string_view> Get(std::string_view key) const;
  /// The value of `key` as an integer; std::nullopt when absent or not an
  /// integer.
  std::optional<std::int64_t> GetInt(std::string_view key) const;
};

/// Parses INFO text: `# Section` headers, `key:value` lines, LF or CRLF line
/// ends, blank lines ignored. Never fails: garbage becomes bad_lines.
InfoReply ParseInfo(std::string_view text);

/// The `ROLE` reply. Master: `["master", offset, [[ip, port, offset]...]]`;
/// replica: `["slave", master_ip, master_port, state, offset]`.
struct RoleReply {
  std::string role;         ///< "master", "slave", "sentinel".
  std::string master_host;  ///< Replica only.
  int master_port = 0;      ///< Replica only; 0 when unknown.
  /// Replica only: "connect", "connecting", "handshake", "sync", "connected".
  std::string state;
  /// Master: its replication offset; replica: the offset it processed.
  std::optional<std::int64_t> offset;
};

/// Reads a hiredis ROLE reply; std::nullopt when `reply` is null, an error, or
/// not an array starting with a role string. Fields of odd types stay unset.
std::optional<RoleReply> RoleFromReply(const redisReply* reply);

/// The raw replies of one probe round. A field is std::nullopt when the
/// command was not sent, or its reply was an error, nil or of the wrong type.
struct RedisReplies {
  std::optional<std::string> info_replication;  ///< `INFO replication`
  std::optional<std::string> info_server;       ///< `INFO server`
  std::optional<RoleReply> role;                ///< `ROLE`
  std::optional<std::string> cluster_info;      ///< `CLUSTER INFO`
  std::optional<std::string> cluster_nodes;     ///< `CLUSTER NODES`
  std::optional<std::string> cluster_myid;      ///< `CLUSTER MYID`
};

/// Fills, from INFO replication/server and ROLE:
///  * `version`: INFO server `redis_version` ("" when unknown);
///  * `redis`: role, master_replid, master_replid2, master_repl_offset,
///    connected_replicas (`connected_slaves`); set whenever INFO replication
///    or ROLE said anything; role falls back to ROLE when INFO lacks it;
///  * `writable`: role == "master" (std::nullopt when the role is unknown);
///  * `channels`: for role "slave" one ReplicationChannel named "":
///    - source_host/source_port: `master_host`/`master_port` (ROLE fallback),
///    - io_state: `master_link_status` ("up"/"down"; ROLE state as fallback),
///    - io_running: io_state == "up" (ROLE: state == "connected"),
///    - last_io_seconds_ago: `master_last_io_seconds_ago`, -1 -> nullopt,
///    - lag_bytes: `master_repl_offset - slave_repl_offset` from the
///      replica's own INFO, clamped at 0, only while the link is up. On a
///      replica `master_repl_offset` is the offset of the master's stream it
///      has received, and `slave_repl_offset` what it has applied, so this is
///      a local lower bound (usually 0). The analysis replaces it with the
///      master's `master_repl_offset` minus this replica's when it sees both
///      in one round (see redis_detectors.cc),
///    - lag_seconds and sql_running: always std::nullopt (Redis reports
///      neither).
void FillRedis(const RedisReplies& replies, Observation* observation);

/// Fills `redis_cluster` from CLUSTER INFO (state, slots, known nodes, size,
/// epochs), CLUSTER NODES (nodes) and CLUSTER MYID (myid; falls back to the
/// `myself` node). Leaves it unset when neither CLUSTER INFO nor CLUSTER
/// NODES was read. Returns the number of CLUSTER NODES lines skipped as
/// malformed.
int FillRedisCluster(const RedisReplies& replies, Observation* observation);

}  // namespace dbtopo::redis
