// Engine `redis-sentinel`: the reply parser on a round recorded from a real
// redis-sentinel 7.0.15 (testdata/redis/sentinel_round.resp: INFO sentinel,
// INFO server, SENTINEL MASTERS, REPLICAS, SENTINELS, CKQUORUM for one
// master with one replica and one sentinel), odd replies, and the sentinel
// detectors through Analyze().

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "analysis_fixtures.h"
#include "dbtopo/analysis/analysis.h"
#include "dbtopo/collectors/redis_reply.h"
#include "sentinel_parser.h"

namespace dbtopo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

std::vector<ReplyPtr> ParseResp(const std::string& bytes) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, bytes.data(), bytes.size());
  std::vector<ReplyPtr> replies;
  void* raw = nullptr;
  while (redisReaderGetReply(reader, &raw) == REDIS_OK && raw != nullptr) {
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  redisReaderFree(reader);
  return replies;
}

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(DBTOPO_REDIS_TESTDATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SentinelParser, RecordedRound) {
  const auto replies = ParseResp(ReadTestdata("sentinel_round.resp"));
  ASSERT_EQ(replies.size(), 6u);
  redis::SentinelReplies parsed;
  parsed.info_sentinel = redis::TextFromReply(replies[0].get())->value();
  parsed.masters = replies[2].get();
  EXPECT_THAT(redis::MasterNames(parsed.masters), ElementsAre("mymaster"));
  parsed.per_master["mymaster"] = {replies[3].get(), replies[4].get(), replies[5].get()};
  Observation o;
  redis::FillSentinel(parsed, &o);
  ASSERT_TRUE(o.sentinel.has_value());
  EXPECT_EQ(o.sentinel->tilt, false);
  EXPECT_EQ(o.sentinel->masters_count, 1);
  ASSERT_EQ(o.sentinel->masters.size(), 1u);
  const SentinelMaster& m = o.sentinel->masters[0];
  EXPECT_EQ(m.name, "mymaster");
  EXPECT_EQ(m.Address(), "127.0.0.1:16379");
  EXPECT_THAT(m.flags, ElementsAre("master"));
  EXPECT_EQ(m.config_epoch, 0);
  EXPECT_EQ(m.quorum, 2);
  EXPECT_EQ(m.num_replicas, 1);
  EXPECT_EQ(m.num_other_sentinels, 0);
  // One sentinel with quorum 2: CKQUORUM answers -NOQUORUM.
  EXPECT_EQ(m.quorum_ok, false);
  EXPECT_THAT(m.quorum_message, HasSubstr("NOQUORUM 1 usable Sentinels"));
  ASSERT_TRUE(m.replicas.has_value());
  ASSERT_EQ(m.replicas->size(), 1u);
  EXPECT_EQ((*m.replicas)[0].port, 16380);
  EXPECT_THAT((*m.replicas)[0].flags, ElementsAre("slave"));
  ASSERT_TRUE(m.sentinels.has_value());
  EXPECT_THAT(*m.sentinels, IsEmpty());
}

TEST(SentinelParser, OddRepliesStayUnknown) {
  // An entry with an odd element count, a non-numeric port and epoch, a
  // nested array where a value belongs, and an entry without a name.
  const auto replies = ParseResp(
      "*3\r\n"
      "*7\r\n$4\r\nname\r\n$1\r\nm\r\n$4\r\nport\r\n$3\r\nabc\r\n$12\r\nconfig-epoch\r\n"
      "*0\r\n$5\r\nflags\r\n"
      "*2\r\n$2\r\nip\r\n$3\r\n1.2\r\n"
      ":5\r\n"
      "+OK 3 usable Sentinels\r\n");
  ASSERT_EQ(replies.size(), 2u);
  redis::SentinelReplies parsed;
  parsed.masters = replies[0].get();
  parsed.per_master["m"] = {nullptr, nullptr, replies[1].get()};
  Observation o;
  redis::FillSentinel(parsed, &o);
  ASSERT_TRUE(o.sentinel.has_value());
  EXPECT_EQ(o.sentinel->tilt, std::nullopt);
  ASSERT_EQ(o.sentinel->masters.size(), 1u);
  const SentinelMaster& m = o.sentinel->masters[0];
  EXPECT_EQ(m.port, 0);
  EXPECT_EQ(m.config_epoch, std::nullopt);
  EXPECT_THAT(m.flags, IsEmpty());
  EXPECT_EQ(m.quorum_ok, true);
  EXPECT_EQ(m.replicas, std::nullopt);
}

TEST(SentinelParser, NothingReadLeavesSentinelUnset) {
  const auto replies = ParseResp("-ERR unknown command 'SENTINEL'\r\n");
  redis::SentinelReplies parsed;
  parsed.masters = replies[0].get();
  Observation o;
  redis::FillSentinel(parsed, &o);
  EXPECT_FALSE(o.sentinel.has_value());
}

// ---------------------------------------------------------------------------
// Detectors.

UnitId CacheUnit() { return UnitId{"default", "cache", "redis"}; }
UnitId SentinelUnit() { return UnitId{"default", "cache", "redis-sentinel"}; }

Member RedisNode(const std::string& pod, int port, const std::string& role) {
  Member m;
  m.target.unit = CacheUnit();
  m.target.pod = pod;
  m.target.engine = Engine::kRedis;
  m.target.host = "10.0.0.1";
  m.target.port = port;
  m.observation.up = true;
  m.observation.writable = role == "master";
  m.observation.redis = RedisReplicationInfo{role, "r", "0", 100, 0};
  if (role == "slave") {
    ReplicationChannel c;
    c.source_host = "10.0.0.1";
    c.source_port = 6379;
    c.io_running = true;
    c.io_state = "up";
    m.observation.channels.push_back(c);
  }
  return m;
}

Member Sentinel(const std::string& pod, int master_port, std::int64_t epoch = 0) {
  Member m;
  m.target.unit = SentinelUnit();
  m.target.pod = pod;
  m.target.engine = Engine::kRedisSentinel;
  m.target.host = "10.0.0.9";
  m.target.port = 26379;
  m.observation.up = true;
  SentinelMaster master;
  master.name = "mymaster";
  master.host = "10.0.0.1";
  master.port = master_port;
  master.flags = {"master"};
  master.config_epoch = epoch;
  master.quorum = 2;
  master.quorum_ok = true;
  m.observation.sentinel = SentinelInfo{false, 1, {master}};
  return m;
}

std::vector<Member> Healthy() {
  return {RedisNode("redis-0", 6379, "master"), RedisNode("redis-1", 6380, "slave"),
          Sentinel("sentinel-0", 6379), Sentinel("sentinel-1", 6379), Sentinel("sentinel-2", 6379)};
}

std::vector<std::string> Kinds(const Topology& t) {
  std::vector<std::string> kinds;
  for (const Finding& f : t.findings) kinds.push_back(f.kind + "@" + f.pod);
  return kinds;
}

const UnitView& UnitOf(const Topology& t, const UnitId& id) {
  for (const UnitView& u : t.units) {
    if (u.unit == id) return u;
  }
  ADD_FAILURE() << "no unit " << id.component;
  return t.units.front();
}

TEST(SentinelDetectors, HealthyIsQuietAndViewsAreTied) {
  const Topology t = Analyze(Healthy(), {});
  EXPECT_THAT(t.findings, IsEmpty());
  const UnitView& redis = UnitOf(t, CacheUnit());
  ASSERT_EQ(redis.sentinel_views.size(), 3u);
  EXPECT_EQ(redis.sentinel_views[0].master_pod, "redis-0");
  EXPECT_EQ(redis.sentinel_views[0].watched_unit, CacheUnit());
  const UnitView& sentinels = UnitOf(t, SentinelUnit());
  EXPECT_EQ(sentinels.primaries, 0);
  EXPECT_EQ(sentinels.sentinel_views.size(), 3u);
}

TEST(SentinelDetectors, ReplicaPromotedBehindSentinelsBack) {
  std::vector<Member> members = Healthy();
  members[1] = RedisNode("redis-1", 6380, "master");  // REPLICAOF NO ONE
  const Topology t = Analyze(members, {});
  EXPECT_THAT(Kinds(t), ElementsAre("dual_primary@", "sentinel_master_mismatch@sentinel-0",
                                    "sentinel_master_mismatch@sentinel-1",
                                    "sentinel_master_mismatch@sentinel-2"));
  EXPECT_THAT(t.findings[1].message, HasSubstr("redis-0, redis-1"));
  EXPECT_EQ(t.findings[1].channel, "mymaster");
}

TEST(SentinelDetectors, FailoverInProgressIsNotAMismatch) {
  std::vector<Member> members = Healthy();
  members[0].observation = Observation{};  // the master died
  members[0].observation.error = "connect: Connection refused";
  members[1] = RedisNode("redis-1", 6380, "master");  // promoted by the sentinels
  for (int i = 2; i < 5; ++i)
    members[i].observation.sentinel->masters[0].flags = {"master", "s_down", "o_down"};
  members[2].observation.sentinel->masters[0].flags.push_back("failover_in_progress");
  const Topology t = Analyze(members, {});
  EXPECT_THAT(Kinds(t),
              ElementsAre("target_down@redis-0", "sentinel_master_down@sentinel-0",
                          "sentinel_master_down@sentinel-1", "sentinel_master_down@sentinel-2"));
}

TEST(SentinelDetectors, DisagreeingSentinels) {
  std::vector<Member> members = Healthy();
  members[4] = Sentinel("sentinel-2", 6380);  // re-pointed by hand at the replica
  Topology t = Analyze(members, {});
  EXPECT_THAT(Kinds(t), ElementsAre("sentinels_disagree@", "sentinel_master_mismatch@sentinel-2"));
  EXPECT_EQ(t.findings[0].severity, Severity::kCritical);
  EXPECT_EQ(t.findings[0].unit, CacheUnit());
  // Only the epochs differ: a warning (the new configuration is spreading).
  members = Healthy();
  members[4] = Sentinel("sentinel-2", 6379, /*epoch=*/1);
  t = Analyze(members, {});
  EXPECT_THAT(Kinds(t), ElementsAre("sentinels_disagree@"));
  EXPECT_EQ(t.findings[0].severity, Severity::kWarning);
}

TEST(SentinelDetectors, QuorumLostAndTilt) {
  std::vector<Member> members = Healthy();
  members[3].observation = Observation{};
  members[4].observation = Observation{};
  SentinelMaster& master = members[2].observation.sentinel->masters[0];
  master.quorum_ok = false;
  master.quorum_message = "NOQUORUM 1 usable Sentinels.";
  members[2].observation.sentinel->tilt = true;
  const Topology t = Analyze(members, {});
  EXPECT_THAT(Kinds(t), ElementsAre("sentinel_quorum_lost@sentinel-0", "sentinel_tilt@sentinel-0",
                                    "target_down@sentinel-1", "target_down@sentinel-2"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("NOQUORUM 1 usable"));
}

TEST(SentinelDetectors, TiedBySentinelForWhenTheMasterIsNoMember) {
  std::vector<Member> members = Healthy();
  for (int i = 2; i < 5; ++i) {
    members[i].target.unit.db_cluster = "sentinels";
    members[i].target.sentinel_for = "cache";
    members[i].observation.sentinel->masters[0].port = 7000;  // a server outside the unit
  }
  const Topology t = Analyze(members, {});
  ASSERT_EQ(t.findings.size(), 3u);
  EXPECT_EQ(t.findings[0].kind, finding::kSentinelMasterMismatch);
  EXPECT_THAT(t.findings[0].message, HasSubstr("no member of the unit"));
  // Without sentinel_for nothing ties them: no view, no finding.
  for (int i = 2; i < 5; ++i) members[i].target.sentinel_for.clear();
  EXPECT_THAT(Analyze(members, {}).findings, IsEmpty());
}

}  // namespace
}  // namespace dbtopo
