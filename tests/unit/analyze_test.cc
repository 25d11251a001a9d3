// Analyze(): grouping, observed roles, the common detectors (target_down,
// dual_primary, no_primary, labelled_dual_primary, role_label_mismatch) and
// the scenarios that are about roles (1, 3, 5's dead primary).

#include <algorithm>
#include <string>
#include <vector>

#include "analysis_fixtures.h"
#include "dbtopo/analysis/analysis.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dbtopo {
namespace {

using fixtures::Down;
using fixtures::FindingKeys;
using fixtures::FindingsOfKind;
using fixtures::FindMember;
using fixtures::HealthyOrders;
using fixtures::MysqlPrimary;
using fixtures::MysqlReplicaOf;
using fixtures::MysqlServer;
using fixtures::OrdersUnit;
using fixtures::SetRoleLabel;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Topology Analyse(const std::vector<Member>& members) { return Analyze(members, AnalysisOptions{}); }

TEST(AnalyzeTest, EmptyInputGivesEmptyTopology) {
  const Topology t = Analyse({});
  EXPECT_THAT(t.units, IsEmpty());
  EXPECT_THAT(t.findings, IsEmpty());
}

TEST(AnalyzeTest, HealthyPrimaryAndTwoReplicasHasNoFindings) {
  const Topology t = Analyse(HealthyOrders());

  EXPECT_THAT(FindingKeys(t), IsEmpty());
  ASSERT_EQ(t.units.size(), 1u);
  const UnitView& u = t.units[0];
  EXPECT_EQ(u.unit, OrdersUnit());
  EXPECT_EQ(u.engine, Engine::kMysql);
  EXPECT_EQ(u.primaries, 1);
  EXPECT_EQ(u.labelled_primaries, 1);
  EXPECT_FALSE(u.dual_primary);
  EXPECT_EQ(u.server_id_conflicts, 0);
  EXPECT_EQ(u.primary_pod, "orders-mysql-0");
  EXPECT_FALSE(u.redis_cluster_views_consistent.has_value());
  ASSERT_EQ(u.members.size(), 3u);
  EXPECT_EQ(u.members[0].observed_role, Role::kPrimary);
  EXPECT_EQ(u.members[1].observed_role, Role::kReplica);
  EXPECT_EQ(u.members[2].observed_role, Role::kReplica);
  EXPECT_THAT(u.members[0].channels, IsEmpty());
  for (int i = 1; i <= 2; ++i) {
    const MemberView& r = u.members[i];
    EXPECT_FALSE(r.role_label_mismatch);
    ASSERT_EQ(r.channels.size(), 1u);
    EXPECT_TRUE(r.channels[0].link_up);
    EXPECT_EQ(r.channels[0].source_valid, true);
    EXPECT_EQ(r.channels[0].source_pod, "orders-mysql-0");
  }
}

TEST(AnalyzeTest, UnitsSortedByIdAndMembersByPod) {
  const UnitId a{"ns-a", "zeta", "mysql"};
  const UnitId b{"ns-b", "alpha", "mysql"};
  Member a0 = MysqlPrimary("zeta-0", "10.1.0.1", 3306, a);
  Member a1 = MysqlReplicaOf("zeta-1", "10.1.0.2", 3306, a0);
  Member b0 = MysqlPrimary("alpha-0", "10.2.0.1", 3306, b);
  Member b1 = MysqlReplicaOf("alpha-1", "10.2.0.2", 3306, b0);

  const Topology t = Analyse({b1, a1, b0, a0});

  ASSERT_EQ(t.units.size(), 2u);
  EXPECT_EQ(t.units[0].unit, a);  // "ns-a" < "ns-b" although "zeta" > "alpha".
  EXPECT_EQ(t.units[1].unit, b);
  ASSERT_EQ(t.units[0].members.size(), 2u);
  EXPECT_EQ(t.units[0].members[0].target.pod, "zeta-0");
  EXPECT_EQ(t.units[0].members[1].target.pod, "zeta-1");
  EXPECT_EQ(t.units[1].members[0].target.pod, "alpha-0");
  EXPECT_EQ(t.units[1].members[1].target.pod, "alpha-1");
  EXPECT_THAT(t.findings, IsEmpty());
}

TEST(AnalyzeTest, MultipleUnitsAreJudgedSeparately) {
  // Two clusters with one primary each: two primaries overall, but no
  // dual_primary, because each unit has exactly one.
  const UnitId orders = OrdersUnit();
  const UnitId users{"default", "users", "mysql"};
  // Same cluster name in another namespace is yet another unit.
  const UnitId orders_staging{"staging", "orders", "mysql"};
  Member o0 = MysqlPrimary("orders-mysql-0", "10.0.0.1", 3306, orders);
  Member o1 = MysqlReplicaOf("orders-mysql-1", "10.0.0.2", 3306, o0);
  Member u0 = MysqlPrimary("users-mysql-0", "10.0.1.1", 3306, users);
  Member u1 = MysqlReplicaOf("users-mysql-1", "10.0.1.2", 3306, u0);
  Member s0 = MysqlPrimary("orders-mysql-0", "10.9.0.1", 3306, orders_staging);

  Topology t = Analyse({o0, o1, u0, u1, s0});
  ASSERT_EQ(t.units.size(), 3u);
  for (const UnitView& u : t.units) {
    EXPECT_EQ(u.primaries, 1);
    EXPECT_EQ(u.labelled_primaries, 1);
    EXPECT_FALSE(u.dual_primary);
  }
  EXPECT_THAT(t.findings, IsEmpty());

  // A users replica replicating from the orders primary: that primary is not
  // a member of the users unit.
  u1.observation.channels[0].source_host = "10.0.0.1";
  t = Analyse({o0, o1, u0, u1, s0});
  EXPECT_THAT(FindingKeys(t), ElementsAre("wrong_source users-mysql-1"));
  EXPECT_EQ(t.findings[0].unit, users);
}

TEST(AnalyzeTest, TargetDownCarriesProbeError) {
  std::vector<Member> members = HealthyOrders();
  members[2] = Down(members[2], "connect: timeout after 2s");

  const Topology t = Analyse(members);

  const auto down = FindingsOfKind(t, finding::kTargetDown);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].pod, "orders-mysql-2");
  EXPECT_EQ(down[0].severity, Severity::kWarning);
  EXPECT_EQ(down[0].unit, OrdersUnit());
  EXPECT_THAT(down[0].message, HasSubstr("connect: timeout after 2s"));
  EXPECT_THAT(down[0].message, HasSubstr("10.0.0.3:3306"));
  // A down replica does not change who is primary.
  EXPECT_THAT(FindingKeys(t), ElementsAre("target_down orders-mysql-2"));
  const MemberView* m = FindMember(t, "orders-mysql-2");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->observed_role, Role::kUnknown);
  EXPECT_FALSE(m->role_label_mismatch);  // Labelled replica, observed unknown.
}

// Classic StatefulSet primary/replica: the primary pod dies. Replicas keep retrying it
// ("Connecting", 2003): the links are broken, nobody is writable, but the replicas still point at a
// member of the unit, so their source is not "wrong".
TEST(AnalyzeTest, PrimaryDownGivesNoPrimaryAndBrokenLinksButNoWrongSource) {
  std::vector<Member> members = HealthyOrders();
  members[0] = Down(members[0], "connect: Connection refused");
  for (int i = 1; i <= 2; ++i) {
    ReplicationChannel& c = members[i].observation.channels[0];
    c.io_running = false;
    c.io_state = "Connecting";
    c.lag_seconds = std::nullopt;
    c.last_io_errno = 2003;
    c.last_io_error = "error reconnecting to master 'repl@10.0.0.1:3306' - retry-time: 60";
  }

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("no_primary", "target_down orders-mysql-0",
                                          "replication_broken orders-mysql-1",
                                          "replication_broken orders-mysql-2"));
  const auto no_primary = FindingsOfKind(t, finding::kNoPrimary);
  ASSERT_EQ(no_primary.size(), 1u);
  EXPECT_EQ(no_primary[0].severity, Severity::kCritical);
  EXPECT_EQ(no_primary[0].pod, "");
  EXPECT_THAT(no_primary[0].message, HasSubstr("orders-mysql-0"));
  const auto broken = FindingsOfKind(t, finding::kReplicationBroken);
  ASSERT_EQ(broken.size(), 2u);
  EXPECT_THAT(broken[0].message, HasSubstr("Connecting"));
  EXPECT_THAT(broken[0].message, HasSubstr("2003"));

  const UnitView& u = t.units[0];
  EXPECT_EQ(u.primaries, 0);
  EXPECT_EQ(u.primary_pod, "");
  EXPECT_EQ(u.labelled_primaries, 1);  // The label is still on the dead pod.
  for (int i = 1; i <= 2; ++i) {
    ASSERT_EQ(u.members[i].channels.size(), 1u);
    EXPECT_FALSE(u.members[i].channels[0].link_up);
    // The source is the dead primary: plausible, but with no primary visible
    // its validity is unknown (absent series), never a made-up 1.
    EXPECT_EQ(u.members[i].channels[0].source_valid, std::nullopt);
    EXPECT_EQ(u.members[i].channels[0].source_pod, "orders-mysql-0");
  }
}

TEST(AnalyzeTest, AllMembersDownGivesNoPrimaryAndTargetDownEach) {
  std::vector<Member> members = HealthyOrders();
  for (Member& m : members) m = Down(m);

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t),
              ElementsAre("no_primary", "target_down orders-mysql-0", "target_down orders-mysql-1",
                          "target_down orders-mysql-2"));
}

// A replica detached (RESET REPLICA ALL) and made writable: two servers
// accept writes and neither replicates.
TEST(AnalyzeTest, DetachedWritableReplicaIsDualPrimary) {
  std::vector<Member> members = HealthyOrders();
  members[2].observation.channels.clear();
  members[2].observation.read_only = false;
  members[2].observation.writable = true;

  const Topology t = Analyse(members);

  const UnitView& u = t.units[0];
  EXPECT_EQ(u.primaries, 2);
  EXPECT_TRUE(u.dual_primary);
  EXPECT_EQ(u.primary_pod, "");
  const auto dual = FindingsOfKind(t, finding::kDualPrimary);
  ASSERT_EQ(dual.size(), 1u);
  EXPECT_EQ(dual[0].severity, Severity::kCritical);
  EXPECT_EQ(dual[0].pod, "");
  EXPECT_THAT(dual[0].message, HasSubstr("orders-mysql-0"));
  EXPECT_THAT(dual[0].message, HasSubstr("orders-mysql-2"));
  // It is still labelled secondary: the label is wrong too.
  EXPECT_THAT(FindingKeys(t), ElementsAre("dual_primary", "role_label_mismatch orders-mysql-2"));
  // The other replica still replicates from one of the two primaries: fine.
  EXPECT_EQ(u.members[1].channels[0].source_valid, true);
}

TEST(AnalyzeTest, SinglePrimaryIsNotDualPrimary) {
  const Topology t = Analyse(HealthyOrders());
  EXPECT_THAT(FindingsOfKind(t, finding::kDualPrimary), IsEmpty());
  EXPECT_THAT(FindingsOfKind(t, finding::kNoPrimary), IsEmpty());
  EXPECT_FALSE(t.units[0].dual_primary);
}

// Two pods labelled primary, case A: both pods labelled primary and the second one really is
// writable and not replicating: a real split brain.
TEST(AnalyzeTest, Scenario1TwoLabelledPrimariesBothWritableIsDualPrimary) {
  Member p0 = MysqlPrimary("mysql-0", "10.0.0.1", 3306);
  Member p1 = MysqlPrimary("mysql-1", "10.0.0.2", 3306);

  const Topology t = Analyse({p0, p1});

  EXPECT_THAT(FindingKeys(t), ElementsAre("dual_primary", "labelled_dual_primary"));
  const UnitView& u = t.units[0];
  EXPECT_EQ(u.primaries, 2);
  EXPECT_EQ(u.labelled_primaries, 2);
  EXPECT_TRUE(u.dual_primary);
  EXPECT_FALSE(u.members[1].role_label_mismatch);
  const auto labelled = FindingsOfKind(t, finding::kLabelledDualPrimary);
  ASSERT_EQ(labelled.size(), 1u);
  EXPECT_EQ(labelled[0].severity, Severity::kCritical);
  EXPECT_THAT(labelled[0].message, HasSubstr("mysql-0"));
  EXPECT_THAT(labelled[0].message, HasSubstr("mysql-1"));
}

// Two pods labelled primary, case B: both pods labelled primary but the second is a healthy
// read-only replica: only the label is wrong.
TEST(AnalyzeTest, Scenario1TwoLabelledPrimariesOneHealthyReplicaIsLabelMismatchOnly) {
  Member p0 = MysqlPrimary("mysql-0", "10.0.0.1", 3306);
  Member p1 = MysqlReplicaOf("mysql-1", "10.0.0.2", 3306, p0);
  SetRoleLabel(p1, Role::kPrimary);

  const Topology t = Analyse({p0, p1});

  EXPECT_THAT(FindingKeys(t), ElementsAre("labelled_dual_primary", "role_label_mismatch mysql-1"));
  const UnitView& u = t.units[0];
  EXPECT_EQ(u.primaries, 1);
  EXPECT_EQ(u.labelled_primaries, 2);
  EXPECT_FALSE(u.dual_primary);
  EXPECT_FALSE(u.members[0].role_label_mismatch);
  EXPECT_TRUE(u.members[1].role_label_mismatch);
  const auto mismatch = FindingsOfKind(t, finding::kRoleLabelMismatch);
  ASSERT_EQ(mismatch.size(), 1u);
  EXPECT_EQ(mismatch[0].severity, Severity::kWarning);
  EXPECT_THAT(mismatch[0].message, HasSubstr("labelled primary"));
  EXPECT_THAT(mismatch[0].message, HasSubstr("reports replica"));
}

// A switchover that half happened, case A: the switchover happened in the database (mysql-1 is the
// new primary, mysql-0 and mysql-2 replicate from it) but the labels did not
// follow.
TEST(AnalyzeTest, Scenario3NewPrimaryOldLabelsIsMismatchOnBoth) {
  Member p1 = MysqlPrimary("mysql-1", "10.0.0.2", 3306);
  SetRoleLabel(p1, Role::kReplica);
  Member r0 = MysqlReplicaOf("mysql-0", "10.0.0.1", 3306, p1);
  SetRoleLabel(r0, Role::kPrimary);
  Member r2 = MysqlReplicaOf("mysql-2", "10.0.0.3", 3306, p1);

  const Topology t = Analyse({r0, p1, r2});

  EXPECT_THAT(FindingKeys(t),
              ElementsAre("role_label_mismatch mysql-0", "role_label_mismatch mysql-1"));
  const UnitView& u = t.units[0];
  EXPECT_EQ(u.primary_pod, "mysql-1");
  EXPECT_EQ(u.primaries, 1);
  EXPECT_EQ(u.labelled_primaries, 1);
  EXPECT_TRUE(u.members[0].role_label_mismatch);
  EXPECT_TRUE(u.members[1].role_label_mismatch);
  EXPECT_FALSE(u.members[2].role_label_mismatch);
}

// A switchover that half happened, case B: the old primary was fenced (read_only=1) but the new
// one was never made writable. Nobody accepts writes.
TEST(AnalyzeTest, Scenario3NobodyWritableIsNoPrimary) {
  Member old_primary = MysqlServer("mysql-0", "10.0.0.1", 3306, /*writable=*/false);
  SetRoleLabel(old_primary, Role::kPrimary);
  Member candidate = MysqlServer("mysql-1", "10.0.0.2", 3306, /*writable=*/false);
  Member r2 = MysqlReplicaOf("mysql-2", "10.0.0.3", 3306, old_primary);

  const Topology t = Analyse({old_primary, candidate, r2});

  // Read-only and not replicating is "unknown", so neither label mismatches.
  EXPECT_THAT(FindingKeys(t), ElementsAre("no_primary"));
  const UnitView& u = t.units[0];
  EXPECT_EQ(u.primaries, 0);
  EXPECT_EQ(u.members[0].observed_role, Role::kUnknown);
  EXPECT_EQ(u.members[1].observed_role, Role::kUnknown);
  EXPECT_EQ(u.members[2].observed_role, Role::kReplica);
  EXPECT_EQ(FindingsOfKind(t, finding::kNoPrimary)[0].message, "no member reports primary");
}

TEST(AnalyzeTest, RoleLabelMismatchNeedsBothSidesKnown) {
  std::vector<Member> members = HealthyOrders();
  SetRoleLabel(members[0], std::nullopt);    // No label at all.
  SetRoleLabel(members[1], Role::kUnknown);  // Label value that maps to nothing.
  members[2] = Down(members[2]);             // Labelled, but observed unknown.
  SetRoleLabel(members[2], Role::kPrimary);

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingsOfKind(t, finding::kRoleLabelMismatch), IsEmpty());
  for (const MemberView& m : t.units[0].members) EXPECT_FALSE(m.role_label_mismatch);
  EXPECT_EQ(t.units[0].labelled_primaries, 1);
}

TEST(AnalyzeTest, RoleLabelMismatchReplicaLabelledPrimary) {
  std::vector<Member> members = HealthyOrders();
  SetRoleLabel(members[0], Role::kReplica);

  const Topology t = Analyse(members);

  // Nobody is labelled primary either: writes routed by the label go nowhere.
  EXPECT_THAT(FindingKeys(t),
              ElementsAre("labelled_no_primary", "role_label_mismatch orders-mysql-0"));
  EXPECT_EQ(t.units[0].labelled_primaries, 0);
  EXPECT_THAT(t.findings[1].message, HasSubstr("labelled replica (secondary)"));
}

TEST(AnalyzeTest, FindingsAreSortedAndIndependentOfInputOrder) {
  // A unit with many problems, in two units, in every input order.
  const UnitId other{"default", "billing", "mysql"};
  Member p = MysqlPrimary("orders-mysql-0", "10.0.0.1", 3306);
  Member r1 = MysqlReplicaOf("orders-mysql-1", "10.0.0.2", 3306, p);
  r1.observation.channels[0].sql_running = false;
  r1.observation.channels[0].lag_seconds = 500;
  Member r2 = Down(MysqlReplicaOf("orders-mysql-2", "10.0.0.3", 3306, p));
  Member b0 = MysqlServer("billing-0", "10.0.5.1", 3306, /*writable=*/false, other);
  Member b1 = MysqlPrimary("billing-1", "10.0.5.2", 3306, other);
  Member b2 = MysqlPrimary("billing-2", "10.0.5.3", 3306, other);

  std::vector<Member> members = {p, r1, r2, b0, b1, b2};
  std::sort(members.begin(), members.end(),
            [](const Member& a, const Member& b) { return a.target.Key() < b.target.Key(); });
  const std::vector<std::string> expected = {
      "dual_primary",  // billing (unit-level first)
      "labelled_dual_primary",
      "replication_broken orders-mysql-1",
      "replication_lagging orders-mysql-1",
      "target_down orders-mysql-2",
  };
  do {
    const Topology t = Analyse(members);
    ASSERT_EQ(FindingKeys(t), expected);
    EXPECT_EQ(t.findings[0].unit, other);
    EXPECT_EQ(t.findings[2].unit, OrdersUnit());
  } while (std::next_permutation(
      members.begin(), members.end(),
      [](const Member& a, const Member& b) { return a.target.Key() < b.target.Key(); }));
}

// Redis Cluster has a master per shard: many masters (or none visible in a
// unit) are not judged by the common primary-count detectors.
TEST(AnalyzeTest, RedisClusterSkipsDualAndNoPrimary) {
  const UnitId unit{"default", "cache", "shard"};
  std::vector<Member> members;
  for (int i = 0; i < 3; ++i) {
    Member m;
    m.target.unit = unit;
    m.target.pod = "cache-" + std::to_string(i);
    m.target.engine = Engine::kRedisCluster;
    m.target.host = "10.0.3." + std::to_string(i + 1);
    m.target.port = 6379;
    m.observation.up = true;
    m.observation.redis = RedisReplicationInfo{};
    m.observation.redis->role = "master";
    members.push_back(m);
  }

  Topology t = Analyse(members);
  EXPECT_THAT(FindingsOfKind(t, finding::kDualPrimary), IsEmpty());
  EXPECT_THAT(FindingsOfKind(t, finding::kNoPrimary), IsEmpty());
  EXPECT_FALSE(t.units[0].dual_primary);
  EXPECT_EQ(t.units[0].engine, Engine::kRedisCluster);

  for (Member& m : members) m = Down(m);
  t = Analyse(members);
  EXPECT_THAT(FindingsOfKind(t, finding::kNoPrimary), IsEmpty());
  EXPECT_EQ(FindingsOfKind(t, finding::kTargetDown).size(), 3u);
}

}  // namespace
}  // namespace dbtopo
