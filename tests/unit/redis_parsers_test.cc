// INFO / CLUSTER NODES / ROLE parsing and reply -> Observation assembly.
//
// Recorded replies under testdata/redis/ come from real redis-server 7.0.15
// instances (replication set, 6-node cluster, a lonely cluster node, a
// stopped shard, a restart on new ports with stale nodes.conf, slot
// migration, announced hostnames).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "dbtopo/collectors/redis_reply.h"
#include "dbtopo/collectors/redis_reply_limits.h"
#include "redis_cluster_nodes_parser.h"
#include "redis_info_parser.h"

namespace dbtopo::redis {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

std::string ReadTestdata(const std::string& name) {
  const std::string path = std::string(DBTOPO_REDIS_TESTDATA) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A hiredis reply parsed from raw RESP bytes, as the probe would get it.
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

ReplyPtr Resp(const std::string& bytes) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, bytes.data(), bytes.size());
  void* reply = nullptr;
  const int rc = redisReaderGetReply(reader, &reply);
  redisReaderFree(reader);
  EXPECT_EQ(rc, REDIS_OK);
  EXPECT_NE(reply, nullptr) << "incomplete RESP";
  return ReplyPtr(static_cast<redisReply*>(reply));
}

constexpr char kId1[] = "ed446682d94508e872e7348effde87fd90685fcf";
constexpr char kId2[] = "657720380f172cd82f32c9ef13d30515d9e9bc6b";

// --- ParseInt64 / ParseInfo ------------------------------------------------

TEST(RedisReplyLimits, AHugeArrayHeaderIsAProtocolErrorNotAnAllocation) {
  // 13 bytes that would make hiredis allocate 3 GB for the element table
  // (found by redis_admin_reply_fuzzer).
  redisReader* reader = redisReaderCreate();
  ASSERT_NE(reader, nullptr);
  redis::LimitReplies(reader);
  const std::string huge = "*371618297\r\n";
  redisReaderFeed(reader, huge.data(), huge.size());
  void* reply = nullptr;
  EXPECT_EQ(redisReaderGetReply(reader, &reply), REDIS_ERR);
  EXPECT_EQ(reply, nullptr);
  redisReaderFree(reader);

  // Ordinary arrays, nested ones included, are read as before.
  reader = redisReaderCreate();
  redis::LimitReplies(reader);
  const std::string role =
      "*3\r\n$6\r\nmaster\r\n:42\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n$2\r\n42\r\n";
  redisReaderFeed(reader, role.data(), role.size());
  ASSERT_EQ(redisReaderGetReply(reader, &reply), REDIS_OK);
  ASSERT_NE(reply, nullptr);
  const auto* r = static_cast<redisReply*>(reply);
  EXPECT_EQ(r->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(r->elements, 3u);
  EXPECT_EQ(std::string(r->element[0]->str), "master");
  EXPECT_EQ(r->element[2]->element[0]->elements, 3u);
  freeReplyObject(reply);
  redisReaderFree(reader);
}

TEST(RedisParseInt64, AcceptsWholeIntegersOnly) {
  EXPECT_EQ(ParseInt64("42"), 42);
  EXPECT_EQ(ParseInt64("-1"), -1);
  EXPECT_EQ(ParseInt64(""), std::nullopt);
  EXPECT_EQ(ParseInt64(" 1"), std::nullopt);
  EXPECT_EQ(ParseInt64("1x"), std::nullopt);
  EXPECT_EQ(ParseInt64("99999999999999999999"), std::nullopt);
}

TEST(RedisInfoParser, RecordedReplicaInfo) {
  const InfoReply info = ParseInfo(ReadTestdata("info_replication_replica.txt"));
  EXPECT_THAT(info.sections, ElementsAre("Replication"));
  EXPECT_EQ(info.bad_lines, 0);
  EXPECT_EQ(info.Get("role"), "slave");
  EXPECT_EQ(info.Get("master_host"), "127.0.0.1");
  EXPECT_EQ(info.GetInt("master_port"), 17011);
  EXPECT_EQ(info.Get("master_link_status"), "up");
  EXPECT_EQ(info.GetInt("second_repl_offset"), -1);
  // CRLF is not part of values.
  EXPECT_EQ(info.Get("master_replid2"), "0000000000000000000000000000000000000000");
}

TEST(RedisInfoParser, ValueKeepsColonsAndLfOnlyWorks) {
  const InfoReply info = ParseInfo("# Replication\nmaster_host:::1\nslave0:ip=::1,port=6380\n");
  EXPECT_EQ(info.Get("master_host"), "::1");
  EXPECT_EQ(info.Get("slave0"), "ip=::1,port=6380");
}

TEST(RedisInfoParser, GarbageIsCountedNotFatal) {
  const InfoReply info = ParseInfo("hello world\r\n:novalue\r\n\r\n#\r\nkey:\r\n\x01\x02\r\n");
  EXPECT_EQ(info.bad_lines, 3);
  EXPECT_EQ(info.Get("key"), "");
  EXPECT_EQ(info.Get("missing"), std::nullopt);
  EXPECT_EQ(info.GetInt("key"), std::nullopt);
}

TEST(RedisInfoParser, EmptyInput) {
  const InfoReply info = ParseInfo("");
  EXPECT_THAT(info.fields, IsEmpty());
  EXPECT_EQ(info.bad_lines, 0);
}

// --- CLUSTER NODES ---------------------------------------------------------

TEST(RedisClusterNodesParser, RecordedHealthyCluster) {
  const ClusterNodesReply r = ParseClusterNodes(ReadTestdata("cluster_nodes_ok.txt"));
  ASSERT_EQ(r.bad_lines, 0);
  ASSERT_EQ(r.nodes.size(), 6u);
  const RedisClusterNode& self = r.nodes[0];
  EXPECT_EQ(self.id, kId1);
  EXPECT_EQ(self.host, "127.0.0.1");
  EXPECT_EQ(self.port, 17001);
  EXPECT_EQ(self.cluster_bus_port, 27001);
  EXPECT_EQ(self.hostname, "");
  EXPECT_THAT(self.flags, ElementsAre("myself", "master"));
  EXPECT_EQ(self.master_id, "");
  EXPECT_EQ(self.config_epoch, 1);
  EXPECT_TRUE(self.link_connected);
  EXPECT_THAT(self.slots, ElementsAre(Pair(0, 5460)));
  const RedisClusterNode& replica = r.nodes[2];
  EXPECT_THAT(replica.flags, ElementsAre("slave"));
  EXPECT_EQ(replica.master_id, "cf286256a6812ea31d61c5d480b873dd7e547f91");
  EXPECT_THAT(replica.slots, IsEmpty());
  EXPECT_EQ(replica.pong_received, 1795352873616);
}

TEST(RedisClusterNodesParser, RecordedFailures) {
  const ClusterNodesReply early =
      ParseClusterNodes(ReadTestdata("cluster_nodes_shard_down_early.txt"));
  ASSERT_EQ(early.nodes.size(), 6u);
  EXPECT_THAT(early.nodes[4].flags, ElementsAre("master", "fail?"));
  EXPECT_FALSE(early.nodes[4].link_connected);
  EXPECT_THAT(early.nodes[4].slots, ElementsAre(Pair(10923, 16383)));
  const ClusterNodesReply late = ParseClusterNodes(ReadTestdata("cluster_nodes_shard_down.txt"));
  EXPECT_THAT(late.nodes[4].flags, ElementsAre("master", "fail"));
}

TEST(RedisClusterNodesParser, RecordedHandshakeNoaddrHostnameLonely) {
  const ClusterNodesReply hs = ParseClusterNodes(ReadTestdata("cluster_nodes_handshake.txt"));
  ASSERT_EQ(hs.nodes.size(), 7u);
  EXPECT_THAT(hs.nodes[5].flags, ElementsAre("handshake"));
  EXPECT_EQ(hs.nodes[5].port, 17998);

  const ClusterNodesReply hn = ParseClusterNodes(ReadTestdata("cluster_nodes_hostnames.txt"));
  ASSERT_EQ(hn.bad_lines, 0);
  ASSERT_EQ(hn.nodes.size(), 6u);
  EXPECT_EQ(hn.nodes[0].host, "");  // `:0@0`
  EXPECT_EQ(hn.nodes[0].port, 0);
  EXPECT_EQ(hn.nodes[0].cluster_bus_port, 0);
  EXPECT_THAT(hn.nodes[0].flags, ElementsAre("master", "noaddr"));
  EXPECT_EQ(hn.nodes[5].host, "127.0.0.1");
  EXPECT_EQ(hn.nodes[5].port, 18001);
  EXPECT_EQ(hn.nodes[5].hostname, "redis-0.redis-headless.default.svc");

  const ClusterNodesReply lonely = ParseClusterNodes(ReadTestdata("cluster_nodes_lonely.txt"));
  ASSERT_EQ(lonely.nodes.size(), 1u);
  EXPECT_EQ(lonely.nodes[0].host, "");  // `:17007@27007`: never learned its IP
  EXPECT_EQ(lonely.nodes[0].port, 17007);
}

TEST(RedisClusterNodesParser, RecordedMigratingImporting) {
  const ClusterNodesReply m = ParseClusterNodes(ReadTestdata("cluster_nodes_migrating.txt"));
  ASSERT_EQ(m.bad_lines, 0);
  EXPECT_THAT(m.nodes[2].slots, ElementsAre(Pair(5461, 10922)));
  EXPECT_THAT(m.nodes[2].migrating_slots, ElementsAre(5461));
  const ClusterNodesReply i = ParseClusterNodes(ReadTestdata("cluster_nodes_importing.txt"));
  EXPECT_THAT(i.nodes[0].importing_slots, ElementsAre(5461));
  EXPECT_THAT(i.nodes[0].migrating_slots, IsEmpty());
}

// The node of a line that must parse.
RedisClusterNode MustParseLine(const std::string& line) {
  auto node = ParseClusterNodeLine(line);
  EXPECT_TRUE(node.ok()) << line << ": " << node.error().message;
  return node.ok() ? *node : RedisClusterNode{};
}

TEST(RedisClusterNodesParser, HandWrittenForms) {
  RedisClusterNode n;
  n = MustParseLine(std::string(kId1) +
                                       " ::1:7000@17000 master,nofailover - 0 0 3 connected 1 3-4"
                                       " 16383 [5->-" +
                                       kId2 + "] [6-<-" + kId2 + "]");
  EXPECT_EQ(n.host, "::1");
  EXPECT_EQ(n.port, 7000);
  EXPECT_THAT(n.flags, ElementsAre("master", "nofailover"));
  EXPECT_THAT(n.slots, ElementsAre(Pair(1, 1), Pair(3, 4), Pair(16383, 16383)));
  EXPECT_THAT(n.migrating_slots, ElementsAre(5));
  EXPECT_THAT(n.importing_slots, ElementsAre(6));

  // Redis < 4: no bus port. noflags kept verbatim.
  n = MustParseLine(
      std::string(kId1) + " 10.0.0.1:6379 noflags " + kId2 + " 1 2 0 disconnected");
  EXPECT_EQ(n.cluster_bus_port, 0);
  EXPECT_THAT(n.flags, ElementsAre("noflags"));
  EXPECT_EQ(n.master_id, kId2);
  EXPECT_FALSE(n.link_connected);

  // Redis 7.2+: empty hostname followed by aux fields; hostname with aux.
  n = MustParseLine(
      std::string(kId1) + " 10.0.0.1:6379@16379,,shard-id=abc slave " + kId2 + " 0 0 0 connected");
  EXPECT_EQ(n.hostname, "");
  n = MustParseLine(std::string(kId1) +
                                       " 10.0.0.1:6379@16379,redis-0,shard-id=abc slave " + kId2 +
                                       " 0 0 0 connected");
  EXPECT_EQ(n.hostname, "redis-0");
}

TEST(RedisClusterNodesParser, BadLinesAreSkippedAndCounted) {
  const std::string good =
      std::string(kId1) + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16383";
  const std::string bad[] = {
      "garbage",
      std::string(kId1) + " 127.0.0.1:7000@17000 master - 0 0 1",                  // 7 fields
      std::string("xyz") + " 127.0.0.1:7000@17000 master - 0 0 1 connected",       // bad id
      std::string(kId1) + " 127.0.0.1@17000 master - 0 0 1 connected",             // no port
      std::string(kId1) + " 127.0.0.1:70000@17000 master - 0 0 1 connected",       // port range
      std::string(kId1) + " 127.0.0.1:7000@x master - 0 0 1 connected",            // bus port
      std::string(kId1) + " 127.0.0.1:7000@17000 master,,fail - 0 0 1 connected",  // empty flag
      std::string(kId1) + " 127.0.0.1:7000@17000 master abc 0 0 1 connected",      // master id
      std::string(kId1) + " 127.0.0.1:7000@17000 master - x 0 1 connected",        // ping
      std::string(kId1) + " 127.0.0.1:7000@17000 master - 0 0 1 linked",           // link state
      std::string(kId1) + " 127.0.0.1:7000@17000 master - 0 0 1 connected 16384",  // slot range
      std::string(kId1) + " 127.0.0.1:7000@17000 master - 0 0 1 connected 5-3",    // reversed
      std::string(kId1) + " 127.0.0.1:7000@17000 master - 0 0 1 connected -3",     // negative
      std::string(kId1) + " 127.0.0.1:7000@17000 master - 0 0 1 connected [5->-x]",
      std::string(kId1) + " 127.0.0.1:7000@17000 master - 0 0 1 connected [5",
      std::string(kId1) + " 127.0.0.1:7000@17000 master - 0 0 1 connected [",
  };
  std::string text = good + "\r\n";
  for (const std::string& line : bad) text += line + "\n";
  text += "\n   \n" + good;  // blank lines ignored, no final newline
  const ClusterNodesReply r = ParseClusterNodes(text);
  EXPECT_EQ(r.nodes.size(), 2u);
  EXPECT_EQ(r.bad_lines, static_cast<int>(std::size(bad)));
  ASSERT_EQ(r.errors.size(), 5u);
  EXPECT_EQ(r.errors[0], "line 2: expected at least 8 fields, got 1");
}

// --- ROLE and reply types -------------------------------------------------

TEST(RedisReplies, RoleOfReplicaAndMaster) {
  const ReplyPtr replica =
      Resp("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:17011\r\n$9\r\nconnected\r\n:14\r\n");
  const std::optional<RoleReply> r = RoleFromReply(replica.get());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->role, "slave");
  EXPECT_EQ(r->master_host, "127.0.0.1");
  EXPECT_EQ(r->master_port, 17011);
  EXPECT_EQ(r->state, "connected");
  EXPECT_EQ(r->offset, 14);

  const ReplyPtr master = Resp("*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
  const std::optional<RoleReply> m = RoleFromReply(master.get());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->role, "master");
  EXPECT_EQ(m->offset, 0);
}

TEST(RedisReplies, OddRepliesAreUnknown) {
  EXPECT_EQ(RoleFromReply(nullptr), std::nullopt);
  EXPECT_EQ(RoleFromReply(Resp("-ERR unknown command\r\n").get()), std::nullopt);
  EXPECT_EQ(RoleFromReply(Resp("$-1\r\n").get()), std::nullopt);
  EXPECT_EQ(RoleFromReply(Resp("*0\r\n").get()), std::nullopt);
  EXPECT_EQ(RoleFromReply(Resp("*1\r\n:5\r\n").get()), std::nullopt);
  // A replica ROLE with wrong element types keeps what it can.
  const auto odd =
      RoleFromReply(Resp("*5\r\n$5\r\nslave\r\n:1\r\n$3\r\nabc\r\n*0\r\n$-1\r\n").get());
  ASSERT_TRUE(odd.has_value());
  EXPECT_EQ(odd->master_host, "");
  EXPECT_EQ(odd->master_port, 0);
  EXPECT_EQ(odd->offset, std::nullopt);

  const auto denied = TextFromReply(Resp("-NOPERM no permission\r\n").get());
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().message, "NOPERM no permission");
  EXPECT_EQ(TextFromReply(Resp("$-1\r\n").get()).value(), std::nullopt);
  EXPECT_EQ(TextFromReply(Resp(":1\r\n").get()).value(), std::nullopt);
  EXPECT_EQ(TextFromReply(Resp("*1\r\n+OK\r\n").get()).value(), std::nullopt);
  EXPECT_EQ(TextFromReply(nullptr).value(), std::nullopt);
  EXPECT_EQ(TextFromReply(Resp("+OK\r\n").get()).value(), "OK");
  EXPECT_EQ(TextFromReply(Resp(std::string("$3\r\na\0b\r\n", 9)).get()).value(),
            std::string("a\0b", 3));
}

TEST(RedisReplies, CommandReplyTextIsWhatAnAdminCommandAnswered) {
  EXPECT_EQ(CommandReplyText(*Resp("+OK\r\n")).value(), "OK");
  EXPECT_EQ(CommandReplyText(*Resp(":2\r\n")).value(), "2");  // WAIT: replicas that acked
  EXPECT_EQ(CommandReplyText(*Resp("*3\r\n$6\r\nmaster\r\n:10\r\n*0\r\n")).value(),
            "master");  // ROLE: its first element
  EXPECT_EQ(CommandReplyText(*Resp("*0\r\n")).value(), "");
  EXPECT_EQ(CommandReplyText(*Resp("$-1\r\n")).value(), "");
  EXPECT_EQ(CommandReplyText(*Resp("*1\r\n*1\r\n+deep\r\n")).value(), "");  // one level only
  const auto refused = CommandReplyText(*Resp("-ERR Can't execute 'replicaof'\r\n"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "ERR Can't execute 'replicaof'");
  EXPECT_FALSE(CommandReplyText(*Resp("-\r\n")).ok());
}

TEST(RedisReplies, InfoFieldReadsKeyValueLines) {
  const std::string info = "# Replication\r\nrole:slave\r\nmaster_host:fd00::1\r\n";
  EXPECT_EQ(InfoField(info, "role"), "slave");
  EXPECT_EQ(InfoField(info, "master_host"), "fd00::1");  // IPv6: after the first ':'
  EXPECT_EQ(InfoField(info, "master"), std::nullopt);    // a prefix is not the key
  EXPECT_EQ(InfoField("role:master\n", "role"), "master");
  EXPECT_EQ(InfoField("", "role"), std::nullopt);
}

// --- Observation assembly ---------------------------------------------------

TEST(RedisFill, RecordedMaster) {
  RedisReplies replies;
  replies.info_replication = ReadTestdata("info_replication_master_2replicas.txt");
  replies.info_server = ReadTestdata("info_server.txt");
  Observation o;
  FillRedis(replies, &o);
  EXPECT_EQ(o.version, "7.0.15");
  EXPECT_EQ(o.writable, true);
  ASSERT_TRUE(o.redis.has_value());
  EXPECT_EQ(o.redis->role, "master");
  EXPECT_EQ(o.redis->master_replid, "a8e62fdd1581177b74c3458806bf8e413721cc86");
  EXPECT_EQ(o.redis->master_repl_offset, 78);
  EXPECT_EQ(o.redis->connected_replicas, 2);
  EXPECT_THAT(o.channels, IsEmpty());
}

TEST(RedisFill, RecordedHealthyReplica) {
  RedisReplies replies;
  replies.info_replication = ReadTestdata("info_replication_replica.txt");
  Observation o;
  FillRedis(replies, &o);
  EXPECT_EQ(o.writable, false);
  ASSERT_EQ(o.channels.size(), 1u);
  const ReplicationChannel& c = o.channels[0];
  EXPECT_EQ(c.name, "");
  EXPECT_EQ(c.source_host, "127.0.0.1");
  EXPECT_EQ(c.source_port, 17011);
  EXPECT_EQ(c.io_running, true);
  EXPECT_EQ(c.io_state, "up");
  EXPECT_EQ(c.sql_running, std::nullopt);
  EXPECT_EQ(c.lag_seconds, std::nullopt);
  EXPECT_EQ(c.last_io_seconds_ago, 4);
  EXPECT_EQ(c.lag_bytes, 0);
}

TEST(RedisFill, RecordedReplicaOfDeadSource) {
  RedisReplies replies;
  replies.info_replication = ReadTestdata("info_replication_replica_dead_source.txt");
  Observation o;
  FillRedis(replies, &o);
  ASSERT_EQ(o.channels.size(), 1u);
  const ReplicationChannel& c = o.channels[0];
  EXPECT_EQ(c.source_port, 17999);
  EXPECT_EQ(c.io_running, false);
  EXPECT_EQ(c.io_state, "down");
  EXPECT_EQ(c.last_io_seconds_ago, std::nullopt);  // -1
  EXPECT_EQ(c.lag_bytes, std::nullopt);            // link down: unknown
  EXPECT_EQ(o.redis->master_repl_offset, 78);
}

TEST(RedisFill, RecordedPromotedReplicaKeepsOldHistory) {
  RedisReplies replies;
  replies.info_replication = ReadTestdata("info_replication_promoted.txt");
  Observation o;
  FillRedis(replies, &o);
  EXPECT_EQ(o.redis->role, "master");
  EXPECT_EQ(o.redis->master_replid2, "a8e62fdd1581177b74c3458806bf8e413721cc86");
}

TEST(RedisFill, GarbageInfoLeavesEverythingUnknown) {
  RedisReplies replies;
  replies.info_replication = "this is not INFO\r\n\x7f\x00";
  replies.info_server = "neither is this";
  Observation o;
  FillRedis(replies, &o);
  EXPECT_EQ(o.version, "");
  EXPECT_EQ(o.writable, std::nullopt);
  EXPECT_EQ(o.redis, std::nullopt);
  EXPECT_THAT(o.channels, IsEmpty());
}

TEST(RedisFill, RoleFallsBackToRoleReply) {
  RedisReplies replies;
  replies.role = RoleReply{"slave", "10.0.0.9", 6379, "connecting", std::nullopt};
  Observation o;
  FillRedis(replies, &o);
  ASSERT_TRUE(o.redis.has_value());
  EXPECT_EQ(o.redis->role, "slave");
  ASSERT_EQ(o.channels.size(), 1u);
  EXPECT_EQ(o.channels[0].source_host, "10.0.0.9");
  EXPECT_EQ(o.channels[0].source_port, 6379);
  EXPECT_EQ(o.channels[0].io_state, "connecting");
  EXPECT_EQ(o.channels[0].io_running, false);
}

TEST(RedisFill, NonsenseValuesAreUnknown) {
  RedisReplies replies;
  replies.info_replication =
      "role:slave\r\nmaster_host:h\r\nmaster_port:99999\r\nmaster_link_status:maybe\r\n"
      "master_last_io_seconds_ago:soon\r\nconnected_slaves:99999999999\r\n";
  Observation o;
  FillRedis(replies, &o);
  ASSERT_EQ(o.channels.size(), 1u);
  EXPECT_EQ(o.channels[0].source_port, 0);
  EXPECT_EQ(o.channels[0].io_state, "maybe");
  EXPECT_EQ(o.channels[0].io_running, std::nullopt);
  EXPECT_EQ(o.channels[0].last_io_seconds_ago, std::nullopt);
  EXPECT_EQ(o.redis->connected_replicas, std::nullopt);
}

TEST(RedisFillCluster, RecordedClusterNode) {
  RedisReplies replies;
  replies.cluster_info = ReadTestdata("cluster_info_ok.txt");
  replies.cluster_nodes = ReadTestdata("cluster_nodes_ok.txt");
  replies.cluster_myid = kId1;
  Observation o;
  EXPECT_EQ(FillRedisCluster(replies, &o), 0);
  ASSERT_TRUE(o.redis_cluster.has_value());
  const RedisClusterInfo& c = *o.redis_cluster;
  EXPECT_EQ(c.myid, kId1);
  EXPECT_EQ(c.state_ok, true);
  EXPECT_EQ(c.slots_assigned, 16384);
  EXPECT_EQ(c.slots_ok, 16384);
  EXPECT_EQ(c.slots_pfail, 0);
  EXPECT_EQ(c.slots_fail, 0);
  EXPECT_EQ(c.known_nodes, 6);
  EXPECT_EQ(c.size, 3);
  EXPECT_EQ(c.current_epoch, 6);
  EXPECT_EQ(c.my_epoch, 1);
  EXPECT_EQ(c.nodes.size(), 6u);
}

TEST(RedisFillCluster, RecordedShardDownAndMyidFallback) {
  RedisReplies replies;
  replies.cluster_info = ReadTestdata("cluster_info_shard_down.txt");
  replies.cluster_nodes = ReadTestdata("cluster_nodes_shard_down.txt") + "garbage line\n";
  Observation o;
  EXPECT_EQ(FillRedisCluster(replies, &o), 1);
  const RedisClusterInfo& c = *o.redis_cluster;
  EXPECT_EQ(c.state_ok, false);
  EXPECT_EQ(c.slots_fail, 5461);
  EXPECT_EQ(c.myid, kId1);  // from the myself line
}

TEST(RedisFillCluster, NothingReadMeansUnset) {
  Observation o;
  EXPECT_EQ(FillRedisCluster(RedisReplies{}, &o), 0);
  EXPECT_EQ(o.redis_cluster, std::nullopt);
  RedisReplies garbage;
  garbage.cluster_info = "???";
  FillRedisCluster(garbage, &o);
  ASSERT_TRUE(o.redis_cluster.has_value());
  EXPECT_EQ(o.redis_cluster->state_ok, std::nullopt);  // garbage is unknown, not fail
  EXPECT_EQ(o.redis_cluster->slots_assigned, std::nullopt);
  EXPECT_EQ(o.redis_cluster->myid, "");
}

}  // namespace
}  // namespace dbtopo::redis
