// Engine `redis` (replication sets) through Analyze(): roles, links, lag,
// wrong_source, dual master after a promotion, no master.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "analysis_fixtures.h"
#include "dbtopo/analysis/analysis.h"
#include "detectors.h"
#include "redis_info_parser.h"

namespace dbtopo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kReplidA[] = "a8e62fdd1581177b74c3458806bf8e413721cc86";
constexpr char kReplidB[] = "e00bcc2f9fe6e0dc9313781f857b29c5a1014566";
constexpr char kNoReplid[] = "0000000000000000000000000000000000000000";

UnitId CacheUnit() { return UnitId{"default", "cache", "redis"}; }

Member RedisServer(const std::string& pod, const std::string& host, int port) {
  Member m;
  m.target.unit = CacheUnit();
  m.target.pod = pod;
  m.target.engine = Engine::kRedis;
  m.target.host = host;
  m.target.port = port;
  m.observation.up = true;
  m.observation.version = "7.0.15";
  return m;
}

Member RedisMaster(const std::string& pod, const std::string& host, int port = 6379,
                   std::int64_t offset = 1000, const std::string& replid = kReplidA) {
  Member m = RedisServer(pod, host, port);
  m.observation.writable = true;
  m.observation.redis = RedisReplicationInfo{"master", replid, kNoReplid, offset, 2};
  fixtures::SetRoleLabel(m, Role::kPrimary);
  return m;
}

Member RedisReplicaOf(const std::string& pod, const std::string& host, int port,
                      const Member& master, std::int64_t offset = 1000) {
  Member m = RedisServer(pod, host, port);
  m.observation.writable = false;
  m.observation.redis =
      RedisReplicationInfo{"slave", master.observation.redis->master_replid, kNoReplid, offset, 0};
  ReplicationChannel c;
  c.source_host = master.target.host;
  c.source_port = master.target.port;
  c.io_running = true;
  c.io_state = "up";
  c.last_io_seconds_ago = 1;
  c.lag_bytes = 0;
  m.observation.channels.push_back(c);
  fixtures::SetRoleLabel(m, Role::kReplica);
  return m;
}

std::vector<std::string> Kinds(const Topology& t) {
  std::vector<std::string> kinds;
  for (const Finding& f : t.findings) kinds.push_back(f.kind + (f.pod.empty() ? "" : "@" + f.pod));
  return kinds;
}

const Finding* Find(const Topology& t, const std::string& kind) {
  for (const Finding& f : t.findings) {
    if (f.kind == kind) return &f;
  }
  return nullptr;
}

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(DBTOPO_REDIS_TESTDATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(RedisObservedRole, FromInfoRole) {
  Observation o;
  EXPECT_EQ(detail::RedisObservedRole(o), Role::kUnknown);
  o.up = true;
  EXPECT_EQ(detail::RedisObservedRole(o), Role::kUnknown);  // no INFO
  o.redis = RedisReplicationInfo{};
  o.redis->role = "master";
  EXPECT_EQ(detail::RedisObservedRole(o), Role::kPrimary);
  o.redis->role = "slave";
  EXPECT_EQ(detail::RedisObservedRole(o), Role::kReplica);
  o.redis->role = "sentinel";
  EXPECT_EQ(detail::RedisObservedRole(o), Role::kUnknown);
  o.redis->role = "master";
  o.up = false;
  EXPECT_EQ(detail::RedisObservedRole(o), Role::kUnknown);
}

TEST(AddressNamesMember, AddressPodAndFqdn) {
  MemberView m;
  m.target.host = "10.0.0.5";
  m.target.port = 6379;
  m.target.pod = "cache-redis-0";
  EXPECT_TRUE(detail::AddressNamesMember("10.0.0.5", 6379, m));
  EXPECT_FALSE(detail::AddressNamesMember("10.0.0.5", 6380, m));
  EXPECT_TRUE(detail::AddressNamesMember("cache-redis-0", 6379, m));
  EXPECT_TRUE(
      detail::AddressNamesMember("CACHE-redis-0.cache-redis-headless.default.svc", 6379, m));
  EXPECT_FALSE(detail::AddressNamesMember("cache-redis-01", 6379, m));
  EXPECT_FALSE(detail::AddressNamesMember("cache-redis-0x.svc", 6379, m));
  EXPECT_FALSE(detail::AddressNamesMember("", 6379, m));
}

TEST(RedisDetectors, HealthySetIsSilent) {
  const Member master = RedisMaster("cache-redis-0", "10.0.0.1", 6379, 5000);
  const Topology t =
      Analyze({master, RedisReplicaOf("cache-redis-1", "10.0.0.2", 6379, master, 4000),
               RedisReplicaOf("cache-redis-2", "10.0.0.3", 6379, master, 5000)},
              AnalysisOptions{});
  EXPECT_THAT(t.findings, IsEmpty());
  ASSERT_EQ(t.units.size(), 1u);
  const UnitView& u = t.units[0];
  EXPECT_EQ(u.primaries, 1);
  EXPECT_EQ(u.primary_pod, "cache-redis-0");
  EXPECT_FALSE(u.dual_primary);
  EXPECT_EQ(u.members[0].observed_role, Role::kPrimary);
  EXPECT_EQ(u.members[1].observed_role, Role::kReplica);
  ASSERT_EQ(u.members[1].channels.size(), 1u);
  const ChannelView& cv = u.members[1].channels[0];
  EXPECT_TRUE(cv.link_up);
  EXPECT_EQ(cv.source_valid, true);
  EXPECT_EQ(cv.source_pod, "cache-redis-0");
  EXPECT_EQ(cv.channel.lag_bytes, 1000);  // master 5000 - replica 4000
  EXPECT_EQ(u.members[2].channels[0].channel.lag_bytes, 0);
  EXPECT_EQ(u.redis_cluster_views_consistent, std::nullopt);
  EXPECT_EQ(u.members[0].redis_cluster_unmet_nodes, std::nullopt);
}

TEST(RedisDetectors, LaggingAboveThresholdOnly) {
  const Member master = RedisMaster("cache-redis-0", "10.0.0.1", 6379, 300);
  AnalysisOptions options;
  options.max_replication_lag_bytes = 100;
  Topology t = Analyze({master, RedisReplicaOf("cache-redis-1", "10.0.0.2", 6379, master, 200),
                        RedisReplicaOf("cache-redis-2", "10.0.0.3", 6379, master, 199)},
                       options);
  EXPECT_THAT(Kinds(t), ElementsAre("replication_lagging@cache-redis-2"));
  EXPECT_EQ(t.findings[0].severity, Severity::kWarning);
  EXPECT_THAT(t.findings[0].message, HasSubstr("101 bytes exceeds 100 bytes"));
}

TEST(RedisDetectors, LagUnknownAcrossHistoriesKeepsProbeValue) {
  const Member master = RedisMaster("cache-redis-0", "10.0.0.1", 6379, 1'000'000'000);
  Member replica = RedisReplicaOf("cache-redis-1", "10.0.0.2", 6379, master, 10);
  replica.observation.redis->master_replid = kReplidB;  // not synced to this master yet
  replica.observation.channels[0].lag_bytes = std::nullopt;
  const Topology t = Analyze({master, replica}, AnalysisOptions{});
  EXPECT_THAT(t.findings, IsEmpty());
  EXPECT_EQ(t.units[0].members[1].channels[0].channel.lag_bytes, std::nullopt);
}

TEST(RedisDetectors, LinkDownIsReplicationBroken) {
  const Member master = RedisMaster("cache-redis-0", "10.0.0.1");
  Member replica = RedisReplicaOf("cache-redis-1", "10.0.0.2", 6379, master);
  replica.observation.channels[0].io_running = false;
  replica.observation.channels[0].io_state = "down";
  const Topology t = Analyze({master, replica}, AnalysisOptions{});
  EXPECT_THAT(Kinds(t), ElementsAre("replication_broken@cache-redis-1"));
  EXPECT_EQ(t.findings[0].severity, Severity::kCritical);
  EXPECT_THAT(t.findings[0].message,
              HasSubstr("master_link_status down, source 10.0.0.1:6379 (cache-redis-0)"));
  const ChannelView& cv = t.units[0].members[1].channels[0];
  EXPECT_FALSE(cv.link_up);
  EXPECT_EQ(cv.source_valid, true);
}

TEST(RedisDetectors, DeadSourceOutsideUnitIsWrongSourceAndBroken) {
  const Member master = RedisMaster("cache-redis-0", "10.0.0.1");
  Member replica = RedisReplicaOf("cache-redis-1", "10.0.0.2", 6379, master);
  replica.observation.channels[0].source_host = "10.0.0.99";
  replica.observation.channels[0].io_running = false;
  replica.observation.channels[0].io_state = "down";
  const Topology t = Analyze({master, replica}, AnalysisOptions{});
  EXPECT_THAT(Kinds(t), UnorderedElementsAre("replication_broken@cache-redis-1",
                                             "wrong_source@cache-redis-1"));
  const Finding* f = Find(t, finding::kWrongSource);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_THAT(f->message, HasSubstr("source 10.0.0.99:6379 is not a member of the unit; "
                                    "expected primary cache-redis-0 (10.0.0.1:6379)"));
  EXPECT_EQ(t.units[0].members[1].channels[0].source_valid, false);
}

TEST(RedisDetectors, SourceByPodFqdnIsValid) {
  const Member master = RedisMaster("cache-redis-0", "10.0.0.1");
  Member replica = RedisReplicaOf("cache-redis-1", "10.0.0.2", 6379, master);
  replica.observation.channels[0].source_host = "cache-redis-0.cache-redis-headless.default.svc";
  const Topology t = Analyze({master, replica}, AnalysisOptions{});
  EXPECT_THAT(t.findings, IsEmpty());
  EXPECT_EQ(t.units[0].members[1].channels[0].source_pod, "cache-redis-0");
}

TEST(RedisDetectors, ChainedReplicaIsValid) {
  // A replica of a replica is legal Redis (sub-replicas get the master's stream).
  const Member master = RedisMaster("cache-redis-0", "10.0.0.1");
  const Member r1 = RedisReplicaOf("cache-redis-1", "10.0.0.2", 6379, master);
  Member r2 = RedisReplicaOf("cache-redis-2", "10.0.0.3", 6379, master);
  r2.observation.channels[0].source_host = "10.0.0.2";
  const Topology t = Analyze({master, r1, r2}, AnalysisOptions{});
  EXPECT_THAT(Kinds(t), IsEmpty());
  EXPECT_EQ(t.units[0].members[2].channels[0].source_valid, true);
  EXPECT_EQ(t.units[0].members[2].depth, 2);
}

TEST(RedisDetectors, MasterUnreachableWhileReplicasLinkedIsPrimaryUnreachable) {
  const Member master = RedisMaster("cache-redis-0", "10.0.0.1");
  const Member r1 = RedisReplicaOf("cache-redis-1", "10.0.0.2", 6379, master);
  const Topology t = Analyze({fixtures::Down(master), r1}, AnalysisOptions{});
  EXPECT_THAT(Kinds(t),
              ElementsAre("primary_unreachable@cache-redis-0", "target_down@cache-redis-0"));
}

TEST(RedisDetectors, ReplicaOfItselfIsWrongSource) {
  const Member master = RedisMaster("cache-redis-0", "10.0.0.1");
  Member r1 = RedisReplicaOf("cache-redis-1", "10.0.0.2", 6379, master);
  r1.observation.channels[0].source_host = "10.0.0.2";
  const Topology t = Analyze({master, r1}, AnalysisOptions{});
  EXPECT_THAT(Kinds(t), ElementsAre("wrong_source@cache-redis-1"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("replicates from itself"));
}

TEST(RedisDetectors, PromotedReplicaBesideOldMasterIsOneDualPrimary) {
  const Member old_master = RedisMaster("cache-redis-0", "10.0.0.1", 6379, 92, kReplidA);
  Member promoted = RedisMaster("cache-redis-1", "10.0.0.2", 6379, 92, kReplidB);
  promoted.observation.redis->master_replid2 = kReplidA;
  fixtures::SetRoleLabel(promoted, Role::kReplica);
  const Topology t = Analyze({old_master, promoted}, AnalysisOptions{});
  EXPECT_THAT(Kinds(t), UnorderedElementsAre("dual_primary", "role_label_mismatch@cache-redis-1"));
  const Finding* f = Find(t, finding::kDualPrimary);
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->message,
              HasSubstr("cache-redis-1 was promoted from the history of "
                        "cache-redis-0 (master_replid2), which still runs as a master"));
  EXPECT_TRUE(t.units[0].dual_primary);
  EXPECT_EQ(t.units[0].primaries, 2);
}

TEST(RedisDetectors, TwoUnrelatedMastersAreDualPrimaryWithoutPromotionNote) {
  const Topology t = Analyze({RedisMaster("cache-redis-0", "10.0.0.1", 6379, 1, kReplidA),
                              RedisMaster("cache-redis-1", "10.0.0.2", 6379, 1, kReplidB)},
                             AnalysisOptions{});
  const Finding* f = Find(t, finding::kDualPrimary);
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->message, Not(HasSubstr("promoted")));
  EXPECT_EQ(std::count_if(t.findings.begin(), t.findings.end(),
                          [](const Finding& x) { return x.kind == finding::kDualPrimary; }),
            1);
}

TEST(RedisDetectors, MasterDownIsOneNoPrimaryAndSourceUnknown) {
  Member master = RedisMaster("cache-redis-0", "10.0.0.1");
  Member replica = RedisReplicaOf("cache-redis-1", "10.0.0.2", 6379, master);
  replica.observation.channels[0].io_running = false;
  replica.observation.channels[0].io_state = "down";
  master.observation = Observation{};
  master.observation.error = "connect: Connection refused";
  const Topology t = Analyze({master, replica}, AnalysisOptions{});
  EXPECT_THAT(Kinds(t), UnorderedElementsAre("no_primary", "target_down@cache-redis-0",
                                             "replication_broken@cache-redis-1"));
  const ChannelView& cv = t.units[0].members[1].channels[0];
  EXPECT_EQ(cv.source_valid, std::nullopt);
  EXPECT_EQ(cv.source_pod, "cache-redis-0");
}

TEST(RedisDetectors, DownReplicaIsOnlyTargetDown) {
  const Member master = RedisMaster("cache-redis-0", "10.0.0.1");
  Member replica = RedisReplicaOf("cache-redis-1", "10.0.0.2", 6379, master);
  replica.observation.up = false;  // stale fields must not be judged
  replica.observation.channels[0].io_running = false;
  const Topology t = Analyze({master, replica}, AnalysisOptions{});
  EXPECT_THAT(Kinds(t), ElementsAre("target_down@cache-redis-1"));
  EXPECT_FALSE(t.units[0].members[1].channels[0].link_up);
}

TEST(RedisDetectors, UnknownLinkStatusRaisesNothing) {
  const Member master = RedisMaster("cache-redis-0", "10.0.0.1");
  Member replica = RedisReplicaOf("cache-redis-1", "10.0.0.2", 6379, master);
  replica.observation.channels[0].io_running = std::nullopt;
  replica.observation.redis->master_repl_offset = std::nullopt;
  replica.observation.channels[0].lag_bytes = std::nullopt;
  const Topology t = Analyze({master, replica}, AnalysisOptions{});
  EXPECT_THAT(t.findings, IsEmpty());
  EXPECT_FALSE(t.units[0].members[1].channels[0].link_up);
  EXPECT_EQ(t.units[0].members[1].channels[0].channel.lag_bytes, std::nullopt);
}

// The recorded promotion: 17011 still a master, 17012 promoted with
// REPLICAOF NO ONE, 17013 re-pointed at a dead port.
TEST(RedisDetectors, RecordedPromotionAndDeadSource) {
  auto member = [](const std::string& pod, int port, const std::string& file) {
    Member m = RedisServer(pod, "127.0.0.1", port);
    redis::RedisReplies replies;
    replies.info_replication = ReadTestdata(file);
    replies.info_server = ReadTestdata("info_server.txt");
    redis::FillRedis(replies, &m.observation);
    return m;
  };
  const Topology t =
      Analyze({member("cache-redis-0", 17011, "info_replication_old_master_after_promotion.txt"),
               member("cache-redis-1", 17012, "info_replication_promoted.txt"),
               member("cache-redis-2", 17013, "info_replication_replica_dead_source.txt")},
              AnalysisOptions{});
  EXPECT_THAT(Kinds(t), UnorderedElementsAre("dual_primary", "replication_broken@cache-redis-2",
                                             "wrong_source@cache-redis-2"));
  EXPECT_THAT(Find(t, finding::kDualPrimary)->message,
              HasSubstr("cache-redis-1 was promoted from the history of cache-redis-0"));
  // Its source is outside the unit and its link is down: lag unknown.
  EXPECT_EQ(t.units[0].members[2].channels[0].channel.lag_bytes, std::nullopt);
}

}  // namespace
}  // namespace dbtopo
