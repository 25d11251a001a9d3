// Engine `redis-cluster` through Analyze(), on CLUSTER NODES/INFO recorded
// from real redis-server 7.0 nodes (testdata/redis/) plus hand-made cases.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "analysis_fixtures.h"
#include "dbtopo/analysis/analysis.h"
#include "redis_cluster_nodes_parser.h"
#include "redis_info_parser.h"

namespace dbtopo {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(DBTOPO_REDIS_TESTDATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The recorded cluster (cluster_nodes_ok.txt): 17001-17003 masters,
// 17004 replica of 17003, 17005 of 17001, 17006 of 17002.
constexpr int kPorts[] = {17001, 17002, 17003, 17004, 17005, 17006};

// A CLUSTER NODES reply as the node on `port` would give it: the `myself`
// flag moves to that node's line.
std::string AsSeenBy(const std::string& text, int port) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t pos = line.find("myself,");
    if (pos != std::string::npos) line.erase(pos, 7);
    const std::string addr = ":" + std::to_string(port) + "@";
    if (line.find(addr) != std::string::npos) {
      const size_t flags = line.find(' ', line.find(' ') + 1) + 1;
      line.insert(flags, "myself,");
    }
    out += line + "\n";
  }
  return out;
}

// Shard of a port in the recorded cluster (KubeBlocks layout: one component
// per shard).
std::string ShardOf(int port) {
  switch (port) {
    case 17001:
    case 17005:
      return "shard-a";
    case 17002:
    case 17006:
      return "shard-b";
    default:
      return "shard-c";
  }
}

// Master of each recorded replica.
int MasterPortOf(int port) {
  switch (port) {
    case 17004:
      return 17003;
    case 17005:
      return 17001;
    case 17006:
      return 17002;
    default:
      return 0;
  }
}

Member Node(int port, const std::string& cluster_nodes, const std::string& cluster_info,
            bool master, const std::string& component = "") {
  Member m;
  m.target.unit = UnitId{"default", "sessions", component.empty() ? ShardOf(port) : component};
  m.target.pod = "sessions-" + std::to_string(port);
  m.target.engine = Engine::kRedisCluster;
  m.target.host = "127.0.0.1";
  m.target.port = port;
  m.observation.up = true;
  redis::RedisReplies replies;
  replies.info_replication = master ? "role:master\r\nmaster_replid:r" + std::to_string(port) +
                                          "\r\nmaster_repl_offset:100\r\n"
                                    : "role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:" +
                                          std::to_string(MasterPortOf(port)) +
                                          "\r\nmaster_link_status:up\r\nmaster_repl_offset:100\r\n"
                                          "slave_repl_offset:100\r\n";
  replies.cluster_nodes = cluster_nodes;
  replies.cluster_info = cluster_info;
  redis::FillRedis(replies, &m.observation);
  EXPECT_EQ(redis::FillRedisCluster(replies, &m.observation), 0);
  return m;
}

bool IsMasterPort(int port) { return port <= 17003; }

std::vector<Member> HealthyCluster(const std::string& component = "") {
  const std::string nodes = ReadTestdata("cluster_nodes_ok.txt");
  const std::string info = ReadTestdata("cluster_info_ok.txt");
  std::vector<Member> members;
  for (int port : kPorts) {
    members.push_back(Node(port, AsSeenBy(nodes, port), info, IsMasterPort(port), component));
  }
  return members;
}

std::vector<std::string> Kinds(const Topology& t) {
  std::vector<std::string> kinds;
  for (const Finding& f : t.findings) kinds.push_back(f.kind + (f.pod.empty() ? "" : "@" + f.pod));
  return kinds;
}

const MemberView* FindMember(const Topology& t, const std::string& pod) {
  for (const UnitView& u : t.units) {
    for (const MemberView& m : u.members) {
      if (m.target.pod == pod) return &m;
    }
  }
  return nullptr;
}

// Static config may put every shard in one component: three masters labelled
// primary are one per shard, not a labelled dual primary; two labelled
// primaries in one shard are.
TEST(RedisClusterDetectors, LabelledDualPrimaryIsPerShard) {
  std::vector<Member> members = HealthyCluster("all");
  for (Member& m : members) {
    m.target.labelled_role = IsMasterPort(m.target.port) ? Role::kPrimary : Role::kReplica;
  }
  Topology t = Analyze(members, AnalysisOptions{});
  EXPECT_THAT(Kinds(t), Not(Contains("labelled_dual_primary")))
      << ::testing::PrintToString(Kinds(t));
  EXPECT_EQ(t.units[0].labelled_primaries, 3);

  for (Member& m : members) {
    if (m.target.port == 17005) m.target.labelled_role = Role::kPrimary;  // replica of 17001
  }
  t = Analyze(members, AnalysisOptions{});
  EXPECT_THAT(Kinds(t), Contains("labelled_dual_primary"));
}

TEST(RedisClusterDetectors, HealthyClusterIsSilent) {
  const Topology t = Analyze(HealthyCluster(), AnalysisOptions{});
  EXPECT_THAT(t.findings, IsEmpty());
  ASSERT_EQ(t.units.size(), 3u);
  for (const UnitView& u : t.units) {
    EXPECT_EQ(u.redis_cluster_views_consistent, true);
    EXPECT_FALSE(u.dual_primary);
    EXPECT_EQ(u.primaries, 1);
    for (const MemberView& m : u.members) EXPECT_EQ(m.redis_cluster_unmet_nodes, 0);
  }
  EXPECT_EQ(t.units[0].primary_pod, "sessions-17001");
  EXPECT_EQ(t.units[2].primary_pod, "sessions-17003");
  // Cluster replicas' links are judged too.
  const MemberView* replica = FindMember(t, "sessions-17005");
  ASSERT_EQ(replica->channels.size(), 1u);
  EXPECT_TRUE(replica->channels[0].link_up);
  EXPECT_EQ(replica->channels[0].source_pod, "sessions-17001");
}

TEST(RedisClusterDetectors, OneComponentHasNoSinglePrimaryAndNoNoPrimary) {
  const Topology t = Analyze(HealthyCluster("redis"), AnalysisOptions{});
  EXPECT_THAT(t.findings, IsEmpty());
  ASSERT_EQ(t.units.size(), 1u);
  EXPECT_EQ(t.units[0].primaries, 3);
  EXPECT_EQ(t.units[0].primary_pod, "");
  EXPECT_FALSE(t.units[0].dual_primary);
}

TEST(RedisClusterDetectors, NodeNeverMet) {
  std::vector<Member> members = HealthyCluster();
  members.push_back(Node(17007, ReadTestdata("cluster_nodes_lonely.txt"),
                         ReadTestdata("cluster_info_lonely.txt"), true, "shard-d"));
  const Topology t = Analyze(members, AnalysisOptions{});
  std::vector<std::string> expected = {
      "redis_cluster_unmet_nodes@sessions-17007", "redis_cluster_state_fail@sessions-17007",
      "redis_cluster_slots_uncovered@sessions-17007", "redis_cluster_views_split"};
  for (int port : kPorts) {
    expected.push_back("redis_cluster_unmet_nodes@sessions-" + std::to_string(port));
  }
  EXPECT_THAT(Kinds(t), UnorderedElementsAreArray(expected));
  EXPECT_EQ(FindMember(t, "sessions-17007")->redis_cluster_unmet_nodes, 6);
  EXPECT_EQ(FindMember(t, "sessions-17001")->redis_cluster_unmet_nodes, 1);
  for (const UnitView& u : t.units) EXPECT_EQ(u.redis_cluster_views_consistent, false);
  for (const Finding& f : t.findings) {
    if (f.kind == finding::kRedisClusterViewsSplit) {
      EXPECT_EQ(f.unit.component, "shard-a");  // once, on the first unit
      EXPECT_THAT(f.message, HasSubstr("2 different views"));
      EXPECT_THAT(f.message, HasSubstr("sessions-17007 see 1 node(s), 0 slots assigned"));
    }
    if (f.kind == finding::kRedisClusterUnmetNodes && f.pod == "sessions-17001") {
      EXPECT_THAT(f.message, HasSubstr("has not met 1 of 6 other members: sessions-17007 "
                                       "(127.0.0.1:17007)"));
    }
  }
}

TEST(RedisClusterDetectors, ShardStopped) {
  std::vector<Member> members = HealthyCluster();
  const std::string nodes = ReadTestdata("cluster_nodes_shard_down.txt");
  const std::string info = ReadTestdata("cluster_info_shard_down.txt");
  for (Member& m : members) {
    if (m.target.port == 17003 || m.target.port == 17004) {
      m.observation = Observation{};
      m.observation.error = "connect: Connection refused";
    } else {
      m = Node(m.target.port, AsSeenBy(nodes, m.target.port), info, IsMasterPort(m.target.port));
    }
  }
  const Topology t = Analyze(members, AnalysisOptions{});
  std::vector<std::string> expected = {"target_down@sessions-17003", "target_down@sessions-17004"};
  for (int port : {17001, 17002, 17005, 17006}) {
    const std::string pod = "@sessions-" + std::to_string(port);
    expected.push_back("redis_cluster_state_fail" + pod);
    expected.push_back("redis_cluster_slots_uncovered" + pod);
    expected.push_back("redis_cluster_failed_nodes" + pod);
  }
  EXPECT_THAT(Kinds(t), UnorderedElementsAreArray(expected));
  for (const Finding& f : t.findings) {
    if (f.kind == finding::kRedisClusterSlotsUncovered) {
      EXPECT_EQ(f.severity, Severity::kCritical);
      EXPECT_THAT(f.message, HasSubstr("5461 of 16384 slots not served: 0 unassigned, 5461 owned"));
    }
    if (f.kind == finding::kRedisClusterFailedNodes && f.pod == "sessions-17001") {
      EXPECT_THAT(f.message, HasSubstr("sees 2 node(s) failing"));
      EXPECT_THAT(f.message, HasSubstr("127.0.0.1:17003 fail"));
    }
  }
  // The reachable nodes agree with each other.
  for (const UnitView& u : t.units) EXPECT_EQ(u.redis_cluster_views_consistent, true);
  EXPECT_EQ(FindMember(t, "sessions-17003")->redis_cluster_unmet_nodes, std::nullopt);
  EXPECT_EQ(FindMember(t, "sessions-17001")->redis_cluster_unmet_nodes, 0);
}

TEST(RedisClusterDetectors, PfailIsAFailedNodeButSlotsStillServed) {
  const std::string nodes = ReadTestdata("cluster_nodes_shard_down_early.txt");
  const Member m = Node(17001, nodes, ReadTestdata("cluster_info_shard_down_early.txt"), true);
  const Topology t = Analyze({m}, AnalysisOptions{});
  EXPECT_THAT(Kinds(t), UnorderedElementsAre("redis_cluster_failed_nodes@sessions-17001"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("17003 pfail"));
}

TEST(RedisClusterDetectors, HandshakeOnlyIsUnmet) {
  Member a = Node(17001, ReadTestdata("cluster_nodes_handshake.txt"),
                  ReadTestdata("cluster_info_ok.txt"), true);
  Member b = a;  // a member at the handshake address, currently down
  b.target.pod = "sessions-17998";
  b.target.port = 17998;
  b.observation = Observation{};
  const Topology t = Analyze({a, b}, AnalysisOptions{});
  EXPECT_EQ(FindMember(t, "sessions-17001")->redis_cluster_unmet_nodes, 1);
  bool found = false;
  for (const Finding& f : t.findings) {
    if (f.kind != finding::kRedisClusterUnmetNodes) continue;
    found = true;
    EXPECT_THAT(f.message, HasSubstr("sessions-17998 (127.0.0.1:17998, only in handshake/noaddr)"));
  }
  EXPECT_TRUE(found);
}

TEST(RedisClusterDetectors, StaleNodesConfAfterRestartOnNewPorts) {
  // 18001 restarted from 17001's nodes.conf: it knows its peers only at
  // their old ports, all failing. Members are configured at the new ports.
  std::vector<Member> members;
  members.push_back(Node(18001, ReadTestdata("cluster_nodes_stale_new_ports.txt"),
                         ReadTestdata("cluster_info_stale_new_ports.txt"), true, "shard-a"));
  for (int port : {18002, 18003}) {
    Member m = members[0];
    m.target.port = port;
    m.target.pod = "sessions-" + std::to_string(port);
    m.target.unit.component = port == 18002 ? "shard-b" : "shard-c";
    m.observation = Observation{};
    members.push_back(m);
  }
  const Topology t = Analyze(members, AnalysisOptions{});
  EXPECT_EQ(FindMember(t, "sessions-18001")->redis_cluster_unmet_nodes, 2);
  EXPECT_THAT(Kinds(t), Contains("redis_cluster_failed_nodes@sessions-18001"));
  EXPECT_THAT(Kinds(t), Contains("redis_cluster_state_fail@sessions-18001"));
  EXPECT_THAT(Kinds(t), Contains("redis_cluster_slots_uncovered@sessions-18001"));
  EXPECT_THAT(Kinds(t), Contains("redis_cluster_unmet_nodes@sessions-18001"));
  // Its only replica in view failed: no healthy replica left.
  EXPECT_THAT(Kinds(t), Contains("redis_cluster_master_without_replica@sessions-18001"));
}

TEST(RedisClusterDetectors, HostnameMatchesMemberAndNoaddrDoesNot) {
  // cluster_nodes_hostnames.txt, seen by 18003: 18001 announced as
  // redis-0.redis-headless.default.svc; the node formerly at 18002 is noaddr.
  const std::string nodes = ReadTestdata("cluster_nodes_hostnames.txt");
  Member self = Node(18003, nodes, ReadTestdata("cluster_info_ok.txt"), true, "redis");
  Member by_hostname = self;
  by_hostname.target.pod = "redis-0";
  by_hostname.target.host = "10.1.2.3";  // not the node's IP: only the hostname matches
  by_hostname.target.port = 18001;
  by_hostname.observation = Observation{};
  Member noaddr = by_hostname;
  noaddr.target.pod = "redis-1";
  noaddr.target.port = 18002;
  const Topology t = Analyze({self, by_hostname, noaddr}, AnalysisOptions{});
  EXPECT_EQ(FindMember(t, "sessions-18003")->redis_cluster_unmet_nodes, 1);
  for (const Finding& f : t.findings) {
    if (f.kind == finding::kRedisClusterUnmetNodes) {
      EXPECT_THAT(f.message, HasSubstr("redis-1 (10.1.2.3:18002)"));
      EXPECT_THAT(f.message, Not(HasSubstr("redis-0")));
    }
  }
}

TEST(RedisClusterDetectors, TwoMastersClaimingOneSlotAreDualPrimary) {
  std::vector<Member> members = HealthyCluster();
  // 17007 was reset and handed slots 0-99 while 17001 still serves 0-5460.
  const std::string id7 = "da89691706ed6833a1ba02283b26506b5da4934b";
  members.push_back(Node(17007,
                         id7 + " 127.0.0.1:17007@27007 myself,master - 0 0 9 connected 0-99\n",
                         "cluster_state:ok\r\ncluster_slots_assigned:100\r\n", true, "shard-a"));
  const Topology t = Analyze(members, AnalysisOptions{});
  std::vector<const Finding*> dual;
  for (const Finding& f : t.findings) {
    if (f.kind == finding::kDualPrimary) dual.push_back(&f);
  }
  ASSERT_EQ(dual.size(), 1u);  // both masters are in shard-a
  EXPECT_EQ(dual[0]->unit.component, "shard-a");
  EXPECT_EQ(dual[0]->severity, Severity::kCritical);
  EXPECT_THAT(dual[0]->message,
              HasSubstr("masters sessions-17001 and sessions-17007 both claim slots 0-99"));
  EXPECT_TRUE(t.units[0].dual_primary);
  EXPECT_FALSE(t.units[1].dual_primary);
  EXPECT_EQ(t.units[0].primary_pod, "");  // two masters in shard-a
}

TEST(RedisClusterDetectors, MasterWithoutHealthyReplica) {
  std::vector<Member> members = HealthyCluster();
  // 17005 (replica of 17001) is failing as everyone sees it.
  for (Member& m : members) {
    if (m.target.port == 17005) {
      m.observation = Observation{};
      continue;
    }
    std::string nodes = AsSeenBy(ReadTestdata("cluster_nodes_ok.txt"), m.target.port);
    const size_t line = nodes.find("127.0.0.1:17005@27005 slave");
    nodes.insert(line + std::string("127.0.0.1:17005@27005 slave").size(), ",fail");
    m = Node(m.target.port, nodes, ReadTestdata("cluster_info_ok.txt"),
             IsMasterPort(m.target.port));
  }
  const Topology t = Analyze(members, AnalysisOptions{});
  EXPECT_THAT(Kinds(t), Contains("redis_cluster_master_without_replica@sessions-17001"));
  EXPECT_THAT(Kinds(t), Not(Contains("redis_cluster_master_without_replica@sessions-17002")));
}

TEST(RedisClusterDetectors, NoReplicasAnywhereIsNotAFinding) {
  const std::string id1 = "ed446682d94508e872e7348effde87fd90685fcf";
  const Member m =
      Node(17001, id1 + " 127.0.0.1:17001@27001 myself,master - 0 0 1 connected 0-16383\n",
           ReadTestdata("cluster_info_ok.txt"), true);
  const Topology t = Analyze({m}, AnalysisOptions{});
  EXPECT_THAT(t.findings, IsEmpty());
}

TEST(RedisClusterDetectors, CoverageFromNodesWhenClusterInfoIsGarbage) {
  const std::string id1 = "ed446682d94508e872e7348effde87fd90685fcf";
  const Member m =
      Node(17001, id1 + " 127.0.0.1:17001@27001 myself,master - 0 0 1 connected 0-100\n", "garbage",
           true);
  const Topology t = Analyze({m}, AnalysisOptions{});
  // cluster_state unknown: no state finding; coverage computed from NODES.
  EXPECT_THAT(Kinds(t), ElementsAre("redis_cluster_slots_uncovered@sessions-17001"));
  EXPECT_THAT(t.findings[0].message, HasSubstr("16283 unassigned"));
}

TEST(RedisClusterDetectors, ReplicaLinkDownIsReplicationBroken) {
  std::vector<Member> members = HealthyCluster();
  for (Member& m : members) {
    if (m.target.port == 17004) {
      m.observation.channels[0].io_running = false;
      m.observation.channels[0].io_state = "down";
    }
  }
  const Topology t = Analyze(members, AnalysisOptions{});
  EXPECT_THAT(Kinds(t), ElementsAre("replication_broken@sessions-17004"));
}

TEST(RedisClusterDetectors, NothingReachableLeavesViewsUnknown) {
  std::vector<Member> members = HealthyCluster();
  for (Member& m : members) m.observation = Observation{};
  const Topology t = Analyze(members, AnalysisOptions{});
  for (const UnitView& u : t.units) EXPECT_EQ(u.redis_cluster_views_consistent, std::nullopt);
  EXPECT_EQ(t.findings.size(), 6u);  // target_down only; no no_primary for redis-cluster
}

}  // namespace
}  // namespace dbtopo
