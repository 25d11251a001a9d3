#include "mysql_sql.h"

#include <cstdio>
#include <tuple>

namespace dbtopo::remediation {
namespace {

// Channel clause pieces. MariaDB names a connection after the verb
// (`STOP SLAVE 'c'`); MySQL appends `FOR CHANNEL 'c'`.
std::string MariaConnection(const std::string& channel) {
  return channel.empty() ? "" : " '" + channel + "'";
}
std::string ForChannel(const std::string& channel) {
  return channel.empty() ? "" : " FOR CHANNEL '" + channel + "'";
}

std::string Seconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", seconds);
  return buf;
}

}  // namespace

SqlDialect DialectFromVersion(std::string_view version) {
  if (version.find("MariaDB") != std::string_view::npos) return SqlDialect::kMariaDb;
  int major = 0, minor = 0, patch = 0;
  const std::string text(version);
  if (std::sscanf(text.c_str(), "%d.%d.%d", &major, &minor, &patch) < 2) {
    return SqlDialect::kMysqlLegacy;
  }
  return std::tie(major, minor, patch) >= std::make_tuple(8, 0, 26) ? SqlDialect::kMysqlModern
                                                                    : SqlDialect::kMysqlLegacy;
}

bool IsGtidText(std::string_view gtid) {
  for (char c : gtid) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                    c == '-' || c == ':' || c == ',' || c == ' ' || c == '\n' || c == '\r' ||
                    c == '\t';
    if (!ok) return false;
  }
  return true;
}

bool IsChannelName(std::string_view name) {
  if (name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string> ReadOnlyOnSql(SqlDialect dialect) {
  if (dialect == SqlDialect::kMariaDb) return {"SET GLOBAL read_only=1"};
  return {"SET GLOBAL super_read_only=1"};
}

std::vector<std::string> ReadOnlyOffSql(SqlDialect dialect) {
  if (dialect == SqlDialect::kMariaDb) return {"SET GLOBAL read_only=0"};
  return {"SET GLOBAL super_read_only=0", "SET GLOBAL read_only=0"};
}

std::string GtidPositionSql(SqlDialect dialect) {
  return dialect == SqlDialect::kMariaDb ? "SELECT @@GLOBAL.gtid_binlog_pos"
                                         : "SELECT @@GLOBAL.gtid_executed";
}

std::string WaitGtidSql(SqlDialect dialect, const std::string& gtid, double seconds) {
  if (dialect == SqlDialect::kMariaDb) {
    return "SELECT MASTER_GTID_WAIT('" + gtid + "', " + Seconds(seconds) + ")";
  }
  return "SELECT WAIT_FOR_EXECUTED_GTID_SET('" + gtid + "', " + Seconds(seconds) + ")";
}

bool WaitGtidReached(const std::optional<std::string>& value) { return value == "0"; }

std::string ContainsGtidSql(SqlDialect dialect, const std::string& gtid) {
  if (dialect == SqlDialect::kMariaDb) {
    return "SELECT IF(MASTER_GTID_WAIT('" + gtid + "', 0.001) = 0, 1, 0)";
  }
  return "SELECT GTID_SUBSET('" + gtid + "', @@GLOBAL.gtid_executed)";
}

std::string LogBinSql() { return "SELECT @@GLOBAL.log_bin"; }

std::string LogReplicaUpdatesSql(SqlDialect dialect) {
  return dialect == SqlDialect::kMysqlModern ? "SELECT @@GLOBAL.log_replica_updates"
                                             : "SELECT @@GLOBAL.log_slave_updates";
}

std::optional<std::string> GtidModeSql(SqlDialect dialect) {
  if (dialect == SqlDialect::kMariaDb) return std::nullopt;
  return "SELECT @@GLOBAL.gtid_mode";
}

std::vector<std::string> PromoteSql(SqlDialect dialect, const std::string& channel) {
  std::vector<std::string> sql;
  switch (dialect) {
    case SqlDialect::kMariaDb:
      sql = {"STOP SLAVE" + MariaConnection(channel),
             "RESET SLAVE" + MariaConnection(channel) + " ALL"};
      break;
    case SqlDialect::kMysqlModern:
      sql = {"STOP REPLICA" + ForChannel(channel), "RESET REPLICA ALL" + ForChannel(channel)};
      break;
    case SqlDialect::kMysqlLegacy:
      sql = {"STOP SLAVE" + ForChannel(channel), "RESET SLAVE ALL" + ForChannel(channel)};
      break;
  }
  for (std::string& s : ReadOnlyOffSql(dialect)) sql.push_back(std::move(s));
  return sql;
}

std::vector<std::string> RepointSql(SqlDialect dialect, const std::string& channel,
                                    const std::string& host_literal, int port,
                                    const std::string& user_literal,
                                    const std::string& password_literal, bool was_primary) {
  const std::string p = std::to_string(port);
  switch (dialect) {
    case SqlDialect::kMariaDb: {
      std::vector<std::string> sql = {"STOP SLAVE" + MariaConnection(channel)};
      if (was_primary) sql.push_back("SET GLOBAL gtid_slave_pos = @@GLOBAL.gtid_binlog_pos");
      sql.push_back("CHANGE MASTER" + MariaConnection(channel) + " TO MASTER_HOST='" +
                    host_literal + "', MASTER_PORT=" + p + ", MASTER_USER='" + user_literal +
                    "', MASTER_PASSWORD='" + password_literal + "', MASTER_USE_GTID=slave_pos");
      sql.push_back("START SLAVE" + MariaConnection(channel));
      return sql;
    }
    case SqlDialect::kMysqlModern:
      return {"STOP REPLICA" + ForChannel(channel), "SET GLOBAL super_read_only=1",
              "CHANGE REPLICATION SOURCE TO SOURCE_HOST='" + host_literal + "', SOURCE_PORT=" + p +
                  ", SOURCE_USER='" + user_literal + "', SOURCE_PASSWORD='" + password_literal +
                  "', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1" + ForChannel(channel),
              "START REPLICA" + ForChannel(channel)};
    case SqlDialect::kMysqlLegacy:
      return {"STOP SLAVE" + ForChannel(channel), "SET GLOBAL super_read_only=1",
              "CHANGE MASTER TO MASTER_HOST='" + host_literal + "', MASTER_PORT=" + p +
                  ", MASTER_USER='" + user_literal + "', MASTER_PASSWORD='" + password_literal +
                  "', MASTER_AUTO_POSITION=1" + ForChannel(channel),
              "START SLAVE" + ForChannel(channel)};
  }
  return {};
}

std::string DescribeRepoint(SqlDialect dialect, const std::string& host, int port,
                            const std::string& user) {
  const std::string p = std::to_string(port);
  switch (dialect) {
    case SqlDialect::kMariaDb:
      return "CHANGE MASTER TO MASTER_HOST='" + host + "', MASTER_PORT=" + p + ", MASTER_USER='" +
             user + "', MASTER_USE_GTID=slave_pos; START SLAVE";
    case SqlDialect::kMysqlModern:
      return "CHANGE REPLICATION SOURCE TO SOURCE_HOST='" + host + "', SOURCE_PORT=" + p +
             ", SOURCE_USER='" + user + "', SOURCE_AUTO_POSITION=1; START REPLICA";
    case SqlDialect::kMysqlLegacy:
      return "CHANGE MASTER TO MASTER_HOST='" + host + "', MASTER_PORT=" + p + ", MASTER_USER='" +
             user + "', MASTER_AUTO_POSITION=1; START SLAVE";
  }
  return "";
}

}  // namespace dbtopo::remediation
