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

// The words a dialect names replication with.
struct ReplicationWords {
  const char* replica;   // STOP/START <replica>: "REPLICA", "SLAVE".
  const char* source;    // CHANGE <source> TO: "REPLICATION SOURCE", "MASTER".
  const char* key;       // Option prefix: "SOURCE_", "MASTER_".
  const char* position;  // How the replica finds its place: GTID auto-positioning.
  const char* extra;     // Options a statement adds beyond what is described.
};

ReplicationWords WordsOf(SqlDialect dialect) {
  switch (dialect) {
    case SqlDialect::kMariaDb:
      return {"SLAVE", "MASTER", "MASTER_", "MASTER_USE_GTID=slave_pos", ""};
    case SqlDialect::kMysqlModern:
      return {"REPLICA", "REPLICATION SOURCE", "SOURCE_", "SOURCE_AUTO_POSITION=1",
              ", GET_SOURCE_PUBLIC_KEY=1"};
    case SqlDialect::kMysqlLegacy:
      return {"SLAVE", "MASTER", "MASTER_", "MASTER_AUTO_POSITION=1", ""};
  }
  return {"SLAVE", "MASTER", "MASTER_", "MASTER_AUTO_POSITION=1", ""};
}

// CHANGE MASTER / REPLICATION SOURCE <connection> TO host, port, user
// [, password], position [, SSL]. `password` null: left out (for
// descriptions).
std::string ChangeSourceSql(const ReplicationWords& w, const std::string& connection,
                            const NewSource& source, const std::string* password) {
  const std::string key = w.key;
  std::string sql = std::string("CHANGE ") + w.source + connection + " TO " + key + "HOST='" +
                    source.host + "', " + key + "PORT=" + std::to_string(source.port) + ", " + key +
                    "USER='" + source.user + "'";
  if (password != nullptr) sql += ", " + key + "PASSWORD='" + *password + "'";
  sql += std::string(", ") + w.position;
  if (source.tls) sql += ", " + key + "SSL=1";
  return sql;
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
                                    const NewSource& literals, const std::string& password_literal,
                                    bool was_primary) {
  const ReplicationWords w = WordsOf(dialect);
  const std::string replica = w.replica;
  if (dialect == SqlDialect::kMariaDb) {
    const std::string connection = MariaConnection(channel);
    std::vector<std::string> sql = {"STOP " + replica + connection};
    if (was_primary) sql.push_back("SET GLOBAL gtid_slave_pos = @@GLOBAL.gtid_binlog_pos");
    sql.push_back(ChangeSourceSql(w, connection, literals, &password_literal));
    sql.push_back("START " + replica + connection);
    return sql;
  }
  const std::string for_channel = ForChannel(channel);
  return {"STOP " + replica + for_channel, "SET GLOBAL super_read_only=1",
          ChangeSourceSql(w, "", literals, &password_literal) + w.extra + for_channel,
          "START " + replica + for_channel};
}

std::string DescribeRepoint(SqlDialect dialect, const NewSource& source) {
  const ReplicationWords w = WordsOf(dialect);
  return ChangeSourceSql(w, "", source, nullptr) + "; START " + w.replica;
}

}  // namespace dbtopo::remediation
