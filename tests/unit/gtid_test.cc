// GTID arithmetic: MySQL GTID sets (GTID_SUBTRACT semantics, 8.4 tags) and
// MariaDB gtid_binlog_state comparison.

#include "dbtopo/analysis/gtid.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dbtopo::gtid {
namespace {

constexpr char kA[] = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
constexpr char kB[] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

std::string Sub(const std::string& a, const std::string& b) {
  auto x = MysqlGtidSet::Parse(a);
  auto y = MysqlGtidSet::Parse(b);
  EXPECT_TRUE(x.has_value()) << a;
  EXPECT_TRUE(y.has_value()) << b;
  if (!x || !y) return "<parse error>";
  return x->Subtract(*y).ToString();
}

TEST(MysqlGtidSetTest, ParsesAndCanonicalises) {
  // MySQL prints long sets over several lines; case does not matter.
  auto set = MysqlGtidSet::Parse(std::string("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:7:6,\n") +
                                 kB + ":3");
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->ToString(), std::string(kA) + ":1-7," + kB + ":3");
  EXPECT_TRUE(MysqlGtidSet::Parse("")->empty());
}

TEST(MysqlGtidSetTest, ParsesMysql84Tags) {
  // uuid:1-5:tag_a:1-3: untagged 1-5, then tag_a 1-3 of the same uuid.
  auto set = MysqlGtidSet::Parse(std::string(kA) + ":1-5:Tag_A:1-3:tag_b:9");
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->sets().size(), 3u);
  EXPECT_EQ(set->ToString(), std::string(kA) + ":1-5:tag_a:1-3:tag_b:9");
}

TEST(MysqlGtidSetTest, RejectsGarbage) {
  for (const std::string& bad : std::vector<std::string>{
           std::string("nonsense"), std::string("3e11fa47:1-5"), std::string(kA) + ":0",
           std::string(kA) + ":5-3", std::string(kA) + ":1-x", std::string(kA),
           std::string(kA) + ":tag", std::string(kA) + ":1:tag:tag2:1", std::string(kA) + ":1,"}) {
    EXPECT_FALSE(MysqlGtidSet::Parse(bad).has_value()) << bad;
  }
}

TEST(MysqlGtidSetTest, SubtractFollowsGtidSubtract) {
  const std::string a(kA), b(kB);
  EXPECT_EQ(Sub(a + ":1-10", a + ":1-10"), "");
  EXPECT_EQ(Sub(a + ":1-10", a + ":1-5"), a + ":6-10");
  EXPECT_EQ(Sub(a + ":1-10", a + ":3-4:8"), a + ":1-2:5-7:9-10");
  EXPECT_EQ(Sub(a + ":1-5", a + ":1-10"), "");
  EXPECT_EQ(Sub(a + ":1-5," + b + ":1-2", a + ":1-5"), b + ":1-2");
  // A tag is its own sequence: untagged 1-3 does not cover tag_a 1-3.
  EXPECT_EQ(Sub(a + ":1-3:tag_a:1-3", a + ":1-3"), a + ":tag_a:1-3");
  EXPECT_EQ(Sub("", a + ":1"), "");
}

TEST(MysqlGtidSetTest, EraseUuidDropsEveryTag) {
  auto set = MysqlGtidSet::Parse(std::string(kA) + ":1-3:tag_a:1," + kB + ":4");
  ASSERT_TRUE(set.has_value());
  set->EraseUuid("3E11FA47-71CA-11E1-9E33-C80AA9429562");
  EXPECT_EQ(set->ToString(), std::string(kB) + ":4");
}

TEST(MariadbGtidStateTest, ParsesAndKeepsTheHighestSeqPerServer) {
  auto state = ParseMariadbGtidState("0-1-100, 0-2-5,1-1-7,0-2-3");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->size(), 3u);
  EXPECT_EQ((state->at({0, 2})), 5u);
  EXPECT_TRUE(ParseMariadbGtidState("")->empty());
  for (const char* bad : {"0-1", "a-b-c", "0-1-2-3", "0-1-2,", "99999999999-1-1"}) {
    EXPECT_FALSE(ParseMariadbGtidState(bad).has_value()) << bad;
  }
}

TEST(MariadbGtidStateTest, ErrantIsWhatThePrimaryLacksOrHasLower) {
  const auto primary = *ParseMariadbGtidState("0-1-100,0-3-40");
  // The primary's own server_id (1) is left out: the replica may simply have
  // read later than the primary did.
  EXPECT_EQ(MariadbErrant(*ParseMariadbGtidState("0-1-101,0-3-40"), primary, 1), "");
  EXPECT_EQ(MariadbErrant(*ParseMariadbGtidState("0-1-100,0-2-1"), primary, 1), "0-2-1");
  EXPECT_EQ(MariadbErrant(*ParseMariadbGtidState("0-3-41"), primary, 1), "0-3-41");
  EXPECT_EQ(MariadbErrant(*ParseMariadbGtidState("0-3-39"), primary, 1), "");
  EXPECT_EQ(MariadbErrant(*ParseMariadbGtidState("5-2-1"), primary, 1), "5-2-1");
}

}  // namespace
}  // namespace dbtopo::gtid
