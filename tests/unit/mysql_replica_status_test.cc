// Unit tests of the pure MySQL/MariaDB result parsers. Rows are copied from
// real servers (MariaDB 10.11 SHOW ALL SLAVES STATUS, MySQL 8.4 SHOW REPLICA
// STATUS, MySQL 5.7 SHOW SLAVE STATUS) so that look-alike columns
// (Slave_SQL_Running_State, Last_Errno, Source_SSL_*) are present too.

#include "mysql_replica_status.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

namespace dbtopo::mysql {
namespace {

using Cell = std::pair<const char*, std::optional<std::string>>;

ColumnMap Row(std::initializer_list<Cell> cells) {
  ColumnMap row;
  for (const Cell& cell : cells) row.emplace(cell.first, cell.second);
  return row;
}

// A MariaDB 10.11 SHOW ALL SLAVES STATUS row, as a healthy default connection
// returns it. Tests overwrite the columns they are about.
ColumnMap MariaDbRow() {
  return Row({
      {"Connection_name", ""},
      {"Slave_SQL_State", "Slave has read all relay log; waiting for more updates"},
      {"Slave_IO_State", "Waiting for master to send event"},
      {"Master_Host", "10.0.0.5"},
      {"Master_User", "repl"},
      {"Master_Port", "3306"},
      {"Connect_Retry", "60"},
      {"Master_Log_File", "bin.000001"},
      {"Read_Master_Log_Pos", "1405"},
      {"Relay_Log_File", "r-relay-bin.000002"},
      {"Relay_Log_Pos", "615"},
      {"Relay_Master_Log_File", "bin.000001"},
      {"Slave_IO_Running", "Yes"},
      {"Slave_SQL_Running", "Yes"},
      {"Replicate_Do_DB", ""},
      {"Replicate_Ignore_DB", ""},
      {"Last_Errno", "0"},
      {"Last_Error", ""},
      {"Skip_Counter", "0"},
      {"Exec_Master_Log_Pos", "1405"},
      {"Relay_Log_Space", "2003"},
      {"Until_Condition", "None"},
      {"Master_SSL_Allowed", "No"},
      {"Seconds_Behind_Master", "0"},
      {"Master_SSL_Verify_Server_Cert", "No"},
      {"Last_IO_Errno", "0"},
      {"Last_IO_Error", ""},
      {"Last_SQL_Errno", "0"},
      {"Last_SQL_Error", ""},
      {"Replicate_Ignore_Server_Ids", ""},
      {"Master_Server_Id", "1"},
      {"Using_Gtid", "Slave_Pos"},
      {"Gtid_IO_Pos", "0-1-7"},
      {"Parallel_Mode", "optimistic"},
      {"SQL_Delay", "0"},
      {"SQL_Remaining_Delay", std::nullopt},
      {"Slave_SQL_Running_State", "Slave has read all relay log; waiting for more updates"},
      {"Slave_DDL_Groups", "1"},
      {"Retried_transactions", "0"},
      {"Max_relay_log_size", "1073741824"},
      {"Executed_log_entries", "9"},
      {"Slave_received_heartbeats", "0"},
      {"Slave_heartbeat_period", "30.000"},
      {"Gtid_Slave_Pos", "0-1-7"},
  });
}

// A MySQL 8.4 SHOW REPLICA STATUS row of a healthy named channel.
ColumnMap Mysql84Row() {
  return Row({
      {"Replica_IO_State", "Waiting for source to send event"},
      {"Source_Host", "orders-mysql-0.orders-mysql-headless"},
      {"Source_User", "repl"},
      {"Source_Port", "3306"},
      {"Connect_Retry", "60"},
      {"Source_Log_File", "binlog.000003"},
      {"Read_Source_Log_Pos", "197"},
      {"Relay_Log_File", "relay.000004"},
      {"Relay_Log_Pos", "413"},
      {"Relay_Source_Log_File", "binlog.000003"},
      {"Replica_IO_Running", "Yes"},
      {"Replica_SQL_Running", "Yes"},
      {"Last_Errno", "0"},
      {"Last_Error", ""},
      {"Exec_Source_Log_Pos", "197"},
      {"Source_SSL_Allowed", "No"},
      {"Seconds_Behind_Source", "12"},
      {"Source_SSL_Verify_Server_Cert", "No"},
      {"Last_IO_Errno", "0"},
      {"Last_IO_Error", ""},
      {"Last_SQL_Errno", "0"},
      {"Last_SQL_Error", ""},
      {"Source_Server_Id", "1"},
      {"Source_UUID", "5e2f4c3a-0000-11ef-9d7a-0242ac120002"},
      {"SQL_Delay", "0"},
      {"SQL_Remaining_Delay", std::nullopt},
      {"Replica_SQL_Running_State", "Replica has read all relay log; waiting for more updates"},
      {"Source_Retry_Count", "10"},
      {"Last_IO_Error_Timestamp", ""},
      {"Last_SQL_Error_Timestamp", ""},
      {"Retrieved_Gtid_Set", "5e2f4c3a-0000-11ef-9d7a-0242ac120002:1-20"},
      {"Executed_Gtid_Set", "5e2f4c3a-0000-11ef-9d7a-0242ac120002:1-20"},
      {"Auto_Position", "1"},
      {"Replicate_Rewrite_DB", ""},
      {"Channel_Name", "from_dc1"},
      {"Source_TLS_Version", ""},
      {"Get_Source_public_key", "0"},
      {"Network_Namespace", ""},
  });
}

// A MySQL 5.7 SHOW SLAVE STATUS row (default channel).
ColumnMap Mysql57Row() {
  return Row({
      {"Slave_IO_State", "Waiting for master to send event"},
      {"Master_Host", "10.0.0.7"},
      {"Master_User", "repl"},
      {"Master_Port", "3307"},
      {"Slave_IO_Running", "Yes"},
      {"Slave_SQL_Running", "Yes"},
      {"Last_Errno", "0"},
      {"Seconds_Behind_Master", "3"},
      {"Last_IO_Errno", "0"},
      {"Last_IO_Error", ""},
      {"Last_SQL_Errno", "0"},
      {"Last_SQL_Error", ""},
      {"Master_UUID", "1b7c2a90-0000-11ef-9d7a-0242ac120003"},
      {"Slave_SQL_Running_State", "Slave has read all relay log; waiting for more updates"},
      {"Auto_Position", "0"},
      {"Channel_Name", ""},
      {"Master_TLS_Version", ""},
  });
}

TEST(ParseReplicaStatusRowTest, MariaDbHealthyDefaultConnection) {
  ReplicationChannel channel = ParseReplicaStatusRow(MariaDbRow());
  EXPECT_EQ(channel.name, "");
  EXPECT_EQ(channel.source_host, "10.0.0.5");
  EXPECT_EQ(channel.source_port, 3306);
  EXPECT_EQ(channel.io_running, true);
  EXPECT_EQ(channel.io_state, "Yes");
  EXPECT_EQ(channel.sql_running, true);
  ASSERT_TRUE(channel.lag_seconds.has_value());
  EXPECT_EQ(*channel.lag_seconds, 0.0);
  EXPECT_EQ(channel.last_io_errno, 0);
  EXPECT_EQ(channel.last_sql_errno, 0);
  EXPECT_EQ(channel.gtid_mode, "Slave_Pos");
  EXPECT_FALSE(channel.lag_bytes.has_value());
  EXPECT_FALSE(channel.last_io_seconds_ago.has_value());
}

TEST(ParseReplicaStatusRowTest, MariaDbSeveralConnectionNames) {
  ColumnMap healthy = MariaDbRow();

  // What 10.11 reports for a connection whose source refuses TCP.
  ColumnMap connecting = MariaDbRow();
  connecting["Connection_name"] = "alt";
  connecting["Master_Host"] = "127.0.0.1";
  connecting["Master_Port"] = "1";
  connecting["Slave_IO_State"] = "Connecting to master";
  connecting["Slave_IO_Running"] = "Connecting";
  connecting["Seconds_Behind_Master"] = std::nullopt;
  connecting["Last_IO_Errno"] = "2003";
  connecting["Last_IO_Error"] =
      "error connecting to master 'repl@127.0.0.1:1' - retry-time: 1  maximum-retries: 100000  "
      "message: Can't connect to server on '127.0.0.1' (111 \"Connection refused\")";

  ColumnMap dup_key = MariaDbRow();
  dup_key["Connection_name"] = "dc2";
  dup_key["Master_Host"] = "10.0.1.9";
  dup_key["Slave_SQL_Running"] = "No";
  dup_key["Seconds_Behind_Master"] = std::nullopt;
  dup_key["Last_Errno"] = "1062";
  dup_key["Last_SQL_Errno"] = "1062";
  dup_key["Last_SQL_Error"] = "Could not execute Write_rows_v1 event on table t.a; Duplicate entry";
  dup_key["Using_Gtid"] = "Current_Pos";

  ReplicationChannel a = ParseReplicaStatusRow(healthy);
  ReplicationChannel b = ParseReplicaStatusRow(connecting);
  ReplicationChannel c = ParseReplicaStatusRow(dup_key);

  EXPECT_EQ(a.name, "");
  EXPECT_EQ(b.name, "alt");
  EXPECT_EQ(c.name, "dc2");

  EXPECT_EQ(b.source_port, 1);
  EXPECT_EQ(b.io_running, false);
  EXPECT_EQ(b.io_state, "Connecting");
  EXPECT_EQ(b.sql_running, true);
  EXPECT_FALSE(b.lag_seconds.has_value());
  EXPECT_EQ(b.last_io_errno, 2003);
  EXPECT_NE(b.last_io_error.find("Connection refused"), std::string::npos);

  EXPECT_EQ(c.source_host, "10.0.1.9");
  EXPECT_EQ(c.io_running, true);
  EXPECT_EQ(c.sql_running, false);
  EXPECT_FALSE(c.lag_seconds.has_value());
  EXPECT_EQ(c.last_sql_errno, 1062);
  EXPECT_EQ(c.last_io_errno, 0);
  EXPECT_NE(c.last_sql_error.find("Duplicate entry"), std::string::npos);
  EXPECT_EQ(c.gtid_mode, "Current_Pos");
}

TEST(ParseReplicaStatusRowTest, Mysql84ReplicaSourceNamesWithChannel) {
  ReplicationChannel channel = ParseReplicaStatusRow(Mysql84Row());
  EXPECT_EQ(channel.name, "from_dc1");
  EXPECT_EQ(channel.source_host, "orders-mysql-0.orders-mysql-headless");
  EXPECT_EQ(channel.source_port, 3306);
  EXPECT_EQ(channel.io_running, true);
  EXPECT_EQ(channel.sql_running, true);
  ASSERT_TRUE(channel.lag_seconds.has_value());
  EXPECT_EQ(*channel.lag_seconds, 12.0);
  EXPECT_EQ(channel.gtid_mode, "1");
}

TEST(ParseReplicaStatusRowTest, OldMysqlSlaveMasterNames) {
  ReplicationChannel channel = ParseReplicaStatusRow(Mysql57Row());
  EXPECT_EQ(channel.name, "");
  EXPECT_EQ(channel.source_host, "10.0.0.7");
  EXPECT_EQ(channel.source_port, 3307);
  EXPECT_EQ(channel.io_running, true);
  EXPECT_EQ(channel.sql_running, true);
  ASSERT_TRUE(channel.lag_seconds.has_value());
  EXPECT_EQ(*channel.lag_seconds, 3.0);
  EXPECT_EQ(channel.gtid_mode, "0");
}

TEST(ParseReplicaStatusRowTest, SqlDelayIsTheConfiguredDelay) {
  ColumnMap row = Mysql84Row();
  EXPECT_EQ(ParseReplicaStatusRow(row).configured_delay_seconds, 0.0);
  row["SQL_Delay"] = "3600";
  EXPECT_EQ(ParseReplicaStatusRow(row).configured_delay_seconds, 3600.0);
  row["SQL_Delay"] = std::nullopt;
  EXPECT_EQ(ParseReplicaStatusRow(row).configured_delay_seconds, std::nullopt);
  row["SQL_Delay"] = "-1";
  EXPECT_EQ(ParseReplicaStatusRow(row).configured_delay_seconds, std::nullopt);
}

TEST(ParseReplicaStatusRowTest, NullSecondsBehindIsUnknownNotZero) {
  ColumnMap mariadb = MariaDbRow();
  mariadb["Seconds_Behind_Master"] = std::nullopt;
  EXPECT_EQ(ParseReplicaStatusRow(mariadb).lag_seconds, std::nullopt);

  ColumnMap mysql = Mysql84Row();
  mysql["Seconds_Behind_Source"] = std::nullopt;
  EXPECT_EQ(ParseReplicaStatusRow(mysql).lag_seconds, std::nullopt);
}

TEST(ParseReplicaStatusRowTest, ConnectingIoThreadWithErrno2003) {
  ColumnMap row = Mysql84Row();
  row["Replica_IO_State"] = "Connecting to source";
  row["Replica_IO_Running"] = "Connecting";
  row["Seconds_Behind_Source"] = std::nullopt;
  row["Last_IO_Errno"] = "2003";
  row["Last_IO_Error"] =
      "Error connecting to source 'repl@orders-mysql-1:3306'. This was attempt 3/10, with a delay "
      "of 60 seconds between attempts. Message: Can't connect to MySQL server on "
      "'orders-mysql-1:3306' (111)";
  ReplicationChannel channel = ParseReplicaStatusRow(row);
  EXPECT_EQ(channel.io_running, false);
  EXPECT_EQ(channel.io_state, "Connecting");
  EXPECT_EQ(channel.sql_running, true);
  EXPECT_EQ(channel.last_io_errno, 2003);
  EXPECT_NE(channel.last_io_error.find("orders-mysql-1:3306"), std::string::npos);
  EXPECT_FALSE(channel.lag_seconds.has_value());
}

TEST(ParseReplicaStatusRowTest, SqlThreadStoppedOnDuplicateKey) {
  ColumnMap row = Mysql57Row();
  row["Slave_SQL_Running"] = "No";
  row["Seconds_Behind_Master"] = std::nullopt;
  row["Last_Errno"] = "1062";
  row["Last_SQL_Errno"] = "1062";
  row["Last_SQL_Error"] =
      "Could not execute Write_rows event on table shop.orders; Duplicate entry '42' for key "
      "'PRIMARY', Error_code: 1062";
  ReplicationChannel channel = ParseReplicaStatusRow(row);
  EXPECT_EQ(channel.io_running, true);
  EXPECT_EQ(channel.sql_running, false);
  EXPECT_EQ(channel.last_sql_errno, 1062);
  EXPECT_EQ(channel.last_io_errno, 0);
  EXPECT_FALSE(channel.lag_seconds.has_value());
}

TEST(ParseReplicaStatusRowTest, IoThreadNoIsNotRunning) {
  ColumnMap row = MariaDbRow();
  row["Slave_IO_Running"] = "No";
  ReplicationChannel channel = ParseReplicaStatusRow(row);
  EXPECT_EQ(channel.io_running, false);
  EXPECT_EQ(channel.io_state, "No");
}

TEST(ParseReplicaStatusRowTest, MissingColumnsAreUnknown) {
  ReplicationChannel channel = ParseReplicaStatusRow(ColumnMap());
  EXPECT_EQ(channel.name, "");
  EXPECT_EQ(channel.source_host, "");
  EXPECT_EQ(channel.source_port, 0);
  EXPECT_EQ(channel.io_running, std::nullopt);
  EXPECT_EQ(channel.io_state, "");
  EXPECT_EQ(channel.sql_running, std::nullopt);
  EXPECT_EQ(channel.lag_seconds, std::nullopt);
  EXPECT_EQ(channel.last_io_errno, 0);
  EXPECT_EQ(channel.last_sql_errno, 0);
  EXPECT_EQ(channel.gtid_mode, "");
}

TEST(ParseReplicaStatusRowTest, NullThreadStateIsUnknown) {
  ColumnMap row = Mysql84Row();
  row["Replica_IO_Running"] = std::nullopt;
  row["Replica_SQL_Running"] = std::nullopt;
  ReplicationChannel channel = ParseReplicaStatusRow(row);
  EXPECT_EQ(channel.io_running, std::nullopt);
  EXPECT_EQ(channel.sql_running, std::nullopt);
}

TEST(ParseReplicaStatusRowTest, LookAlikeColumnsAreNotUsed) {
  // Only the look-alikes are present: Slave_SQL_Running_State is not
  // Slave_SQL_Running, Last_Errno is not Last_SQL_Errno.
  ColumnMap row = Row({
      {"Slave_SQL_Running_State", "Yes"},
      {"Last_Errno", "1062"},
      {"Master_SSL_Allowed", "Yes"},
  });
  ReplicationChannel channel = ParseReplicaStatusRow(row);
  EXPECT_EQ(channel.sql_running, std::nullopt);
  EXPECT_EQ(channel.last_sql_errno, 0);
}

TEST(ParseReplicaStatusRowTest, ColumnNamesAreCaseInsensitive) {
  ColumnMap row = Row({
      {"CHANNEL_NAME", "c1"},
      {"source_host", "db1"},
      {"SOURCE_PORT", "3306"},
      {"replica_io_running", "Yes"},
  });
  ReplicationChannel channel = ParseReplicaStatusRow(row);
  EXPECT_EQ(channel.name, "c1");
  EXPECT_EQ(channel.source_host, "db1");
  EXPECT_EQ(channel.source_port, 3306);
  EXPECT_EQ(channel.io_running, true);
}

TEST(ParseReplicaStatusRowTest, GarbageNumbersDoNotThrowOrInventValues) {
  struct Case {
    const char* port;
    const char* lag;
    const char* io_errno;
  };
  for (const Case& c :
       {Case{"abc", "abc", "abc"}, Case{"70000", "-5", "-2003"}, Case{"-1", "12abc", "2003x"},
        Case{"", "", ""}, Case{"3306 ", " 7", "99999999999999999999"}, Case{"0", "1.5", "1e3"},
        Case{"99999999999999999999", "99999999999999999999", "+5"}}) {
    SCOPED_TRACE(std::string(c.port) + " / " + c.lag + " / " + c.io_errno);
    ColumnMap row = Mysql84Row();
    row["Source_Port"] = c.port;
    row["Seconds_Behind_Source"] = c.lag;
    row["Last_IO_Errno"] = c.io_errno;
    ReplicationChannel channel;
    ASSERT_NO_THROW(channel = ParseReplicaStatusRow(row));
    EXPECT_EQ(channel.source_port, 0);
    EXPECT_EQ(channel.lag_seconds, std::nullopt);
    EXPECT_EQ(channel.last_io_errno, 0);
  }
}

TEST(RedactSecretTest, RemovesPasswordFromErrorText) {
  ReplicationChannel channel;
  channel.last_sql_error =
      "Error 'Operation CREATE USER failed for 'exporter'@'%'' on query. Query: 'CREATE USER "
      "'exporter'@'%' IDENTIFIED BY 'S3cr3t-pw!' /* S3cr3t-pw! */'";
  channel.last_io_error = "S3cr3t-pw!";
  RedactSecret("S3cr3t-pw!", channel);
  EXPECT_EQ(channel.last_sql_error.find("S3cr3t-pw!"), std::string::npos);
  EXPECT_NE(channel.last_sql_error.find("IDENTIFIED BY '<secret>' /* <secret> */"),
            std::string::npos);
  EXPECT_EQ(channel.last_io_error, "<secret>");
}

TEST(RedactSecretTest, EmptySecretChangesNothing) {
  ReplicationChannel channel;
  channel.last_sql_error = "Duplicate entry";
  RedactSecret("", channel);
  EXPECT_EQ(channel.last_sql_error, "Duplicate entry");
}

TEST(ParseGlobalsRowTest, MariaDbWithoutSuperReadOnlyOrUuid) {
  ColumnMap row = Row({
      {"read_only", "1"},
      {"super_read_only", std::nullopt},
      {"server_id", "2"},
      {"server_uuid", std::nullopt},
      {"gtid_executed", "0-1-7"},
      {"version", "10.11.19-MariaDB-0+deb12u1-log"},
  });
  ServerGlobals globals = ParseGlobalsRow(row);
  EXPECT_EQ(globals.read_only, true);
  EXPECT_EQ(globals.super_read_only, std::nullopt);
  EXPECT_EQ(globals.server_id, 2u);
  EXPECT_EQ(globals.server_uuid, "");
  EXPECT_EQ(globals.gtid_executed, "0-1-7");
  EXPECT_EQ(globals.version, "10.11.19-MariaDB-0+deb12u1-log");

  Observation observation;
  ApplyGlobals(globals, observation);
  EXPECT_EQ(observation.writable, false);
  EXPECT_EQ(observation.read_only, true);
  EXPECT_EQ(observation.server_id, 2u);
  EXPECT_EQ(observation.version, "10.11.19-MariaDB-0+deb12u1-log");
}

TEST(ParseGlobalsRowTest, MariaDbPrimaryIsWritable) {
  Observation observation;
  ApplyGlobals(ParseGlobalsRow(Row({{"read_only", "0"}, {"server_id", "1"}})), observation);
  EXPECT_EQ(observation.writable, true);
  EXPECT_EQ(observation.super_read_only, std::nullopt);
}

TEST(ParseGlobalsRowTest, MysqlRowWithUuidAndMultilineGtidSet) {
  ColumnMap row = Row({
      {"read_only", "1"},
      {"super_read_only", "1"},
      {"server_id", "4294967295"},
      {"server_uuid", "5e2f4c3a-0000-11ef-9d7a-0242ac120002"},
      {"gtid_executed",
       "1b7c2a90-0000-11ef-9d7a-0242ac120003:1-5,\n5e2f4c3a-0000-11ef-9d7a-0242ac120002:1-20"},
      {"version", "8.4.0"},
  });
  ServerGlobals globals = ParseGlobalsRow(row);
  EXPECT_EQ(globals.super_read_only, true);
  EXPECT_EQ(globals.server_id, 4294967295u);
  EXPECT_EQ(globals.server_uuid, "5e2f4c3a-0000-11ef-9d7a-0242ac120002");
  EXPECT_EQ(globals.gtid_executed,
            "1b7c2a90-0000-11ef-9d7a-0242ac120003:1-5,5e2f4c3a-0000-11ef-9d7a-0242ac120002:1-20");
}

TEST(ParseGlobalsRowTest, GarbageAndMissingValuesAreUnknown) {
  for (const char* bad_id : {"4294967296", "-1", "x", "", "1.0"}) {
    SCOPED_TRACE(bad_id);
    ServerGlobals globals = ParseGlobalsRow(Row({{"read_only", "maybe"}, {"server_id", bad_id}}));
    EXPECT_EQ(globals.server_id, std::nullopt);
    EXPECT_EQ(globals.read_only, std::nullopt);
  }
  ServerGlobals empty = ParseGlobalsRow(ColumnMap());
  EXPECT_EQ(empty.read_only, std::nullopt);
  EXPECT_EQ(empty.server_id, std::nullopt);
  EXPECT_EQ(empty.version, "");
  Observation observation;
  ApplyGlobals(empty, observation);
  EXPECT_EQ(observation.writable, std::nullopt);
}

TEST(ParseBoolTest, AcceptsServerSpellings) {
  EXPECT_EQ(ParseBool("1"), true);
  EXPECT_EQ(ParseBool("ON"), true);
  EXPECT_EQ(ParseBool("on"), true);
  EXPECT_EQ(ParseBool("YES"), true);
  EXPECT_EQ(ParseBool("0"), false);
  EXPECT_EQ(ParseBool("OFF"), false);
  EXPECT_EQ(ParseBool("Off"), false);
  EXPECT_EQ(ParseBool("no"), false);
  EXPECT_EQ(ParseBool(std::nullopt), std::nullopt);
  EXPECT_EQ(ParseBool(""), std::nullopt);
  EXPECT_EQ(ParseBool("2"), std::nullopt);
  EXPECT_EQ(ParseBool("ONN"), std::nullopt);
}

TEST(WritableTest, ReadOnlyAndSuperReadOnly) {
  EXPECT_EQ(Writable(false, std::nullopt), true);  // MariaDB primary.
  EXPECT_EQ(Writable(false, false), true);
  EXPECT_EQ(Writable(true, false), false);
  EXPECT_EQ(Writable(true, true), false);
  EXPECT_EQ(Writable(false, true), false);  // Not a state MySQL allows; stay safe.
  EXPECT_EQ(Writable(std::nullopt, false), std::nullopt);
  EXPECT_EQ(Writable(std::nullopt, std::nullopt), std::nullopt);
}

TEST(ParseIntegerTest, BoundsAndGarbage) {
  EXPECT_EQ(ParseInteger("42", 0, 100), 42);
  EXPECT_EQ(ParseInteger("0", 0, 100), 0);
  EXPECT_EQ(ParseInteger("100", 0, 100), 100);
  EXPECT_EQ(ParseInteger("101", 0, 100), std::nullopt);
  EXPECT_EQ(ParseInteger("-1", 0, 100), std::nullopt);
  EXPECT_EQ(ParseInteger("-1", -5, 100), -1);
  EXPECT_EQ(ParseInteger("9223372036854775808", 0, INT64_MAX), std::nullopt);
  EXPECT_EQ(ParseInteger("42 ", 0, 100), std::nullopt);
  EXPECT_EQ(ParseInteger(std::nullopt, 0, 100), std::nullopt);
}

TEST(DetectServerInfoTest, Flavours) {
  ServerInfo mariadb = DetectServerInfo("10.11.19-MariaDB-0+deb12u1-log");
  EXPECT_EQ(mariadb.flavour, Flavour::kMariaDb);
  EXPECT_EQ(mariadb.version, (ServerVersion{10, 11, 19}));

  ServerInfo compat = DetectServerInfo("5.5.5-10.6.1-MariaDB");
  EXPECT_EQ(compat.flavour, Flavour::kMariaDb);
  EXPECT_EQ(compat.version, (ServerVersion{10, 6, 1}));

  EXPECT_EQ(DetectServerInfo("8.0.22").flavour, Flavour::kMysqlReplica);
  EXPECT_EQ(DetectServerInfo("8.4.0").flavour, Flavour::kMysqlReplica);
  EXPECT_EQ(DetectServerInfo("9.1.0-commercial").flavour, Flavour::kMysqlReplica);
  EXPECT_EQ(DetectServerInfo("8.0.36-28").flavour, Flavour::kMysqlReplica);
  EXPECT_EQ(DetectServerInfo("8.0.21-log").flavour, Flavour::kMysqlLegacy);
  EXPECT_EQ(DetectServerInfo("5.7.44-log").flavour, Flavour::kMysqlLegacy);

  ServerInfo garbage = DetectServerInfo("garbage");
  EXPECT_EQ(garbage.flavour, Flavour::kMysqlLegacy);
  EXPECT_EQ(garbage.version, std::nullopt);
  EXPECT_EQ(ParseServerVersion("8.0"), std::nullopt);
  EXPECT_EQ(ParseServerVersion(""), std::nullopt);
}

TEST(CollectQueryTest, MariaDb) {
  std::string query = CollectQuery(DetectServerInfo("10.11.19-MariaDB"));
  EXPECT_NE(query.find("@@global.gtid_current_pos AS `gtid_executed`"), std::string::npos);
  EXPECT_NE(query.find("@@global.gtid_binlog_state AS `gtid_binlog_state`"), std::string::npos);
  EXPECT_NE(query.find("NULL AS `super_read_only`"), std::string::npos);
  EXPECT_NE(query.find("NULL AS `server_uuid`"), std::string::npos);
  EXPECT_TRUE(query.ends_with("; SHOW ALL SLAVES STATUS")) << query;
}

TEST(CollectQueryTest, Mysql84) {
  std::string query = CollectQuery(DetectServerInfo("8.4.0"));
  EXPECT_NE(query.find("@@global.super_read_only AS `super_read_only`"), std::string::npos);
  EXPECT_NE(query.find("@@global.server_uuid AS `server_uuid`"), std::string::npos);
  EXPECT_NE(query.find("@@global.gtid_executed AS `gtid_executed`"), std::string::npos);
  EXPECT_NE(query.find("NULL AS `gtid_binlog_state`"), std::string::npos);
  EXPECT_TRUE(query.ends_with("; SHOW REPLICA STATUS")) << query;
}

TEST(CollectQueryTest, OldMysqlOnlyAsksForVariablesItHas) {
  std::string query = CollectQuery(DetectServerInfo("5.6.40-log"));
  EXPECT_NE(query.find("NULL AS `super_read_only`"), std::string::npos);
  EXPECT_NE(query.find("@@global.server_uuid AS `server_uuid`"), std::string::npos);
  EXPECT_TRUE(query.ends_with("; SHOW SLAVE STATUS")) << query;
}

}  // namespace
}  // namespace dbtopo::mysql
