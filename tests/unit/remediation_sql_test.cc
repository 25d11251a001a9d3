// The SQL of the native MySQL/MariaDB actions (remediation/src/mysql_sql.h).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mysql_sql.h"

namespace dbtopo::remediation {
namespace {

using ::testing::ElementsAre;

TEST(MysqlSqlTest, DialectFromVersion) {
  EXPECT_EQ(DialectFromVersion("10.11.19-MariaDB-0+deb12u1"), SqlDialect::kMariaDb);
  EXPECT_EQ(DialectFromVersion("5.5.5-10.6.12-MariaDB"), SqlDialect::kMariaDb);
  EXPECT_EQ(DialectFromVersion("8.0.36"), SqlDialect::kMysqlModern);
  EXPECT_EQ(DialectFromVersion("8.4.0"), SqlDialect::kMysqlModern);
  EXPECT_EQ(DialectFromVersion("8.0.25"), SqlDialect::kMysqlLegacy);
  EXPECT_EQ(DialectFromVersion("5.7.44-log"), SqlDialect::kMysqlLegacy);
  EXPECT_EQ(DialectFromVersion("garbage"), SqlDialect::kMysqlLegacy);
}

TEST(MysqlSqlTest, GtidAndChannelValidation) {
  EXPECT_TRUE(IsGtidText("0-1-123,1-2-5"));
  EXPECT_TRUE(
      IsGtidText("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,\n"
                 "4e11fa47-71ca-11e1-9e33-c80aa9429562:1-9"));
  EXPECT_TRUE(IsGtidText(""));
  EXPECT_FALSE(IsGtidText("0-1-1'); DROP TABLE t; --"));
  EXPECT_TRUE(IsChannelName(""));
  EXPECT_TRUE(IsChannelName("source_2.a-b"));
  EXPECT_FALSE(IsChannelName("a'b"));
  EXPECT_FALSE(IsChannelName(std::string(65, 'a')));
}

TEST(MysqlSqlTest, ReadOnly) {
  EXPECT_THAT(ReadOnlyOnSql(SqlDialect::kMariaDb), ElementsAre("SET GLOBAL read_only=1"));
  EXPECT_THAT(ReadOnlyOnSql(SqlDialect::kMysqlModern), ElementsAre("SET GLOBAL super_read_only=1"));
  EXPECT_THAT(ReadOnlyOffSql(SqlDialect::kMysqlLegacy),
              ElementsAre("SET GLOBAL super_read_only=0", "SET GLOBAL read_only=0"));
}

TEST(MysqlSqlTest, GtidWaits) {
  EXPECT_EQ(GtidPositionSql(SqlDialect::kMariaDb), "SELECT @@GLOBAL.gtid_binlog_pos");
  EXPECT_EQ(GtidPositionSql(SqlDialect::kMysqlModern), "SELECT @@GLOBAL.gtid_executed");
  EXPECT_EQ(WaitGtidSql(SqlDialect::kMariaDb, "0-1-7", 1),
            "SELECT MASTER_GTID_WAIT('0-1-7', 1.000)");
  EXPECT_EQ(WaitGtidSql(SqlDialect::kMysqlModern, "u:1-3", 0.5),
            "SELECT WAIT_FOR_EXECUTED_GTID_SET('u:1-3', 0.500)");
  EXPECT_TRUE(WaitGtidReached("0"));
  EXPECT_FALSE(WaitGtidReached("-1"));
  EXPECT_FALSE(WaitGtidReached("1"));
  EXPECT_FALSE(WaitGtidReached(std::nullopt));
  EXPECT_EQ(ContainsGtidSql(SqlDialect::kMysqlModern, "u:1-3"),
            "SELECT GTID_SUBSET('u:1-3', @@GLOBAL.gtid_executed)");
}

TEST(MysqlSqlTest, Promote) {
  EXPECT_THAT(PromoteSql(SqlDialect::kMariaDb, ""),
              ElementsAre("STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL read_only=0"));
  EXPECT_THAT(PromoteSql(SqlDialect::kMariaDb, "east"),
              ElementsAre("STOP SLAVE 'east'", "RESET SLAVE 'east' ALL", "SET GLOBAL read_only=0"));
  EXPECT_THAT(PromoteSql(SqlDialect::kMysqlModern, "c1"),
              ElementsAre("STOP REPLICA FOR CHANNEL 'c1'", "RESET REPLICA ALL FOR CHANNEL 'c1'",
                          "SET GLOBAL super_read_only=0", "SET GLOBAL read_only=0"));
}

TEST(MysqlSqlTest, RepointFormerPrimaryOnMariaDb) {
  EXPECT_THAT(
      RepointSql(SqlDialect::kMariaDb, "", {"10.0.0.2", 3306, "repl"}, "pw", /*was_primary=*/true),
      ElementsAre("STOP SLAVE", "SET GLOBAL gtid_slave_pos = @@GLOBAL.gtid_binlog_pos",
                  "CHANGE MASTER TO MASTER_HOST='10.0.0.2', MASTER_PORT=3306, "
                  "MASTER_USER='repl', MASTER_PASSWORD='pw', MASTER_USE_GTID=slave_pos",
                  "START SLAVE"));
  EXPECT_THAT(RepointSql(SqlDialect::kMariaDb, "", {"h", 1, "u"}, "p", /*was_primary=*/false),
              ElementsAre("STOP SLAVE",
                          "CHANGE MASTER TO MASTER_HOST='h', MASTER_PORT=1, MASTER_USER='u', "
                          "MASTER_PASSWORD='p', MASTER_USE_GTID=slave_pos",
                          "START SLAVE"));
}

TEST(MysqlSqlTest, RepointOnMysql) {
  EXPECT_THAT(RepointSql(SqlDialect::kMysqlModern, "", {"h", 3306, "u"}, "p", true),
              ElementsAre("STOP REPLICA", "SET GLOBAL super_read_only=1",
                          "CHANGE REPLICATION SOURCE TO SOURCE_HOST='h', SOURCE_PORT=3306, "
                          "SOURCE_USER='u', SOURCE_PASSWORD='p', SOURCE_AUTO_POSITION=1, "
                          "GET_SOURCE_PUBLIC_KEY=1",
                          "START REPLICA"));
  EXPECT_THAT(RepointSql(SqlDialect::kMysqlLegacy, "c", {"h", 3306, "u"}, "p", false),
              ElementsAre("STOP SLAVE FOR CHANNEL 'c'", "SET GLOBAL super_read_only=1",
                          "CHANGE MASTER TO MASTER_HOST='h', MASTER_PORT=3306, MASTER_USER='u', "
                          "MASTER_PASSWORD='p', MASTER_AUTO_POSITION=1 FOR CHANNEL 'c'",
                          "START SLAVE FOR CHANNEL 'c'"));
}

// A unit whose replication user has tls: the link is encrypted in every
// dialect's words, and the description says so.
TEST(MysqlSqlTest, RepointOverTls) {
  const NewSource tls = {"h", 3306, "u", /*tls=*/true};
  EXPECT_THAT(RepointSql(SqlDialect::kMariaDb, "", tls, "p", false),
              ElementsAre("STOP SLAVE",
                          "CHANGE MASTER TO MASTER_HOST='h', MASTER_PORT=3306, MASTER_USER='u', "
                          "MASTER_PASSWORD='p', MASTER_USE_GTID=slave_pos, MASTER_SSL=1",
                          "START SLAVE"));
  EXPECT_THAT(RepointSql(SqlDialect::kMysqlModern, "c", tls, "p", true),
              ElementsAre("STOP REPLICA FOR CHANNEL 'c'", "SET GLOBAL super_read_only=1",
                          "CHANGE REPLICATION SOURCE TO SOURCE_HOST='h', SOURCE_PORT=3306, "
                          "SOURCE_USER='u', SOURCE_PASSWORD='p', SOURCE_AUTO_POSITION=1, "
                          "SOURCE_SSL=1, GET_SOURCE_PUBLIC_KEY=1 FOR CHANNEL 'c'",
                          "START REPLICA FOR CHANNEL 'c'"));
  EXPECT_NE(DescribeRepoint(SqlDialect::kMysqlLegacy, tls).find("MASTER_SSL=1"), std::string::npos);
  EXPECT_EQ(DescribeRepoint(SqlDialect::kMysqlLegacy, {"h", 3306, "u"}).find("SSL"),
            std::string::npos);
}

TEST(MysqlSqlTest, DescriptionHasNoPassword) {
  const std::string d = DescribeRepoint(SqlDialect::kMariaDb, {"h", 3306, "repl"});
  EXPECT_EQ(d.find("PASSWORD"), std::string::npos);
  EXPECT_NE(d.find("MASTER_USER='repl'"), std::string::npos);
}

}  // namespace
}  // namespace dbtopo::remediation
