// The pure remediation policy (remediation/src/policy.h): token check, unit
// resolution, switchover and fence decisions on analysed topologies,
// persistence, cooldown, Alertmanager payloads.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "alert_claims.h"
#include "analysis_fixtures.h"
#include "policy.h"

namespace dbtopo::remediation {
namespace {

using fixtures::Down;
using fixtures::HealthyOrders;
using fixtures::MysqlPrimary;
using fixtures::MysqlReplicaOf;
using fixtures::OrdersUnit;
using fixtures::SetRoleLabel;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

UnitView Analysed(const std::vector<Member>& members) {
  Topology t = Analyze(members, AnalysisOptions{});
  EXPECT_EQ(t.units.size(), 1u);
  return t.units.front();
}

SwitchoverLimits Limits() { return SwitchoverLimits{std::chrono::seconds(10), 1 << 20}; }

template <typename Plan>
Refusal RefusalOf(const Result<Plan, Refusal>& v) {
  EXPECT_TRUE(!v.ok()) << "expected a refusal";
  return !v.ok() ? v.error() : Refusal{RemediationCode::kOk, "(no refusal)"};
}

// ---------------------------------------------------------------- units

TEST(ResolveUnitTest, NamesOneUnit) {
  const std::vector<UnitId> known = {{"a", "orders", "mysql"},
                                     {"b", "orders", "mysql"},
                                     {"a", "cache", "redis"},
                                     {"a", "cache", "redis"}};
  auto r = ResolveUnit(known, {"a", true, "orders", "", false});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), (UnitId{"a", "orders", "mysql"}));
  // Duplicates (one per target) are one unit.
  auto cache = ResolveUnit(known, {"", false, "cache", "", false});
  ASSERT_TRUE(cache.ok());
}

TEST(ResolveUnitTest, AmbiguousUnknownAndMissing) {
  const std::vector<UnitId> known = {{"a", "orders", "mysql"}, {"b", "orders", "mysql"}};
  auto ambiguous = ResolveUnit(known, {"", false, "orders", "", false});
  ASSERT_TRUE(!ambiguous.ok());
  EXPECT_EQ(ambiguous.error().code, RemediationCode::kBadRequest);
  EXPECT_THAT(ambiguous.error().reason, HasSubstr("ambiguous"));
  EXPECT_THAT(ambiguous.error().reason, HasSubstr("a/orders/mysql"));

  auto unknown = ResolveUnit(known, {"a", true, "orders", "redis", true});
  ASSERT_TRUE(!unknown.ok());
  EXPECT_EQ(unknown.error().code, RemediationCode::kNotFound);

  auto missing = ResolveUnit(known, {"", false, "", "", false});
  ASSERT_TRUE(!missing.ok());
  EXPECT_EQ(missing.error().code, RemediationCode::kBadRequest);
}

// ---------------------------------------------------------------- switchover (MySQL)

TEST(PlanSwitchoverTest, HealthyReplicaIsAccepted) {
  const UnitView unit = Analysed(HealthyOrders());
  auto v = PlanSwitchover(unit, "orders-mysql-1", Limits());
  ASSERT_TRUE(v.ok()) << RefusalOf(v).reason;
  const SwitchoverPlan& plan = v.value();
  EXPECT_EQ(plan.old_primary, "orders-mysql-0");
  EXPECT_EQ(plan.candidate, "orders-mysql-1");
  EXPECT_EQ(plan.candidate_channel, "");
  EXPECT_THAT(plan.others, ElementsAre(Pair("orders-mysql-2", "")));
  EXPECT_FALSE(plan.resume);
  EXPECT_FALSE(plan.old_primary_was_read_only);
}

TEST(PlanSwitchoverTest, CandidateWithErrantGtidsIsRefused) {
  std::vector<Member> members = HealthyOrders();
  members[0].observation.gtid_binlog_state = "0-1-40";
  members[1].observation.gtid_binlog_state = "0-1-40,0-2-3";
  const UnitView unit = Analysed(members);
  const Refusal r = RefusalOf(PlanSwitchover(unit, "orders-mysql-1", Limits()));
  EXPECT_EQ(r.code, RemediationCode::kRefused);
  EXPECT_THAT(r.reason, HasSubstr("errant GTIDs 0-2-3"));
  // Asked for no candidate, the clean replica is chosen instead.
  auto chosen = ChooseCandidate(unit, Limits());
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen.value(), "orders-mysql-2");
}

TEST(AlertClaimsTest, OwnAlertsClaimTheirFindingOthersTheActionsProblem) {
  EXPECT_THAT(AlertClaims("DbtopoNoPrimary", "switchover"), ElementsAre("no_primary"));
  EXPECT_THAT(AlertClaims("DbtopoDualPrimary", "fence"), ElementsAre("dual_primary"));
  EXPECT_THAT(AlertClaims("DbtopoRedisClusterStateFail", "switchover"),
              ElementsAre("redis_cluster_state_fail"));
  EXPECT_THAT(AlertClaims("MyTeamPrimaryGone", "switchover"), ElementsAre("no_primary"));
  EXPECT_THAT(AlertClaims("DbtopoExporterDown", "fence"),
              ElementsAre("dual_primary", "writable_replica"));
}

TEST(PlanSwitchoverTest, UnknownCandidateIs404) {
  const Refusal r =
      RefusalOf(PlanSwitchover(Analysed(HealthyOrders()), "orders-mysql-9", Limits()));
  EXPECT_EQ(r.code, RemediationCode::kNotFound);
  EXPECT_THAT(r.reason, HasSubstr("unknown candidate"));
  EXPECT_THAT(r.reason, HasSubstr("orders-mysql-0, orders-mysql-1, orders-mysql-2"));
}

TEST(PlanSwitchoverTest, UnitNotFullyVisibleIsRefused) {
  std::vector<Member> m = HealthyOrders();
  m[2] = Down(m[2]);
  const Refusal r = RefusalOf(PlanSwitchover(Analysed(m), "orders-mysql-1", Limits()));
  EXPECT_EQ(r.code, RemediationCode::kRefused);
  EXPECT_THAT(r.reason, HasSubstr("not fully visible"));
  EXPECT_THAT(r.reason, HasSubstr("orders-mysql-2"));
}

TEST(PlanSwitchoverTest, BrokenCandidateIsRefused) {
  std::vector<Member> m = HealthyOrders();
  m[1].observation.channels[0].sql_running = false;
  m[1].observation.channels[0].last_sql_errno = 1062;
  m[1].observation.channels[0].last_sql_error = "Duplicate entry";
  m[1].observation.channels[0].lag_seconds.reset();
  const Refusal r = RefusalOf(PlanSwitchover(Analysed(m), "orders-mysql-1", Limits()));
  EXPECT_EQ(r.code, RemediationCode::kRefused);
  EXPECT_THAT(r.reason, HasSubstr("broken"));
  EXPECT_THAT(r.reason, HasSubstr("1062"));
}

TEST(PlanSwitchoverTest, LaggingOrUnknownLagIsRefused) {
  std::vector<Member> m = HealthyOrders();
  m[1].observation.channels[0].lag_seconds = 42;
  Refusal r = RefusalOf(PlanSwitchover(Analysed(m), "orders-mysql-1", Limits()));
  EXPECT_EQ(r.code, RemediationCode::kRefused);
  EXPECT_THAT(r.reason, HasSubstr("42s behind, more than max_lag 10s"));

  m[1].observation.channels[0].lag_seconds.reset();
  r = RefusalOf(PlanSwitchover(Analysed(m), "orders-mysql-1", Limits()));
  EXPECT_THAT(r.reason, HasSubstr("unknown lag"));

  m[1].observation.channels[0].lag_seconds = 10;  // At the limit is fine.
  EXPECT_TRUE((PlanSwitchover(Analysed(m), "orders-mysql-1", Limits())).ok());
}

TEST(PlanSwitchoverTest, DualPrimaryMustBeFencedFirst) {
  std::vector<Member> m = HealthyOrders();
  m[2].observation.channels.clear();
  m[2].observation.writable = true;
  m[2].observation.read_only = false;
  const Refusal r = RefusalOf(PlanSwitchover(Analysed(m), "orders-mysql-1", Limits()));
  EXPECT_THAT(r.reason, HasSubstr("fence the stray primary first"));
}

TEST(PlanSwitchoverTest, CandidateAlreadyPrimaryIsRefused) {
  const Refusal r =
      RefusalOf(PlanSwitchover(Analysed(HealthyOrders()), "orders-mysql-0", Limits()));
  EXPECT_EQ(r.code, RemediationCode::kRefused);
  EXPECT_THAT(r.reason, HasSubstr("already the primary"));
}

TEST(PlanSwitchoverTest, HalfDoneSwitchoverIsResumed) {
  // A switchover that half happened: the candidate was promoted, the old primary set read-only,
  // but mysql-2 still follows the old primary and the labels are old.
  Member old = fixtures::MysqlServer("orders-mysql-0", "10.0.0.1", 3306, /*writable=*/false);
  SetRoleLabel(old, Role::kPrimary);
  Member cand = fixtures::MysqlServer("orders-mysql-1", "10.0.0.2", 3306, /*writable=*/true);
  SetRoleLabel(cand, Role::kReplica);
  Member other = MysqlReplicaOf("orders-mysql-2", "10.0.0.3", 3306, old);
  auto v = PlanSwitchover(Analysed({old, cand, other}), "orders-mysql-1", Limits());
  ASSERT_TRUE(v.ok()) << RefusalOf(v).reason;
  const SwitchoverPlan& plan = v.value();
  EXPECT_TRUE(plan.resume);
  EXPECT_EQ(plan.old_primary, "orders-mysql-0");
  EXPECT_THAT(plan.others, ElementsAre(Pair("orders-mysql-2", "")));
}

TEST(PlanSwitchoverTest, NoWritablePrimaryStillSwitchesFromTheSource) {
  // A switchover that half happened, the other outcome: nobody writable, replicas follow mysql-0.
  std::vector<Member> m = HealthyOrders();
  m[0].observation.writable = false;
  m[0].observation.read_only = true;
  auto v = PlanSwitchover(Analysed(m), "orders-mysql-2", Limits());
  ASSERT_TRUE(v.ok()) << RefusalOf(v).reason;
  EXPECT_EQ(v.value().old_primary, "orders-mysql-0");
  EXPECT_TRUE(v.value().old_primary_was_read_only);
}

TEST(PlanSwitchoverTest, ChainedSourceIsRefused) {
  Member p = MysqlPrimary("orders-mysql-0", "10.0.0.1");
  Member mid = MysqlReplicaOf("orders-mysql-1", "10.0.0.2", 3306, p);
  Member leaf = MysqlReplicaOf("orders-mysql-2", "10.0.0.3", 3306, mid);
  const Refusal r = RefusalOf(PlanSwitchover(Analysed({p, mid, leaf}), "orders-mysql-2", Limits()));
  EXPECT_THAT(r.reason, HasSubstr("is itself a replica"));
}

TEST(PlanSwitchoverTest, WritableReplicaCandidateIsRefused) {
  std::vector<Member> m = HealthyOrders();
  m[1].observation.writable = true;
  m[1].observation.read_only = false;
  const Refusal r = RefusalOf(PlanSwitchover(Analysed(m), "orders-mysql-1", Limits()));
  EXPECT_THAT(r.reason, HasSubstr("fence"));
}

TEST(ChooseCandidateTest, PicksTheLeastLaggingHealthyReplica) {
  std::vector<Member> m = HealthyOrders();
  m[1].observation.channels[0].lag_seconds = 3;
  m[2].observation.channels[0].lag_seconds = 1;
  auto v = ChooseCandidate(Analysed(m), Limits());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value(), "orders-mysql-2");

  m[2].observation.channels[0].sql_running = false;
  v = ChooseCandidate(Analysed(m), Limits());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value(), "orders-mysql-1");

  m[1].observation.channels[0].lag_seconds = 99;
  v = ChooseCandidate(Analysed(m), Limits());
  ASSERT_TRUE(!v.ok());
  EXPECT_THAT(v.error().reason, HasSubstr("no replica qualifies"));
}

TEST(ChooseCandidateTest, WithoutAWritablePrimaryFollowsTheReplicas) {
  std::vector<Member> m = HealthyOrders();
  m[0].observation.writable = false;  // A switchover that half happened: demoted, nobody promoted.
  m[0].observation.read_only = true;
  m[1].observation.channels[0].lag_seconds = 2;
  auto v = ChooseCandidate(Analysed(m), Limits());
  ASSERT_TRUE(v.ok()) << v.error().reason;
  EXPECT_EQ(v.value(), "orders-mysql-2");
}

TEST(VerifySwitchoverTest, ReportsWhatIsStillWrong) {
  Member cand = MysqlPrimary("orders-mysql-1", "10.0.0.2");
  Member old = MysqlReplicaOf("orders-mysql-0", "10.0.0.1", 3306, cand);
  Member other = MysqlReplicaOf("orders-mysql-2", "10.0.0.3", 3306, cand);
  EXPECT_EQ(VerifySwitchover(Analysed({old, cand, other}), "orders-mysql-1"), "");

  other.observation.channels[0].io_running = false;
  other.observation.channels[0].io_state = "Connecting";
  EXPECT_THAT(VerifySwitchover(Analysed({old, cand, other}), "orders-mysql-1"),
              HasSubstr("orders-mysql-2's link to orders-mysql-1 is not up"));

  EXPECT_THAT(VerifySwitchover(Analysed(HealthyOrders()), "orders-mysql-1"),
              HasSubstr("not the primary yet"));
}

// ---------------------------------------------------------------- switchover (Redis)

Member RedisMember(const std::string& pod, int port, bool master, Engine engine = Engine::kRedis,
                   UnitId unit = {"", "cache", "redis"}) {
  Member m;
  m.target.unit = unit;
  m.target.pod = pod;
  m.target.engine = engine;
  m.target.host = "127.0.0.1";
  m.target.port = port;
  m.observation.up = true;
  m.observation.writable = master;
  m.observation.redis = RedisReplicationInfo{master ? "master" : "slave", "replid", "", 1000, 0};
  SetRoleLabel(m, master ? Role::kPrimary : Role::kReplica);
  return m;
}

Member RedisReplica(const std::string& pod, int port, int master_port, std::int64_t lag_bytes,
                    Engine engine = Engine::kRedis, UnitId unit = {"", "cache", "redis"}) {
  Member m = RedisMember(pod, port, false, engine, unit);
  ReplicationChannel c;
  c.source_host = "127.0.0.1";
  c.source_port = master_port;
  c.io_running = true;
  c.io_state = "up";
  c.lag_bytes = lag_bytes;
  c.last_io_seconds_ago = 1;
  m.observation.channels.push_back(c);
  m.observation.redis->master_replid = "other";  // Lag comes from the probe's own offsets.
  return m;
}

TEST(PlanSwitchoverTest, RedisChecksOffsetLag) {
  std::vector<Member> m = {RedisMember("redis-0", 7000, true),
                           RedisReplica("redis-1", 7001, 7000, 0),
                           RedisReplica("redis-2", 7002, 7000, 5 << 20)};
  auto ok = PlanSwitchover(Analysed(m), "redis-1", Limits());
  ASSERT_TRUE(ok.ok()) << RefusalOf(ok).reason;
  EXPECT_EQ(ok.value().old_primary, "redis-0");
  const Refusal r = RefusalOf(PlanSwitchover(Analysed(m), "redis-2", Limits()));
  EXPECT_THAT(r.reason, HasSubstr("bytes behind"));

  m[1].observation.channels[0].io_running = false;
  m[1].observation.channels[0].io_state = "down";
  EXPECT_THAT(RefusalOf(PlanSwitchover(Analysed(m), "redis-1", Limits())).reason,
              HasSubstr("broken (IO down"));
}

TEST(PlanSwitchoverTest, RedisClusterNeedsAReplicaOfTheShardMaster) {
  const UnitId shard{"", "sessions", "shard-0"};
  std::vector<Member> m = {RedisMember("s0-0", 7000, true, Engine::kRedisCluster, shard),
                           RedisReplica("s0-1", 7001, 7000, 0, Engine::kRedisCluster, shard)};
  auto ok = PlanSwitchover(Analysed(m), "s0-1", Limits());
  ASSERT_TRUE(ok.ok()) << RefusalOf(ok).reason;
  EXPECT_EQ(ok.value().old_primary, "s0-0");
  EXPECT_THAT(RefusalOf(PlanSwitchover(Analysed(m), "s0-0", Limits())).reason,
              HasSubstr("already"));
}

// ---------------------------------------------------------------- fence

TEST(PlanFenceTest, WritableReplicaIsTheStray) {
  std::vector<Member> m = HealthyOrders();
  m[1].observation.writable = true;
  m[1].observation.read_only = false;
  auto v = PlanFence(Analysed(m), "");
  ASSERT_TRUE(v.ok()) << RefusalOf(v).reason;
  EXPECT_EQ(v.value().legit_primary, "orders-mysql-0");
  EXPECT_THAT(v.value().strays, ElementsAre("orders-mysql-1"));
}

TEST(PlanFenceTest, DetachedWritableMemberIsTheStray) {
  std::vector<Member> m = HealthyOrders();
  m[2].observation.channels.clear();
  m[2].observation.writable = true;
  m[2].observation.read_only = false;
  auto v = PlanFence(Analysed(m), "");
  ASSERT_TRUE(v.ok()) << RefusalOf(v).reason;
  EXPECT_EQ(v.value().legit_primary, "orders-mysql-0");
  EXPECT_THAT(v.value().strays, ElementsAre("orders-mysql-2"));
}

TEST(PlanFenceTest, TwoLabelledPrimariesWithoutReplicasAreRefused) {
  // Two pods labelled primary: two pods, both writable, both labelled primary.
  Member a = MysqlPrimary("orders-mysql-0", "10.0.0.1");
  Member b = MysqlPrimary("orders-mysql-1", "10.0.0.2");
  const Refusal r = RefusalOf(PlanFence(Analysed({a, b}), ""));
  EXPECT_EQ(r.code, RemediationCode::kRefused);
  EXPECT_THAT(r.reason, HasSubstr("cannot identify exactly one legitimate primary"));
}

TEST(PlanFenceTest, MajorityOfReplicasDecidesBetweenLabelledPrimaries) {
  Member a = MysqlPrimary("orders-mysql-0", "10.0.0.1");
  Member b = MysqlPrimary("orders-mysql-1", "10.0.0.2");
  Member r1 = MysqlReplicaOf("orders-mysql-2", "10.0.0.3", 3306, a);
  Member r2 = MysqlReplicaOf("orders-mysql-3", "10.0.0.4", 3306, a);
  Member r3 = MysqlReplicaOf("orders-mysql-4", "10.0.0.5", 3306, b);
  auto v = PlanFence(Analysed({a, b, r1, r2, r3}), "");
  ASSERT_TRUE(v.ok()) << RefusalOf(v).reason;
  EXPECT_EQ(v.value().legit_primary, "orders-mysql-0");
  EXPECT_THAT(v.value().strays, ElementsAre("orders-mysql-1"));

  // A tie is not a majority.
  Member r4 = MysqlReplicaOf("orders-mysql-5", "10.0.0.6", 3306, b);
  EXPECT_THAT(RefusalOf(PlanFence(Analysed({a, b, r1, r2, r3, r4}), "")).reason,
              HasSubstr("followed by 2 of 4 replicas"));
}

TEST(PlanFenceTest, RefusesTheLegitimatePrimaryAndNothingToFence) {
  std::vector<Member> m = HealthyOrders();
  EXPECT_THAT(RefusalOf(PlanFence(Analysed(m), "")).reason, HasSubstr("nothing to fence"));
  m[1].observation.writable = true;
  m[1].observation.read_only = false;
  EXPECT_THAT(RefusalOf(PlanFence(Analysed(m), "orders-mysql-0")).reason,
              HasSubstr("is the legitimate primary"));
  EXPECT_EQ(RefusalOf(PlanFence(Analysed(m), "orders-mysql-7")).code, RemediationCode::kNotFound);
  auto only = PlanFence(Analysed(m), "orders-mysql-1");
  ASSERT_TRUE(only.ok());
  m[2] = Down(m[2]);
  EXPECT_THAT(RefusalOf(PlanFence(Analysed(m), "")).reason, HasSubstr("not fully visible"));
}

TEST(PlanFenceTest, RedisClusterIsNotFenced) {
  const UnitId shard{"", "sessions", "shard-0"};
  std::vector<Member> m = {RedisMember("s0-0", 7000, true, Engine::kRedisCluster, shard),
                           RedisMember("s0-1", 7001, true, Engine::kRedisCluster, shard)};
  EXPECT_THAT(RefusalOf(PlanFence(Analysed(m), "")).reason, HasSubstr("not supported"));
}

TEST(VerifyFenceTest, ChecksWritable) {
  std::vector<Member> m = HealthyOrders();
  EXPECT_EQ(VerifyFence(Analysed(m), {"orders-mysql-1"}), "");
  m[1].observation.writable = true;
  EXPECT_THAT(VerifyFence(Analysed(m), {"orders-mysql-1"}), HasSubstr("still accepts writes"));
}

// ---------------------------------------------------------------- automatic

TEST(PersistenceTest, ActsOnlyAfterConsecutiveRounds) {
  std::vector<Member> m = HealthyOrders();
  m[1].observation.writable = true;
  m[1].observation.read_only = false;
  const Topology bad = Analyze(m, AnalysisOptions{});
  const Topology good = Analyze(HealthyOrders(), AnalysisOptions{});
  Persistence p;
  EXPECT_THAT(p.Observe(bad, 2), IsEmpty());
  auto due = p.Observe(bad, 2);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].first, OrdersUnit());
  EXPECT_EQ(due[0].second, "writable_replica");
  // A clean round resets the count.
  EXPECT_THAT(p.Observe(good, 2), IsEmpty());
  EXPECT_THAT(p.Observe(bad, 2), IsEmpty());
  EXPECT_EQ(p.Observe(bad, 2).size(), 1u);
  p.Reset(OrdersUnit());
  EXPECT_THAT(p.Observe(bad, 2), IsEmpty());
}

TEST(CooldownTest, Window) {
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(InCooldown(std::nullopt, t0, std::chrono::minutes(5)));
  EXPECT_TRUE(InCooldown(t0, t0 + std::chrono::minutes(4), std::chrono::minutes(5)));
  EXPECT_FALSE(InCooldown(t0, t0 + std::chrono::minutes(5), std::chrono::minutes(5)));
}

}  // namespace
}  // namespace dbtopo::remediation
