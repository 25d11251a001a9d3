#include "mysql_replica_status.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <limits>
#include <system_error>

#include "dbtopo/base/strings.h"

namespace dbtopo::mysql {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// The value of the first of `names` the row has. A present-but-NULL column
// wins over a later spelling: it is the server's answer, and inventing one from
// another column would be wrong.
const std::optional<std::string>* FindColumn(const ColumnMap& row,
                                             std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    auto it = row.find(name);
    if (it != row.end()) return &it->second;
  }
  return nullptr;
}

// The column's text; "" when absent or NULL.
std::string TextOf(const ColumnMap& row, std::initializer_list<std::string_view> names) {
  const std::optional<std::string>* value = FindColumn(row, names);
  return (value != nullptr && value->has_value()) ? **value : std::string();
}

// The column's value; std::nullopt when absent or NULL.
std::optional<std::string> ValueOf(const ColumnMap& row,
                                   std::initializer_list<std::string_view> names) {
  const std::optional<std::string>* value = FindColumn(row, names);
  return value != nullptr ? *value : std::nullopt;
}

// Thread states are "Yes", "No" or "Connecting" (IO thread, while it retries
// the source). Only "Yes" is running; std::nullopt when the server did not say.
std::optional<bool> ThreadRunning(const std::optional<std::string>& state) {
  if (!state.has_value()) return std::nullopt;
  return *state == "Yes";
}

// An errno column; 0 ("none") when the server gave nothing usable. MySQL
// error numbers are small positive ints.
int ErrnoOf(const ColumnMap& row, std::string_view name) {
  return static_cast<int>(
      ParseInteger(ValueOf(row, {name}), 0, std::numeric_limits<int>::max()).value_or(0));
}

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

bool AtLeast(const ServerInfo& info, ServerVersion minimum) {
  return info.version.has_value() && *info.version >= minimum;
}

// Part of a SELECT list: "<expression> AS `alias`", or NULL when the server is
// too old to have the variable (an unknown variable would fail the whole
// multi-statement query and take the target down).
std::string SelectItem(bool available, std::string_view expression, std::string_view alias) {
  std::string item(available ? expression : "NULL");
  item += " AS `";
  item += alias;
  item += '`';
  return item;
}

}  // namespace

bool ColumnNameLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return AsciiLower(x) < AsciiLower(y); });
}

std::optional<ServerVersion> ParseServerVersion(std::string_view version) {
  ServerVersion parsed;
  const char* p = version.data();
  const char* end = p + version.size();
  int* parts[] = {&parsed.major, &parsed.minor, &parsed.patch};
  for (size_t i = 0; i < 3; ++i) {
    if (i > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    auto [next, ec] = std::from_chars(p, end, *parts[i]);
    if (ec != std::errc() || *parts[i] < 0) return std::nullopt;
    p = next;
  }
  return parsed;
}

ServerInfo DetectServerInfo(std::string_view version) {
  ServerInfo info;
  if (version.find("MariaDB") != std::string_view::npos) {
    // MariaDB once sent "5.5.5-10.x.y-MariaDB" so that old MySQL replicas
    // would accept it; the real version follows the prefix.
    constexpr std::string_view kCompatPrefix = "5.5.5-";
    if (version.starts_with(kCompatPrefix)) version.remove_prefix(kCompatPrefix.size());
    info.flavour = Flavour::kMariaDb;
    info.version = ParseServerVersion(version);
    return info;
  }
  info.version = ParseServerVersion(version);
  info.flavour = AtLeast(info, {8, 0, 22}) ? Flavour::kMysqlReplica : Flavour::kMysqlLegacy;
  return info;
}

const char* ReplicaStatusStatement(Flavour flavour) {
  switch (flavour) {
    case Flavour::kMariaDb:
      // ALL: every named connection (multi-source), not just the default one.
      return "SHOW ALL SLAVES STATUS";
    case Flavour::kMysqlReplica:
      return "SHOW REPLICA STATUS";
    case Flavour::kMysqlLegacy:
      return "SHOW SLAVE STATUS";
  }
  return "SHOW SLAVE STATUS";
}

std::string CollectQuery(const ServerInfo& info) {
  const bool mariadb = info.flavour == Flavour::kMariaDb;
  // MySQL 5.6 introduced server_uuid and GTIDs, 5.7.8 super_read_only;
  // MariaDB has neither super_read_only nor server_uuid, and spells its GTID
  // state gtid_current_pos.
  const bool has_uuid = !mariadb && AtLeast(info, {5, 6, 0});
  const bool has_gtid = mariadb || AtLeast(info, {5, 6, 5});
  const bool has_super_read_only = !mariadb && AtLeast(info, {5, 7, 8});
  std::string query = "SELECT ";
  query += SelectItem(true, "@@global.read_only", "read_only") + ", ";
  query += SelectItem(has_super_read_only, "@@global.super_read_only", "super_read_only") + ", ";
  query += SelectItem(true, "@@global.server_id", "server_id") + ", ";
  query += SelectItem(has_uuid, "@@global.server_uuid", "server_uuid") + ", ";
  query += SelectItem(has_gtid, mariadb ? "@@global.gtid_current_pos" : "@@global.gtid_executed",
                      "gtid_executed") +
           ", ";
  query += SelectItem(mariadb, "@@global.gtid_binlog_state", "gtid_binlog_state") + ", ";
  query += SelectItem(true, "@@global.version", "version");
  query += "; ";
  query += ReplicaStatusStatement(info.flavour);
  return query;
}

std::optional<bool> ParseBool(const std::optional<std::string>& value) {
  if (!value.has_value()) return std::nullopt;
  for (std::string_view yes : {"1", "ON", "YES", "TRUE"}) {
    if (EqualsIgnoreCase(*value, yes)) return true;
  }
  for (std::string_view no : {"0", "OFF", "NO", "FALSE"}) {
    if (EqualsIgnoreCase(*value, no)) return false;
  }
  return std::nullopt;
}

std::optional<std::int64_t> ParseInteger(const std::optional<std::string>& value, std::int64_t min,
                                         std::int64_t max) {
  if (!value.has_value() || value->empty()) return std::nullopt;
  const char* begin = value->data();
  const char* end = begin + value->size();
  std::int64_t parsed = 0;
  auto [next, ec] = std::from_chars(begin, end, parsed);
  // Trailing text ("12abc", "1.5") is garbage, not a number with a suffix.
  if (ec != std::errc() || next != end) return std::nullopt;
  if (parsed < min || parsed > max) return std::nullopt;
  return parsed;
}

ReplicationChannel ParseReplicaStatusRow(const ColumnMap& row) {
  ReplicationChannel channel;
  channel.name = TextOf(row, {"Channel_Name", "Connection_name"});
  channel.source_host = TextOf(row, {"Source_Host", "Master_Host"});
  channel.source_port = static_cast<int>(
      ParseInteger(ValueOf(row, {"Source_Port", "Master_Port"}), 1, 65535).value_or(0));

  std::optional<std::string> io_state = ValueOf(row, {"Replica_IO_Running", "Slave_IO_Running"});
  channel.io_running = ThreadRunning(io_state);
  channel.io_state = io_state.value_or("");
  channel.sql_running = ThreadRunning(ValueOf(row, {"Replica_SQL_Running", "Slave_SQL_Running"}));

  // NULL means the SQL thread is stopped or the IO thread is not connected:
  // the lag is unknown, which is different from (and worse than) 0.
  std::optional<std::int64_t> lag =
      ParseInteger(ValueOf(row, {"Seconds_Behind_Source", "Seconds_Behind_Master"}), 0,
                   std::numeric_limits<std::int64_t>::max());
  if (lag.has_value()) channel.lag_seconds = static_cast<double>(*lag);
  // MASTER_DELAY / SOURCE_DELAY; every server since MySQL 5.6 and MariaDB
  // 10.2.3 reports it, 0 when none.
  std::optional<std::int64_t> delay =
      ParseInteger(ValueOf(row, {"SQL_Delay"}), 0, std::numeric_limits<std::int64_t>::max());
  if (delay.has_value()) channel.configured_delay_seconds = static_cast<double>(*delay);

  channel.last_io_errno = ErrnoOf(row, "Last_IO_Errno");
  channel.last_io_error = TextOf(row, {"Last_IO_Error"});
  channel.last_sql_errno = ErrnoOf(row, "Last_SQL_Errno");
  channel.last_sql_error = TextOf(row, {"Last_SQL_Error"});
  channel.gtid_mode = TextOf(row, {"Using_Gtid", "Auto_Position"});
  return channel;
}

void RedactSecret(std::string_view secret, ReplicationChannel& channel) {
  if (secret.empty()) return;
  ReplaceAll(channel.last_io_error, secret, "<secret>");
  ReplaceAll(channel.last_sql_error, secret, "<secret>");
}

ServerGlobals ParseGlobalsRow(const ColumnMap& row) {
  ServerGlobals globals;
  globals.read_only = ParseBool(ValueOf(row, {"read_only"}));
  globals.super_read_only = ParseBool(ValueOf(row, {"super_read_only"}));
  std::optional<std::int64_t> server_id =
      ParseInteger(ValueOf(row, {"server_id"}), 0, std::numeric_limits<std::uint32_t>::max());
  if (server_id.has_value()) globals.server_id = static_cast<std::uint32_t>(*server_id);
  globals.server_uuid = TextOf(row, {"server_uuid"});
  // MySQL breaks long GTID sets over lines ("uuid:1-5,\nuuid:1-3"); the
  // newlines carry no meaning and would only make equal sets compare unequal.
  globals.gtid_executed = TextOf(row, {"gtid_executed"});
  std::erase(globals.gtid_executed, '\n');
  globals.gtid_binlog_state = TextOf(row, {"gtid_binlog_state"});
  globals.version = TextOf(row, {"version"});
  return globals;
}

std::optional<bool> Writable(std::optional<bool> read_only, std::optional<bool> super_read_only) {
  if (!read_only.has_value()) return std::nullopt;
  return !*read_only && super_read_only != true;
}

void ApplyGlobals(const ServerGlobals& globals, Observation& observation) {
  observation.read_only = globals.read_only;
  observation.super_read_only = globals.super_read_only;
  observation.writable = Writable(globals.read_only, globals.super_read_only);
  observation.server_id = globals.server_id;
  observation.server_uuid = globals.server_uuid;
  observation.gtid_executed = globals.gtid_executed;
  observation.gtid_binlog_state = globals.gtid_binlog_state;
  observation.version = globals.version;
}

}  // namespace dbtopo::mysql
