#pragma once

// Pure parsing of what a MySQL/MariaDB server returns to the probe.
//
// No I/O here: the probe turns result-set rows into ColumnMaps and these
// functions turn ColumnMaps into model values. Rows are always read by column
// name, because the column order and names of SHOW SLAVE/REPLICA STATUS
// differ between MySQL 5.7, MySQL 8.0.22+, MySQL 8.4 and MariaDB.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "dbtopo/analysis/model.h"

namespace dbtopo::mysql {

/// Orders column names case-insensitively (ASCII): MariaDB spells
/// `Connection_name`, MySQL `Channel_Name`, and servers have changed the case
/// of a column between versions before.
struct ColumnNameLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

/// One result-set row: column name -> value. SQL NULL is std::nullopt; a
/// column the server did not return is absent from the map.
using ColumnMap = std::map<std::string, std::optional<std::string>, ColumnNameLess>;

/// Which dialect of replica status a server speaks.
enum class Flavour {
  kMariaDb,       ///< `SHOW ALL SLAVES STATUS`, `Slave_*`/`Master_*`.
  kMysqlReplica,  ///< MySQL >= 8.0.22: `SHOW REPLICA STATUS`, `Replica_*`/`Source_*`.
  kMysqlLegacy,   ///< MySQL < 8.0.22: `SHOW SLAVE STATUS`, `Slave_*`/`Master_*`.
};

/// A server version as "major.minor.patch".
struct ServerVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;

  auto operator<=>(const ServerVersion&) const = default;
};

/// What the probe needs to know about a server to build its query. Decided
/// once per connection from `SELECT @@version`.
struct ServerInfo {
  Flavour flavour = Flavour::kMysqlLegacy;
  /// Parsed leading "X.Y.Z" of `@@version`; std::nullopt when unparseable.
  std::optional<ServerVersion> version;
};

/// Parses the leading "major.minor.patch" of a version string such as
/// "8.0.36-28", "8.4.0" or "10.11.19-MariaDB-0+deb12u1". std::nullopt when
/// the string does not start with three dot-separated numbers.
std::optional<ServerVersion> ParseServerVersion(std::string_view version);

/// Decides the flavour from the text of `@@version`: MariaDB when it
/// contains "MariaDB" (an old "5.5.5-" handshake prefix is skipped); MySQL >= 8.0.22 speaks SHOW
/// REPLICA STATUS; older or unparseable MySQL versions get SHOW SLAVE STATUS (which every MySQL
/// before 8.4 understands, and 8.4+ always reports a well-formed version).
ServerInfo DetectServerInfo(std::string_view version);

/// The one multi-statement query the probe sends per Collect(): a globals
/// SELECT (columns aliased read_only, super_read_only, server_id, server_uuid,
/// gtid_executed, gtid_binlog_state, version; NULL where the server has no
/// such variable) then
/// the replica status statement. Needs CLIENT_MULTI_STATEMENTS.
std::string CollectQuery(const ServerInfo& info);

/// The replica status statement for `flavour`, e.g. "SHOW ALL SLAVES STATUS".
const char* ReplicaStatusStatement(Flavour flavour);

/// Parses a boolean server variable: "1"/"ON"/"YES"/"TRUE" -> true,
/// "0"/"OFF"/"NO"/"FALSE" -> false (case-insensitive). NULL, absent or any
/// other text -> std::nullopt.
std::optional<bool> ParseBool(const std::optional<std::string>& value);

/// Parses a whole decimal number in [min, max] (std::from_chars: no sign
/// other than a leading '-', no spaces, no trailing text). NULL, garbage and
/// out-of-range values -> std::nullopt; never throws.
std::optional<std::int64_t> ParseInteger(const std::optional<std::string>& value, std::int64_t min,
                                         std::int64_t max);

/// Parses one row of SHOW REPLICA STATUS (MySQL >= 8.0.22), SHOW SLAVE
/// STATUS (older MySQL) or SHOW ALL SLAVES STATUS (MariaDB) by column name.
/// Accepts both spellings of every column:
///  * name        <- `Channel_Name` (MySQL) / `Connection_name` (MariaDB); "" default.
///  * source_host <- `Source_Host` / `Master_Host`; "" when NULL or absent.
///  * source_port <- `Source_Port` / `Master_Port`, 1..65535; 0 when unknown or garbage.
///  * io_running  <- `Replica_IO_Running` / `Slave_IO_Running` == "Yes"
///                   ("No", "Connecting" -> false); std::nullopt when absent/NULL.
///  * io_state    <- raw text of that column.
///  * sql_running <- `Replica_SQL_Running` / `Slave_SQL_Running` == "Yes".
///  * lag_seconds <- `Seconds_Behind_Source` / `Seconds_Behind_Master`,
///                   seconds; NULL, negative or garbage -> std::nullopt
///                   (unknown, never 0).
///  * last_io_errno / last_sql_errno <- `Last_IO_Errno` / `Last_SQL_Errno`,
///                   0 when NULL, absent, negative or garbage.
///  * last_io_error / last_sql_error <- `Last_IO_Error` / `Last_SQL_Error`.
///  * gtid_mode   <- `Using_Gtid` (MariaDB) / `Auto_Position` (MySQL); "" when absent.
///  * configured_delay_seconds <- `SQL_Delay`, seconds; NULL, absent or
///                   garbage -> std::nullopt.
/// lag_bytes and last_io_seconds_ago stay std::nullopt (Redis only).
ReplicationChannel ParseReplicaStatusRow(const ColumnMap& row);

/// Replaces every occurrence of `secret` in the channel's free-text error
/// columns (Last_IO_Error, Last_SQL_Error) with "<secret>". Needed because
/// Last_SQL_Error quotes the failed statement, and a replicated
/// `CREATE USER ... IDENTIFIED BY '...'` for the exporter's own user would
/// otherwise carry its password into metrics labels, logs and the API.
/// An empty secret changes nothing.
void RedactSecret(std::string_view secret, ReplicationChannel& channel);

/// The globals row of CollectQuery(), parsed.
struct ServerGlobals {
  std::optional<bool> read_only;           ///< `@@read_only`.
  std::optional<bool> super_read_only;     ///< `@@super_read_only`; MariaDB: std::nullopt.
  std::optional<std::uint32_t> server_id;  ///< `@@server_id`, 0..4294967295.
  std::string server_uuid;                 ///< `@@server_uuid`; "" on MariaDB / NULL.
  std::string gtid_executed;               ///< `@@gtid_executed` / MariaDB `@@gtid_current_pos`.
  std::string gtid_binlog_state;           ///< MariaDB `@@gtid_binlog_state`; "" on MySQL.
  std::string version;                     ///< `@@version`.
};

/// Parses the globals row by the aliases CollectQuery() gives its columns
/// (read_only, super_read_only, server_id, server_uuid, gtid_executed,
/// gtid_binlog_state, version). NULL, absent or garbage values leave the field unknown
/// (std::nullopt / ""); never throws.
ServerGlobals ParseGlobalsRow(const ColumnMap& row);

/// The server accepts writes from ordinary users: read_only is false and
/// super_read_only is not true (unknown super_read_only counts as off,
/// because MariaDB has none). std::nullopt when read_only is unknown.
std::optional<bool> Writable(std::optional<bool> read_only, std::optional<bool> super_read_only);

/// Copies parsed globals into `observation` (read_only, super_read_only,
/// writable, server_id, server_uuid, gtid_executed, version).
void ApplyGlobals(const ServerGlobals& globals, Observation& observation);

}  // namespace dbtopo::mysql
