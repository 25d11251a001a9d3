// MySQL/MariaDB: observed role and the replication detectors
// (replication_broken, replication_lagging, wrong_source, server_id_conflict,
// version_skew, writable_replica), each firing and staying silent, plus
// scenarios 2 and 5.

#include <string>
#include <vector>

#include "analysis_fixtures.h"
#include "dbtopo/analysis/analysis.h"
#include "detectors.h"
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
using fixtures::MysqlReplicaOfAddress;
using fixtures::MysqlServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

Topology Analyse(const std::vector<Member>& members, AnalysisOptions options = {}) {
  return Analyze(members, options);
}

const ChannelView& ChannelOf(const Topology& t, const std::string& pod) {
  const MemberView* m = FindMember(t, pod);
  EXPECT_NE(m, nullptr) << pod;
  EXPECT_EQ(m->channels.size(), 1u) << pod;
  return m->channels.at(0);
}

// --- observed role -----------------------------------------------------------

TEST(MysqlObservedRoleTest, WritableWithoutChannelIsPrimary) {
  EXPECT_EQ(detail::MysqlObservedRole(MysqlPrimary("p", "h").observation), Role::kPrimary);
}

TEST(MysqlObservedRoleTest, RunningThreadMakesAReplicaEvenIfWritable) {
  Member r = MysqlReplicaOfAddress("r", "h2", 3306, "h", 3306);
  EXPECT_EQ(detail::MysqlObservedRole(r.observation), Role::kReplica);
  r.observation.writable = true;
  r.observation.read_only = false;
  EXPECT_EQ(detail::MysqlObservedRole(r.observation), Role::kReplica);
  // Only the SQL thread, or only an IO thread retrying its source.
  r.observation.channels[0].io_running = false;
  r.observation.channels[0].io_state = "No";
  EXPECT_EQ(detail::MysqlObservedRole(r.observation), Role::kReplica);
  r.observation.channels[0].sql_running = false;
  r.observation.channels[0].io_state = "Connecting";
  EXPECT_EQ(detail::MysqlObservedRole(r.observation), Role::kReplica);
}

TEST(MysqlObservedRoleTest, WritableWithEveryChannelStoppedIsPrimary) {
  // STOP SLAVE; SET GLOBAL read_only=0: it takes writes that reach nobody.
  Member r = MysqlReplicaOfAddress("r", "h2", 3306, "h", 3306);
  ReplicationChannel& c = r.observation.channels[0];
  c.io_running = false;
  c.io_state = "No";
  c.sql_running = false;
  r.observation.writable = true;
  r.observation.read_only = false;
  EXPECT_EQ(detail::MysqlObservedRole(r.observation), Role::kPrimary);
  // The same server read-only is a replica with broken replication.
  r.observation.writable = false;
  r.observation.read_only = true;
  EXPECT_EQ(detail::MysqlObservedRole(r.observation), Role::kReplica);
}

TEST(MysqlObservedRoleTest, ReadOnlyWithoutChannelIsUnknown) {
  EXPECT_EQ(detail::MysqlObservedRole(MysqlServer("p", "h", 3306, false).observation),
            Role::kUnknown);
}

TEST(MysqlObservedRoleTest, DownIsUnknownWhateverWasLeftInTheObservation) {
  Member p = MysqlPrimary("p", "h");
  p.observation.up = false;
  EXPECT_EQ(detail::MysqlObservedRole(p.observation), Role::kUnknown);
}

TEST(MysqlObservedRoleTest, FallsBackToReadOnlyFlagsWhenWritableUnknown) {
  Observation o;
  o.up = true;
  EXPECT_EQ(detail::MysqlObservedRole(o), Role::kUnknown);  // Nothing known.
  o.read_only = false;
  EXPECT_EQ(detail::MysqlObservedRole(o), Role::kPrimary);
  o.super_read_only = true;
  EXPECT_EQ(detail::MysqlObservedRole(o), Role::kUnknown);
}

// --- replication_broken ------------------------------------------------------

// Classic StatefulSet primary/replica: the SQL thread stops on a duplicate key;
// Seconds_Behind_Master goes NULL (unknown), which is not lag.
TEST(ReplicationBrokenTest, SqlThreadStoppedOnDuplicateKey) {
  std::vector<Member> members = HealthyOrders();
  ReplicationChannel& c = members[1].observation.channels[0];
  c.sql_running = false;
  c.lag_seconds = std::nullopt;
  c.last_sql_errno = 1062;
  c.last_sql_error =
      "Could not execute Write_rows_v1 event on table shop.orders; Duplicate entry '42' for key "
      "'PRIMARY'";

  const Topology t = Analyse(members, AnalysisOptions{.max_replication_lag_seconds = 0});

  EXPECT_THAT(FindingKeys(t), ElementsAre("replication_broken orders-mysql-1"));
  const Finding& f = t.findings[0];
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_EQ(f.channel, "");
  EXPECT_THAT(f.message, HasSubstr("SQL thread stopped: error 1062: "));
  EXPECT_THAT(f.message, HasSubstr("Duplicate entry '42'"));
  EXPECT_THAT(f.message, Not(HasSubstr("IO thread")));
  EXPECT_FALSE(ChannelOf(t, "orders-mysql-1").link_up);
  EXPECT_TRUE(ChannelOf(t, "orders-mysql-2").link_up);
  // The source is still right.
  EXPECT_EQ(ChannelOf(t, "orders-mysql-1").source_valid, true);
}

TEST(ReplicationBrokenTest, IoThreadStoppedCarriesStateAndError) {
  std::vector<Member> members = HealthyOrders();
  ReplicationChannel& c = members[2].observation.channels[0];
  c.name = "from_dc1";
  c.io_running = false;
  c.io_state = "No";
  c.last_io_errno = 1236;
  c.last_io_error = "Got fatal error 1236 from master when reading data from binary log";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("replication_broken orders-mysql-2/from_dc1"));
  EXPECT_EQ(t.findings[0].channel, "from_dc1");
  EXPECT_THAT(t.findings[0].message, HasSubstr("IO thread not running (No"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("error 1236: Got fatal error"));
}

TEST(ReplicationBrokenTest, BothThreadsStoppedIsOneFindingNamingBoth) {
  std::vector<Member> members = HealthyOrders();
  ReplicationChannel& c = members[1].observation.channels[0];
  c.io_running = false;
  c.sql_running = false;

  const Topology t = Analyse(members);

  ASSERT_THAT(FindingKeys(t), ElementsAre("replication_broken orders-mysql-1"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("IO thread not running"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("SQL thread stopped"));
}

TEST(ReplicationBrokenTest, UnknownThreadStateIsNotBroken) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.channels[0].io_running = std::nullopt;
  members[1].observation.channels[0].sql_running = std::nullopt;

  const Topology t = Analyse(members);

  EXPECT_THAT(t.findings, IsEmpty());
  // Not known to be up either.
  EXPECT_FALSE(ChannelOf(t, "orders-mysql-1").link_up);
}

TEST(ReplicationBrokenTest, EachChannelJudgedSeparately) {
  std::vector<Member> members = HealthyOrders();
  ReplicationChannel second = members[1].observation.channels[0];
  second.name = "b";
  second.sql_running = false;
  members[1].observation.channels[0].name = "a";
  members[1].observation.channels.push_back(second);

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("replication_broken orders-mysql-1/b"));
  const MemberView* m = FindMember(t, "orders-mysql-1");
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->channels.size(), 2u);
  EXPECT_EQ(m->channels[0].channel.name, "a");
  EXPECT_TRUE(m->channels[0].link_up);
  EXPECT_EQ(m->channels[1].channel.name, "b");
  EXPECT_FALSE(m->channels[1].link_up);
}

TEST(ReplicationBrokenTest, DownMemberChannelsAreNotJudged) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.up = false;  // Stale channel data left behind.
  members[1].observation.channels[0].sql_running = false;
  members[1].observation.channels[0].lag_seconds = 1000;
  members[1].observation.channels[0].source_host = "10.9.9.9";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("target_down orders-mysql-1"));
  EXPECT_FALSE(ChannelOf(t, "orders-mysql-1").link_up);
  EXPECT_FALSE(ChannelOf(t, "orders-mysql-1").source_valid.has_value());
}

// --- replication_lagging -----------------------------------------------------

TEST(ReplicationLaggingTest, LagAboveThresholdFires) {
  std::vector<Member> members = HealthyOrders();
  members[2].observation.channels[0].lag_seconds = 31;

  const Topology t = Analyse(members, AnalysisOptions{.max_replication_lag_seconds = 30});

  EXPECT_THAT(FindingKeys(t), ElementsAre("replication_lagging orders-mysql-2"));
  EXPECT_EQ(t.findings[0].severity, Severity::kWarning);
  EXPECT_THAT(t.findings[0].message, HasSubstr("31s"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("30s"));
  // Lagging is not broken.
  EXPECT_TRUE(ChannelOf(t, "orders-mysql-2").link_up);
}

TEST(ReplicationLaggingTest, LagAtOrBelowThresholdIsSilent) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.channels[0].lag_seconds = 30;
  members[2].observation.channels[0].lag_seconds = 12.5;

  EXPECT_THAT(Analyse(members, AnalysisOptions{.max_replication_lag_seconds = 30}).findings,
              IsEmpty());
  // The threshold comes from the options.
  EXPECT_THAT(
      FindingKeys(Analyse(members, AnalysisOptions{.max_replication_lag_seconds = 10})),
      ElementsAre("replication_lagging orders-mysql-1", "replication_lagging orders-mysql-2"));
}

TEST(ReplicationLaggingTest, NullLagIsNeverLagging) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.channels[0].lag_seconds = std::nullopt;

  const Topology t = Analyse(members, AnalysisOptions{.max_replication_lag_seconds = 0});

  EXPECT_THAT(t.findings, IsEmpty());
}

// --- wrong_source ------------------------------------------------------------

TEST(WrongSourceTest, SourceNotAMemberFiresWithAddressAndExpectedPrimary) {
  std::vector<Member> members = HealthyOrders();
  members[2].observation.channels[0].source_host = "orders-mysql-tpl-0.orders-mysql-headless";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("wrong_source orders-mysql-2"));
  const Finding& f = t.findings[0];
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_THAT(f.message, HasSubstr("orders-mysql-tpl-0.orders-mysql-headless:3306"));
  EXPECT_THAT(f.message, HasSubstr("not a member"));
  EXPECT_THAT(f.message, HasSubstr("orders-mysql-0 (10.0.0.1:3306)"));
  EXPECT_EQ(ChannelOf(t, "orders-mysql-2").source_valid, false);
  EXPECT_EQ(ChannelOf(t, "orders-mysql-2").source_pod, "");
}

TEST(WrongSourceTest, ChainedReplicaReachesThePrimaryAndIsValid) {
  std::vector<Member> members = HealthyOrders();
  members[2].observation.channels[0].source_host = "10.0.0.2";  // orders-mysql-1

  const Topology t = Analyse(members);

  EXPECT_THAT(t.findings, IsEmpty());
  EXPECT_EQ(ChannelOf(t, "orders-mysql-2").source_valid, true);
  EXPECT_EQ(ChannelOf(t, "orders-mysql-2").source_pod, "orders-mysql-1");
  EXPECT_EQ(FindMember(t, "orders-mysql-0")->depth, 0);
  EXPECT_EQ(FindMember(t, "orders-mysql-1")->depth, 1);
  EXPECT_EQ(FindMember(t, "orders-mysql-2")->depth, 2);
}

TEST(WrongSourceTest, ChainEndingAtADetachedMemberIsWrong) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.channels.clear();  // RESET SLAVE ALL, still read-only.
  members[2].observation.channels[0].source_host = "10.0.0.2";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t),
              ElementsAre("detached_replica orders-mysql-1", "wrong_source orders-mysql-2"));
  const Finding wrong = FindingsOfKind(t, finding::kWrongSource).at(0);
  EXPECT_THAT(wrong.message, HasSubstr("the chain ends at orders-mysql-1"));
  EXPECT_THAT(wrong.message, HasSubstr("expected primary orders-mysql-0"));
  EXPECT_EQ(ChannelOf(t, "orders-mysql-2").source_valid, false);
  EXPECT_EQ(FindMember(t, "orders-mysql-2")->depth, std::nullopt);
}

TEST(WrongSourceTest, LoopWithoutThePrimaryIsWrongForBoth) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.channels[0].source_host = "10.0.0.3";
  members[2].observation.channels[0].source_host = "10.0.0.2";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t),
              ElementsAre("wrong_source orders-mysql-1", "wrong_source orders-mysql-2"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("loops back"));
  EXPECT_EQ(ChannelOf(t, "orders-mysql-1").source_valid, false);
}

TEST(WrongSourceTest, ChainThroughADownMemberIsUnknown) {
  std::vector<Member> members = HealthyOrders();
  members[2].observation.channels[0].source_host = "10.0.0.2";
  members[1] = Down(members[1]);

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("target_down orders-mysql-1"));
  EXPECT_EQ(ChannelOf(t, "orders-mysql-2").source_valid, std::nullopt);
}

TEST(WrongSourceTest, ChainLeavingTheUnitIsWrongAtEveryHop) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.channels[0].source_host = "10.9.9.9";
  members[2].observation.channels[0].source_host = "10.0.0.2";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t),
              ElementsAre("wrong_source orders-mysql-1", "wrong_source orders-mysql-2"));
  EXPECT_THAT(t.findings[1].message, HasSubstr("orders-mysql-1 replicates from outside the unit"));
}

TEST(WrongSourceTest, PodNameAndFqdnResolveCaseInsensitively) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.channels[0].source_host =
      "Orders-MySQL-0.orders-mysql-headless.default.svc.cluster.local";
  members[2].observation.channels[0].source_host = "orders-mysql-0";

  const Topology t = Analyse(members);

  EXPECT_THAT(t.findings, IsEmpty());
  EXPECT_EQ(ChannelOf(t, "orders-mysql-1").source_valid, true);
  EXPECT_EQ(ChannelOf(t, "orders-mysql-1").source_pod, "orders-mysql-0");
  EXPECT_EQ(ChannelOf(t, "orders-mysql-2").source_valid, true);
}

TEST(WrongSourceTest, PodNamePrefixWithoutDotDoesNotMatch) {
  // Only "<pod>." is a pod FQDN: "orders-mysql-01" is not "orders-mysql-0".
  std::vector<Member> members = HealthyOrders();
  members[1].observation.channels[0].source_host = "orders-mysql-01";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("wrong_source orders-mysql-1"));
}

TEST(WrongSourceTest, PortMustMatch) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.channels[0].source_port = 3307;

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("wrong_source orders-mysql-1"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("10.0.0.1:3307"));
}

TEST(WrongSourceTest, ReplicaReplicatingFromItself) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.channels[0].source_host = "10.0.0.2";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("wrong_source orders-mysql-1"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("itself"));
  EXPECT_EQ(ChannelOf(t, "orders-mysql-1").source_pod, "orders-mysql-1");
}

TEST(WrongSourceTest, SelfIsWrongEvenWithNoPrimary) {
  Member a = MysqlServer("mysql-0", "10.0.0.1", 3306, /*writable=*/false);
  Member b = MysqlReplicaOfAddress("mysql-1", "10.0.0.2", 3306, "mysql-1", 3306);

  const Topology t = Analyse({a, b});

  EXPECT_THAT(FindingKeys(t), ElementsAre("no_primary", "wrong_source mysql-1"));
}

TEST(WrongSourceTest, NoPrimaryAcceptsAnyOtherMemberButNotANonMember) {
  std::vector<Member> members = HealthyOrders();
  members[0] = Down(members[0]);
  // The primary is dead for the replicas too: IO threads retry it.
  for (int i : {1, 2}) {
    members[i].observation.channels[0].io_running = false;
    members[i].observation.channels[0].io_state = "Connecting";
  }
  members[2].observation.channels[0].source_host = "10.0.0.2";  // Chained replica.

  Topology t = Analyse(members);
  EXPECT_THAT(FindingsOfKind(t, finding::kWrongSource), IsEmpty());
  // No primary visible: a member source is plausible but cannot be confirmed.
  EXPECT_EQ(ChannelOf(t, "orders-mysql-1").source_valid, std::nullopt);
  EXPECT_EQ(ChannelOf(t, "orders-mysql-2").source_valid, std::nullopt);
  EXPECT_EQ(ChannelOf(t, "orders-mysql-1").source_pod,
            "orders-mysql-0");  // Down member still resolves.
  EXPECT_EQ(ChannelOf(t, "orders-mysql-2").source_pod, "orders-mysql-1");

  members[2].observation.channels[0].source_host = "10.0.7.7";
  t = Analyse(members);
  EXPECT_THAT(FindingsOfKind(t, finding::kNoPrimary).size(), 1u);
  const std::vector<Finding> wrong = FindingsOfKind(t, finding::kWrongSource);
  ASSERT_EQ(wrong.size(), 1u);
  EXPECT_EQ(wrong[0].pod, "orders-mysql-2");
  EXPECT_EQ(ChannelOf(t, "orders-mysql-2").source_valid, false);
  EXPECT_THAT(wrong[0].message, Not(HasSubstr("expected primary")));
}

TEST(WrongSourceTest, SeveralPrimariesAcceptOneOfThem) {
  std::vector<Member> members = HealthyOrders();
  Member extra = MysqlPrimary("orders-mysql-3", "10.0.0.4", 3306);
  fixtures::SetRoleLabel(extra, Role::kReplica);
  members.push_back(extra);
  members[1].observation.channels[0].source_host = "10.0.0.4";

  Topology t = Analyse(members);
  EXPECT_THAT(FindingKeys(t), ElementsAre("dual_primary", "role_label_mismatch orders-mysql-3"));
  EXPECT_EQ(ChannelOf(t, "orders-mysql-1").source_valid, true);
  EXPECT_EQ(ChannelOf(t, "orders-mysql-2").source_valid, true);

  members[2].observation.channels[0].source_host = "10.9.9.9";  // No member.
  t = Analyse(members);
  EXPECT_THAT(FindingsOfKind(t, finding::kWrongSource).size(), 1u);
  EXPECT_EQ(ChannelOf(t, "orders-mysql-2").source_valid, false);
  EXPECT_THAT(FindingsOfKind(t, finding::kWrongSource)[0].message,
              HasSubstr("orders-mysql-0, orders-mysql-3"));
}

TEST(WrongSourceTest, MissingSourceHostIsUnknownNotWrong) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.channels[0].source_host = "";
  members[1].observation.channels[0].source_port = 0;

  const Topology t = Analyse(members);

  EXPECT_THAT(t.findings, IsEmpty());
  EXPECT_FALSE(ChannelOf(t, "orders-mysql-1").source_valid.has_value());
}

TEST(WrongSourceTest, MatchesByTargetHostName) {
  Member p = MysqlPrimary("db-a", "db-a.example.com", 3306);
  Member r = MysqlReplicaOfAddress("db-b", "db-b.example.com", 3306, "DB-A.example.com", 3306);
  r.observation.server_id = 2;  // No ordinal in the pod names.

  const Topology t = Analyse({p, r});

  EXPECT_THAT(t.findings, IsEmpty());
  EXPECT_EQ(ChannelOf(t, "db-b").source_pod, "db-a");
}

// --- server_id_conflict ------------------------------------------------------

TEST(ServerIdConflictTest, TwoServersOneServerId) {
  std::vector<Member> members = HealthyOrders();
  members[2].observation.server_id = 2;  // Same as orders-mysql-1.

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("server_id_conflict orders-mysql-1",
                                          "server_id_conflict orders-mysql-2"));
  EXPECT_EQ(t.units[0].server_id_conflicts, 2);
  EXPECT_EQ(t.findings[0].severity, Severity::kCritical);
  EXPECT_THAT(t.findings[0].message, HasSubstr("server_id 2 shared with orders-mysql-2"));
  EXPECT_THAT(t.findings[1].message, HasSubstr("server_id 2 shared with orders-mysql-1"));
}

TEST(ServerIdConflictTest, ServerUuidConflict) {
  std::vector<Member> members = HealthyOrders();
  // A pod cloned from another's data directory keeps its auto.cnf.
  members[0].observation.server_uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
  members[1].observation.server_uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("server_id_conflict orders-mysql-0",
                                          "server_id_conflict orders-mysql-1"));
  EXPECT_EQ(t.units[0].server_id_conflicts, 2);
  EXPECT_THAT(t.findings[0].message, HasSubstr("server_uuid 3e11fa47"));
}

TEST(ServerIdConflictTest, MemberInBothConflictsCountsOnce) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.server_id = 1;
  members[1].observation.server_uuid = members[0].observation.server_uuid;

  const Topology t = Analyse(members);

  EXPECT_EQ(FindingsOfKind(t, finding::kServerIdConflict).size(), 2u);
  EXPECT_EQ(t.units[0].server_id_conflicts, 2);
  EXPECT_THAT(t.findings[0].message, HasSubstr("server_id 1"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("server_uuid"));
}

TEST(ServerIdConflictTest, DistinctIdsEmptyUuidsAndDownMembersAreSilent) {
  std::vector<Member> members = HealthyOrders();
  for (Member& m : members) m.observation.server_uuid = "";  // MariaDB.
  Member down = members[2];
  down.observation.up = false;
  down.observation.server_id = 1;  // Stale; the pod is down.
  members[2] = down;

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingsOfKind(t, finding::kServerIdConflict), IsEmpty());
  EXPECT_EQ(t.units[0].server_id_conflicts, 0);
}

TEST(ServerIdConflictTest, SameIdInDifferentUnitsIsFine) {
  const UnitId other{"default", "users", "mysql"};
  std::vector<Member> members = HealthyOrders();
  members.push_back(MysqlPrimary("users-mysql-0", "10.0.1.1", 3306, other));  // server_id 1.

  EXPECT_THAT(Analyse(members).findings, IsEmpty());
}

// --- version_skew ------------------------------------------------------------

TEST(VersionSkewTest, DifferentVersionsNamedInMessage) {
  std::vector<Member> members = HealthyOrders();
  members[2].observation.version = "11.4.2-MariaDB-ubu2404";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("version_skew"));
  const Finding& f = t.findings[0];
  EXPECT_EQ(f.severity, Severity::kInfo);
  EXPECT_EQ(f.pod, "");
  EXPECT_THAT(f.message, HasSubstr("10.11.6 (orders-mysql-0, orders-mysql-1)"));
  EXPECT_THAT(f.message, HasSubstr("11.4.2 (orders-mysql-2)"));
}

TEST(VersionSkewTest, BuildSuffixesDoNotCount) {
  std::vector<Member> members = HealthyOrders();
  members[0].observation.version = "10.11.19-MariaDB-0+deb12u1";
  members[1].observation.version = "10.11.19-MariaDB";
  members[2].observation.version = "10.11.19";

  EXPECT_THAT(Analyse(members).findings, IsEmpty());
}

TEST(VersionSkewTest, DownAndUnknownVersionsAreIgnored) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.version = "";
  members[2].observation.up = false;
  members[2].observation.version = "8.0.36";

  EXPECT_THAT(FindingsOfKind(Analyse(members), finding::kVersionSkew), IsEmpty());
}

// --- writable_replica --------------------------------------------------------

TEST(WritableReplicaTest, ReplicaWithReadOnlyOffFires) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.read_only = false;
  members[1].observation.writable = true;

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t), ElementsAre("writable_replica orders-mysql-1"));
  EXPECT_EQ(t.findings[0].severity, Severity::kWarning);
  EXPECT_THAT(t.findings[0].message, HasSubstr("read_only=0"));
  // Still a replica: it replicates. Not a second primary.
  EXPECT_EQ(t.units[0].primaries, 1);
}

TEST(WritableReplicaTest, ReadOnlyReplicaAndPrimaryAreSilent) {
  std::vector<Member> members = HealthyOrders();
  members[2].observation.writable = std::nullopt;  // Only read_only=1 known.

  EXPECT_THAT(FindingsOfKind(Analyse(members), finding::kWritableReplica), IsEmpty());
}

// --- DetectMysql on a hand-built unit -----------------------------------------

TEST(DetectMysqlTest, FillsChannelViewsFromObservations) {
  UnitView unit;
  unit.unit = fixtures::OrdersUnit();
  for (const Member& m : HealthyOrders()) {
    MemberView v;
    v.target = m.target;
    v.observation = m.observation;
    v.observed_role = detail::MysqlObservedRole(m.observation);
    unit.members.push_back(v);
  }
  std::vector<Finding> findings;

  detail::DetectMysql(unit, AnalysisOptions{}, &findings);

  EXPECT_THAT(findings, IsEmpty());
  ASSERT_EQ(unit.members[1].channels.size(), 1u);
  EXPECT_TRUE(unit.members[1].channels[0].link_up);
  EXPECT_EQ(unit.members[1].channels[0].source_valid, true);
  EXPECT_EQ(unit.members[1].channels[0].source_pod, "orders-mysql-0");
  EXPECT_EQ(unit.server_id_conflicts, 0);
}

// --- scenarios ---------------------------------------------------------------

// A replica pointing at the wrong source or a server_id collision: template pods in one component.
// mysql-tpl-0's source address was built from the component name and its own ordinal, so its IO
// thread connects to a pod that does not exist (2005); it got the same server_id as mysql-1, and
// runs a different image.
TEST(MysqlScenarioTest, Scenario2TemplatePods) {
  Member p = MysqlPrimary("mysql-0", "10.0.0.1", 3306);
  Member r1 = MysqlReplicaOf("mysql-1", "10.0.0.2", 3306, p);
  Member t0 =
      MysqlReplicaOfAddress("mysql-tpl-0", "10.0.0.9", 3306, "mysql-2.mysql-headless", 3306);
  ReplicationChannel& c = t0.observation.channels[0];
  c.io_running = false;
  c.io_state = "Connecting";
  c.lag_seconds = std::nullopt;
  c.last_io_errno = 2005;
  c.last_io_error = "Unknown MySQL server host 'mysql-2.mysql-headless' (-2)";
  t0.observation.server_id = r1.observation.server_id;
  t0.observation.version = "8.0.36";
  p.observation.version = "8.0.32";
  r1.observation.version = "8.0.32-log";

  const Topology t = Analyse({p, r1, t0});

  EXPECT_THAT(
      FindingKeys(t),
      ElementsAre("version_skew", "server_id_conflict mysql-1", "replication_broken mysql-tpl-0",
                  "server_id_conflict mysql-tpl-0", "wrong_source mysql-tpl-0"));
  EXPECT_EQ(t.units[0].server_id_conflicts, 2);
  EXPECT_EQ(ChannelOf(t, "mysql-tpl-0").source_valid, false);
  EXPECT_EQ(ChannelOf(t, "mysql-1").source_valid, true);
  EXPECT_THAT(FindingsOfKind(t, finding::kReplicationBroken)[0].message, HasSubstr("2005"));
  EXPECT_THAT(FindingsOfKind(t, finding::kVersionSkew)[0].message, HasSubstr("8.0.32"));
  EXPECT_THAT(FindingsOfKind(t, finding::kVersionSkew)[0].message, HasSubstr("8.0.36"));
}

// Classic StatefulSet primary/replica: a replica accidentally writable while its SQL thread is
// stopped on 1062 (the usual consequence), NULL lag.
TEST(MysqlScenarioTest, Scenario5WritableReplicaWithDuplicateKey) {
  std::vector<Member> members = HealthyOrders();
  members[1].observation.read_only = false;
  members[1].observation.writable = true;
  ReplicationChannel& c = members[1].observation.channels[0];
  c.sql_running = false;
  c.lag_seconds = std::nullopt;
  c.last_sql_errno = 1062;
  c.last_sql_error = "Duplicate entry '7' for key 'PRIMARY'";

  const Topology t = Analyse(members);

  EXPECT_THAT(FindingKeys(t),
              ElementsAre("replication_broken orders-mysql-1", "writable_replica orders-mysql-1"));
  EXPECT_FALSE(t.units[0].dual_primary);
}

}  // namespace
}  // namespace dbtopo
