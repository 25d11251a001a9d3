// Real replication topologies on recorded-shape observations: a writable
// server with stopped replication, co-primaries, delayed and detached
// replicas, errant GTIDs, an unreachable primary, and role labels as the
// third witness. Each rule firing, and the legal topology staying quiet.

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
using fixtures::SetRoleLabel;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kUuid0[] = "00000000-0000-0000-0000-000000000000";
constexpr char kUuid1[] = "11111111-1111-1111-1111-111111111111";

Topology Analyse(const std::vector<Member>& members) { return Analyze(members, {}); }

void StopReplication(Member& m) {
  for (ReplicationChannel& c : m.observation.channels) {
    c.io_running = false;
    c.io_state = "No";
    c.sql_running = false;
    c.lag_seconds.reset();
  }
}

void MakeWritable(Member& m, bool writable = true) {
  m.observation.writable = writable;
  m.observation.read_only = !writable;
}

// m0 and m1 replicating from each other; m2 a replica of m0.
std::vector<Member> CoPrimaries() {
  std::vector<Member> members = HealthyOrders();
  members[0].observation.channels.push_back(fixtures::HealthyChannel("10.0.0.2", 3306));
  return members;
}

TEST(StoppedReplicaTest, WritableWithStoppedReplicationIsASecondPrimary) {
  std::vector<Member> members = HealthyOrders();
  StopReplication(members[1]);  // STOP SLAVE
  MakeWritable(members[1]);     // SET GLOBAL read_only=0

  const Topology t = Analyse(members);

  EXPECT_EQ(t.units[0].primaries, 2);
  EXPECT_TRUE(t.units[0].dual_primary);
  EXPECT_EQ(FindMember(t, "orders-mysql-1")->observed_role, Role::kPrimary);
  EXPECT_THAT(FindingKeys(t), ElementsAre("dual_primary", "replication_broken orders-mysql-1",
                                          "role_label_mismatch orders-mysql-1"));
}

TEST(StoppedReplicaTest, ReadOnlyWithStoppedReplicationIsABrokenReplica) {
  std::vector<Member> members = HealthyOrders();
  StopReplication(members[1]);

  const Topology t = Analyse(members);

  EXPECT_EQ(t.units[0].primaries, 1);
  EXPECT_EQ(FindMember(t, "orders-mysql-1")->observed_role, Role::kReplica);
  EXPECT_THAT(FindingKeys(t), ElementsAre("replication_broken orders-mysql-1"));
}

TEST(CoPrimaryTest, ActivePassivePairIsQuiet) {
  const Topology t = Analyse(CoPrimaries());

  EXPECT_THAT(t.findings, IsEmpty());
  EXPECT_EQ(t.units[0].primary_pod, "orders-mysql-0");
  EXPECT_TRUE(FindMember(t, "orders-mysql-0")->co_primary);
  EXPECT_TRUE(FindMember(t, "orders-mysql-1")->co_primary);
  EXPECT_FALSE(FindMember(t, "orders-mysql-2")->co_primary);
  EXPECT_EQ(FindMember(t, "orders-mysql-1")->observed_role, Role::kReplica);
  EXPECT_EQ(FindMember(t, "orders-mysql-0")->channels.at(0).source_valid, true);
  EXPECT_EQ(FindMember(t, "orders-mysql-0")->depth, 0);
  EXPECT_EQ(FindMember(t, "orders-mysql-1")->depth, 1);
}

TEST(CoPrimaryTest, BothWritableIsDualPrimary) {
  std::vector<Member> members = CoPrimaries();
  MakeWritable(members[1]);

  const Topology t = Analyse(members);

  EXPECT_TRUE(t.units[0].dual_primary);
  EXPECT_THAT(FindingKeys(t), ElementsAre("dual_primary", "role_label_mismatch orders-mysql-1"));
  EXPECT_THAT(FindingsOfKind(t, finding::kWritableReplica), IsEmpty());
}

TEST(CoPrimaryTest, BothReadOnlyIsNoPrimary) {
  std::vector<Member> members = CoPrimaries();
  MakeWritable(members[0], false);

  const Topology t = Analyse(members);

  EXPECT_EQ(t.units[0].primaries, 0);
  EXPECT_THAT(FindingsOfKind(t, finding::kNoPrimary).size(), 1u);
  EXPECT_THAT(FindingsOfKind(t, finding::kWrongSource), IsEmpty()) << "no primary to judge by";
}

TEST(CoPrimaryTest, WritableReplicaOfAnOrdinaryReplicaIsStillWritableReplica) {
  std::vector<Member> members = HealthyOrders();
  MakeWritable(members[2]);

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("writable_replica orders-mysql-2"));
}

TEST(DelayedReplicaTest, LagWithinTheConfiguredDelayIsQuiet) {
  std::vector<Member> members = HealthyOrders();
  ReplicationChannel& c = members[2].observation.channels[0];
  c.configured_delay_seconds = 3600;
  c.lag_seconds = 3605;
  EXPECT_THAT(Analyse(members).findings, IsEmpty());

  c.lag_seconds = 3700;  // 100 s behind what it was told to keep.
  const Topology t = Analyse(members);
  EXPECT_THAT(FindingKeys(t), ElementsAre("replication_lagging orders-mysql-2"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("100s beyond the configured delay of 3600s"));
}

TEST(DetachedReplicaTest, ReadOnlyWithoutReplicationBesideAPrimary) {
  std::vector<Member> members = HealthyOrders();
  members[2].observation.channels.clear();  // RESET SLAVE ALL

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("detached_replica orders-mysql-2"));
  EXPECT_EQ(t.findings[0].severity, Severity::kWarning);
  EXPECT_EQ(FindMember(t, "orders-mysql-2")->observed_role, Role::kUnknown);
}

TEST(DetachedReplicaTest, NotRaisedWithoutAPrimary) {
  std::vector<Member> members = HealthyOrders();
  MakeWritable(members[0], false);
  members[0].observation.channels.clear();
  members[2].observation.channels.clear();

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingsOfKind(t, finding::kDetachedReplica), IsEmpty());
  EXPECT_THAT(FindingsOfKind(t, finding::kNoPrimary).size(), 1u);
}

TEST(ErrantGtidTest, MariadbReplicaWithItsOwnTransactions) {
  std::vector<Member> members = HealthyOrders();
  members[0].observation.gtid_binlog_state = "0-1-120";
  members[1].observation.gtid_binlog_state = "0-1-121";  // Read later: not errant.
  members[2].observation.gtid_binlog_state = "0-1-119,0-3-2";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("errant_gtid orders-mysql-2"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("0-3-2"));
  EXPECT_EQ(FindMember(t, "orders-mysql-1")->errant_gtid, false);
  EXPECT_EQ(FindMember(t, "orders-mysql-2")->errant_gtid, true);
  EXPECT_EQ(FindMember(t, "orders-mysql-2")->errant_gtids, "0-3-2");
  EXPECT_EQ(FindMember(t, "orders-mysql-0")->errant_gtid, std::nullopt) << "the primary itself";
}

TEST(ErrantGtidTest, MysqlGtidSetsLessThePrimarysOwnUuid) {
  std::vector<Member> members = HealthyOrders();
  for (Member& m : members) m.observation.version = "8.0.36";
  members[0].observation.server_uuid = kUuid0;
  members[0].observation.gtid_executed = std::string(kUuid0) + ":1-50";
  members[1].observation.gtid_executed = std::string(kUuid0) + ":1-52";
  members[2].observation.gtid_executed = std::string(kUuid0) + ":1-50," + kUuid1 + ":1-3";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("errant_gtid orders-mysql-2"));
  EXPECT_EQ(FindMember(t, "orders-mysql-2")->errant_gtids, std::string(kUuid1) + ":1-3");
  EXPECT_EQ(FindMember(t, "orders-mysql-1")->errant_gtid, false);
}

TEST(ErrantGtidTest, UnparseableOrNoSinglePrimaryIsNotJudged) {
  std::vector<Member> members = HealthyOrders();
  members[0].observation.gtid_binlog_state = "garbage";
  members[2].observation.gtid_binlog_state = "0-3-2";
  Topology t = Analyse(members);
  EXPECT_THAT(t.findings, IsEmpty());
  EXPECT_EQ(FindMember(t, "orders-mysql-2")->errant_gtid, std::nullopt);

  members[0] = Down(members[0]);
  t = Analyse(members);
  EXPECT_THAT(FindingsOfKind(t, finding::kErrantGtid), IsEmpty());
}

TEST(PrimaryUnreachableTest, ReplicasStillStreamingFromAPrimaryTheExporterCannotReach) {
  std::vector<Member> members = HealthyOrders();
  members[0] = Down(members[0], "connect to 10.0.0.1:3306: timeout");

  Topology t = Analyse(members);
  EXPECT_THAT(FindingKeys(t),
              ElementsAre("primary_unreachable orders-mysql-0", "target_down orders-mysql-0"));
  EXPECT_EQ(t.findings[0].severity, Severity::kWarning);
  EXPECT_THAT(t.findings[0].message, HasSubstr("orders-mysql-1, orders-mysql-2"));

  // Once no replica sees it either, it is gone: no_primary.
  for (int i : {1, 2}) {
    members[i].observation.channels[0].io_running = false;
    members[i].observation.channels[0].io_state = "Connecting";
  }
  t = Analyse(members);
  EXPECT_THAT(FindingsOfKind(t, finding::kNoPrimary).size(), 1u);
  EXPECT_THAT(FindingsOfKind(t, finding::kPrimaryUnreachable), IsEmpty());
}

TEST(LabelledNoPrimaryTest, LabelLostNotFlipped) {
  std::vector<Member> members = HealthyOrders();
  SetRoleLabel(members[0], std::nullopt);  // The role probe removed it.

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("labelled_no_primary"));
  EXPECT_EQ(t.findings[0].severity, Severity::kCritical);
  EXPECT_THAT(t.findings[0].message, HasSubstr("orders-mysql-0"));
}

TEST(LabelledNoPrimaryTest, UnitWithoutAnyRoleLabelIsQuiet) {
  std::vector<Member> members = HealthyOrders();  // A plain StatefulSet.
  for (Member& m : members) SetRoleLabel(m, std::nullopt);
  EXPECT_THAT(Analyse(members).findings, IsEmpty());
}

}  // namespace
}  // namespace dbtopo

namespace dbtopo {
namespace {

TEST(SwitchoverInProgressTest, HoldsBackNoPrimaryAndDualPrimaryOfThatUnitOnly) {
  // Mid-switchover: the old primary is read-only, the candidate not yet writable.
  std::vector<Member> members = fixtures::HealthyOrders();
  members[0].observation.writable = false;
  members[0].observation.read_only = true;
  EXPECT_THAT(fixtures::FindingsOfKind(Analyze(members, {}), finding::kNoPrimary).size(), 1u);

  AnalysisOptions options;
  options.switchovers_in_progress = {UnitId{"default", "billing", "mysql"}};
  EXPECT_THAT(fixtures::FindingsOfKind(Analyze(members, options), finding::kNoPrimary).size(), 1u);
  options.switchovers_in_progress.push_back(fixtures::OrdersUnit());
  EXPECT_THAT(fixtures::FindingsOfKind(Analyze(members, options), finding::kNoPrimary),
              ::testing::IsEmpty());
}

}  // namespace
}  // namespace dbtopo
