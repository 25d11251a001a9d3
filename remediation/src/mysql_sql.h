#pragma once

// The SQL the native MySQL/MariaDB actions send, as pure functions of the
// server dialect (unit-tested without servers).
//
// Values that come from outside (host names, user, password) are passed in
// already escaped for a single-quoted literal (the caller uses
// mysql_real_escape_string on the connection). GTID sets and channel names
// are validated here instead: they come from servers, and only their
// documented characters are accepted.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbtopo::remediation {

/// Which statements a server understands.
enum class SqlDialect {
  kMariaDb,  ///< read_only, gtid_binlog_pos, MASTER_GTID_WAIT, CHANGE MASTER ... MASTER_USE_GTID.
  kMysqlModern,  ///< MySQL >= 8.0.26: super_read_only, CHANGE REPLICATION SOURCE, START REPLICA.
  kMysqlLegacy,  ///< Older MySQL: CHANGE MASTER TO ... MASTER_AUTO_POSITION=1, START SLAVE.
};

/// From `SELECT @@version`: "10.11.19-MariaDB-0+deb12u1" -> kMariaDb,
/// "8.0.36" -> kMysqlModern, "5.7.44-log" / "8.0.25" -> kMysqlLegacy.
SqlDialect DialectFromVersion(std::string_view version);

/// True for a GTID position / set as servers print them: MariaDB
/// "0-1-123,1-2-5", MySQL "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,\n...".
/// Empty is valid (nothing executed).
bool IsGtidText(std::string_view gtid);

/// True for a replication channel / connection name we can quote safely:
/// letters, digits, '_', '-', '.', at most 64 characters ("" = default).
bool IsChannelName(std::string_view name);

/// Make a server read-only for ordinary users: MariaDB `SET GLOBAL
/// read_only=1`; MySQL `SET GLOBAL super_read_only=1` (implies read_only).
std::vector<std::string> ReadOnlyOnSql(SqlDialect dialect);
/// Make it writable: MySQL clears super_read_only first, then read_only.
std::vector<std::string> ReadOnlyOffSql(SqlDialect dialect);

/// One-column query for the server's executed GTID position: MariaDB
/// `@@GLOBAL.gtid_binlog_pos`, MySQL `@@GLOBAL.gtid_executed`.
std::string GtidPositionSql(SqlDialect dialect);

/// One-column query that waits up to `seconds` (> 0) until the server has
/// applied `gtid` (IsGtidText): MariaDB `MASTER_GTID_WAIT('gtid', s)` (0 =
/// reached, -1 = timeout), MySQL `WAIT_FOR_EXECUTED_GTID_SET('gtid', s)` (0 =
/// reached, 1 = timeout).
std::string WaitGtidSql(SqlDialect dialect, const std::string& gtid, double seconds);
/// True when the value WaitGtidSql returned means "reached".
bool WaitGtidReached(const std::optional<std::string>& value);

/// One-column query: 1 when the server has applied all of `gtid` now, else
/// 0 (MariaDB: MASTER_GTID_WAIT with a 1 ms timeout, mapped to 1/0; MySQL:
/// GTID_SUBSET against gtid_executed).
std::string ContainsGtidSql(SqlDialect dialect, const std::string& gtid);

/// Preflight queries (one column each, value "1"/"ON" when fine): binary log
/// on; replicated events written to it (log_slave_updates /
/// log_replica_updates); MySQL only: gtid_mode ON.
std::string LogBinSql();
std::string LogReplicaUpdatesSql(SqlDialect dialect);
std::optional<std::string> GtidModeSql(SqlDialect dialect);

/// The source a server is re-pointed at. `tls`: the replication link is
/// encrypted (MASTER_SSL=1 / SOURCE_SSL=1); the replica's own
/// MASTER_SSL_CA/CERT/KEY settings, if any, are left as they are, so whether
/// it verifies the source's certificate is the server's configuration.
struct NewSource {
  std::string host;
  int port = 0;
  std::string user;
  bool tls = false;
};

/// Promote a replica: stop the channel's threads, forget the source
/// (RESET ... ALL), then ReadOnlyOffSql.
std::vector<std::string> PromoteSql(SqlDialect dialect, const std::string& channel);

/// Re-point a server at a new source with GTID auto-positioning and start
/// it. `was_primary`: MariaDB first sets gtid_slave_pos to the server's own
/// gtid_binlog_pos (a former primary has no slave position; without that it
/// would replay the new primary's whole binlog). `literals` (host, user)
/// and `password_literal` are escaped for a single-quoted SQL literal. MySQL
/// also keeps super_read_only on.
std::vector<std::string> RepointSql(SqlDialect dialect, const std::string& channel,
                                    const NewSource& literals, const std::string& password_literal,
                                    bool was_primary);

/// What RepointSql does, for records and logs (no password): "CHANGE MASTER
/// TO MASTER_HOST='h', MASTER_PORT=p, MASTER_USER='u',
/// MASTER_USE_GTID=slave_pos[, MASTER_SSL=1]; START SLAVE".
std::string DescribeRepoint(SqlDialect dialect, const NewSource& source);

}  // namespace dbtopo::remediation
