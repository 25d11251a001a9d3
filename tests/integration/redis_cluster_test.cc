// Redis Cluster faults (scale out, scale in, stop, start) against a real Redis Cluster
// (redis-server 7.0, 3 masters + 3 replicas made by `redis-cli --cluster create`, node timeout 1000
// ms), watched by the real dbtopo_exporter in the KubeBlocks layout (one component per shard, one
// db_cluster). Faults: a node that never met the cluster (then meets it), a whole shard stopped,
// and every node restarted on a new port with its stale nodes.conf (then re-met).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <set>
#include <string>

#include "support/exporter_process.h"
#include "support/process.h"
#include "support/prom_text.h"
#include "support/redis_servers.h"

namespace dbtopo::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kCluster[] = "sessions";
constexpr auto kWait = std::chrono::seconds(45);

std::set<std::string> Findings(const Metrics& m) { return m.FindingKeys(); }

Labels Pod(const std::string& pod) { return {{"db_cluster", kCluster}, {"pod", pod}}; }
Labels PodFlag(const std::string& pod, const std::string& flag) {
  return {{"db_cluster", kCluster}, {"pod", pod}, {"flag", flag}};
}
Labels PodState(const std::string& pod, const std::string& state) {
  return {{"db_cluster", kCluster}, {"pod", pod}, {"state", state}};
}

class RedisClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start_ = Clock::now();
    cluster_.Start();
    std::cout << "[ setup    ] cluster created in "
              << std::chrono::duration<double>(Clock::now() - start_).count() << " s\n";
  }
  void TearDown() override {
    std::cout << "[ duration ] " << std::chrono::duration<double>(Clock::now() - start_).count()
              << " s\n";
  }

  void StartExporter() {
    ExporterOptions options;
    options.poll_interval = "1s";
    options.probe_timeout = "1s";
    options.clusters = cluster_.ToClusterSpecs(kCluster);
    exporter_.Start(options);
  }

  ::testing::AssertionResult WaitForFindings(const std::set<std::string>& expected,
                                             Metrics* last = nullptr) {
    return exporter_.WaitForFindings(expected, kWait, last);
  }

  /// Every node of the cluster up, state ok, 16384 slots ok, no unmet node,
  /// one consistent view, no finding.
  ::testing::AssertionResult WaitHealthy(int nodes, Metrics* last = nullptr) {
    return exporter_.WaitFor(
        "healthy cluster of " + std::to_string(nodes) + " nodes",
        [&](const Metrics& m) {
          if (!Findings(m).empty()) return false;
          if (!m.Is("dbtopo_redis_cluster_views_consistent", {{"db_cluster", kCluster}}, 1)) {
            return false;
          }
          for (int i = 0; i < cluster_.size(); ++i) {
            const std::string pod = cluster_.Pod(i);
            if (!m.Is("dbtopo_up", Pod(pod), 1) ||
                !m.Is("dbtopo_redis_cluster_state", Pod(pod), 1) ||
                !m.Is("dbtopo_redis_cluster_slots", PodState(pod, "ok"), 16384) ||
                !m.Is("dbtopo_redis_cluster_known_nodes", Pod(pod), nodes) ||
                !m.Is("dbtopo_redis_cluster_unmet_nodes", Pod(pod), 0)) {
              return false;
            }
          }
          return true;
        },
        kWait, last);
  }

  Clock::time_point start_;
  RedisClusterTopology cluster_;
  TempDir dir_{"dbtopo-redis-cluster-exporter"};
  ExporterProcess exporter_{dir_};
};

TEST_F(RedisClusterTest, HealthyClusterHasNoFindings) {
  StartExporter();
  Metrics m;
  ASSERT_TRUE(WaitHealthy(6, &m));
  for (int i = 0; i < 6; ++i) {
    const std::string pod = cluster_.Pod(i);
    for (const char* flag : {"fail", "pfail", "handshake", "noaddr", "disconnected"}) {
      EXPECT_TRUE(m.Is("dbtopo_redis_cluster_nodes", PodFlag(pod, flag), 0)) << pod << " " << flag;
    }
    EXPECT_TRUE(m.Is("dbtopo_redis_cluster_slots", PodState(pod, "fail"), 0));
  }
  for (int k = 0; k < 3; ++k) {
    const Labels shard = {{"db_cluster", kCluster}, {"component", "shard-" + std::to_string(k)}};
    EXPECT_TRUE(m.Is("dbtopo_cluster_primaries", shard, 1)) << m.Dump();
    EXPECT_TRUE(m.Is("dbtopo_cluster_dual_primary", shard, 0));
    const std::string replica = cluster_.Pod(cluster_.Shard(k)[1]);
    EXPECT_TRUE(m.Is("dbtopo_replication_link_up", Pod(replica), 1));
    EXPECT_TRUE(m.Is("dbtopo_role", {{"pod", replica}, {"role", "replica"}}, 1));
  }
}

TEST_F(RedisClusterTest, NodeNeverMetThenMeets) {
  const int lonely = cluster_.AddLonelyNode();
  const std::string lonely_pod = cluster_.Pod(lonely);
  StartExporter();
  std::set<std::string> expected = {"redis_cluster_views_split",
                                    "redis_cluster_state_fail@" + lonely_pod,
                                    "redis_cluster_slots_uncovered@" + lonely_pod};
  for (int i = 0; i <= lonely; ++i) expected.insert("redis_cluster_unmet_nodes@" + cluster_.Pod(i));
  Metrics m;
  ASSERT_TRUE(WaitForFindings(expected, &m));
  EXPECT_TRUE(m.Is("dbtopo_redis_cluster_unmet_nodes", Pod(lonely_pod), 6)) << m.Dump();
  EXPECT_TRUE(m.Is("dbtopo_redis_cluster_unmet_nodes", Pod(cluster_.Pod(0)), 1));
  EXPECT_TRUE(m.Is("dbtopo_redis_cluster_views_consistent", {{"db_cluster", kCluster}}, 0));
  EXPECT_TRUE(m.Is("dbtopo_redis_cluster_state", Pod(lonely_pod), 0));
  EXPECT_TRUE(m.Is("dbtopo_redis_cluster_known_nodes", Pod(lonely_pod), 1));
  EXPECT_TRUE(m.Is("dbtopo_redis_cluster_slots", PodState(lonely_pod, "assigned"), 0));

  // The start script's CLUSTER MEET finally succeeds: views converge.
  cluster_.Meet(0, lonely);
  ASSERT_TRUE(WaitHealthy(7, &m)) << cluster_.Describe();
}

TEST_F(RedisClusterTest, WholeShardStopped) {
  StartExporter();
  ASSERT_TRUE(WaitHealthy(6));
  const std::vector<int> shard = cluster_.Shard(2);
  for (int i : shard) cluster_.node(i).Kill();
  std::set<std::string> expected;
  for (int i : shard) expected.insert("target_down@" + cluster_.Pod(i));
  for (int i = 0; i < 6; ++i) {
    if (i == shard[0] || i == shard[1]) continue;
    for (const char* kind : {"redis_cluster_state_fail", "redis_cluster_slots_uncovered",
                             "redis_cluster_failed_nodes"}) {
      expected.insert(std::string(kind) + "@" + cluster_.Pod(i));
    }
  }
  Metrics m;
  ASSERT_TRUE(WaitForFindings(expected, &m)) << cluster_.Describe();
  // pfail turns into fail once a majority of masters agree.
  ASSERT_TRUE(exporter_.WaitFor(
      "both stopped nodes seen as fail",
      [&](const Metrics& m) {
        for (int i = 0; i < 6; ++i) {
          if (i == shard[0] || i == shard[1]) continue;
          if (!m.Is("dbtopo_redis_cluster_nodes", PodFlag(cluster_.Pod(i), "fail"), 2))
            return false;
        }
        return Findings(m) == expected;
      },
      kWait, &m));
  for (int i = 0; i < 6; ++i) {
    const std::string pod = cluster_.Pod(i);
    if (i == shard[0] || i == shard[1]) {
      EXPECT_TRUE(m.Is("dbtopo_up", Pod(pod), 0));
      EXPECT_FALSE(m.Has("dbtopo_redis_cluster_state", Pod(pod)));  // no stale values
      continue;
    }
    EXPECT_TRUE(m.Is("dbtopo_redis_cluster_state", Pod(pod), 0)) << m.Dump();
    EXPECT_TRUE(m.Is("dbtopo_redis_cluster_nodes", PodFlag(pod, "fail"), 2));
    EXPECT_TRUE(m.Is("dbtopo_redis_cluster_nodes", PodFlag(pod, "disconnected"), 2));
    const auto failed = m.Value("dbtopo_redis_cluster_slots", PodState(pod, "fail"));
    ASSERT_TRUE(failed.has_value());
    EXPECT_GE(*failed, 5461);
    EXPECT_TRUE(m.Is("dbtopo_redis_cluster_unmet_nodes", Pod(pod), 0));
  }
  // The reachable nodes agree with each other.
  EXPECT_TRUE(m.Is("dbtopo_redis_cluster_views_consistent", {{"db_cluster", kCluster}}, 1));
}

TEST_F(RedisClusterTest, RestartOnNewPortsWithStaleNodesConf) {
  cluster_.RestartAllOnNewPorts();
  StartExporter();  // members at the new addresses
  Metrics m;
  // Every node knows its peers only at their old addresses: none of the
  // configured members is met, and the old entries are failing.
  ASSERT_TRUE(exporter_.WaitFor(
      "every node: 5 unmet members, failing peers",
      [&](const Metrics& m) {
        const std::set<std::string> findings = Findings(m);
        for (int i = 0; i < 6; ++i) {
          const std::string pod = cluster_.Pod(i);
          if (!m.Is("dbtopo_redis_cluster_unmet_nodes", Pod(pod), 5)) return false;
          if (!findings.count("redis_cluster_unmet_nodes@" + pod)) return false;
          if (!findings.count("redis_cluster_failed_nodes@" + pod)) return false;
          if (!m.Is("dbtopo_redis_cluster_nodes", PodFlag(pod, "disconnected"), 5)) return false;
        }
        return true;
      },
      kWait, &m))
      << cluster_.Describe();
  for (int i = 0; i < 6; ++i) {
    const std::string pod = cluster_.Pod(i);
    const double fail = m.Value("dbtopo_redis_cluster_nodes", PodFlag(pod, "fail")).value_or(0);
    const double pfail = m.Value("dbtopo_redis_cluster_nodes", PodFlag(pod, "pfail")).value_or(0);
    EXPECT_GE(fail + pfail, 1) << pod << "\n" << m.Dump();
  }
  // The start script meets everyone at the new addresses: one view again.
  for (int i = 1; i < 6; ++i) cluster_.Meet(0, i);
  ASSERT_TRUE(exporter_.WaitFor(
      "one view, every node met, state ok",
      [&](const Metrics& m) {
        if (!m.Is("dbtopo_redis_cluster_views_consistent", {{"db_cluster", kCluster}}, 1)) {
          return false;
        }
        for (int i = 0; i < 6; ++i) {
          const std::string pod = cluster_.Pod(i);
          if (!m.Is("dbtopo_redis_cluster_unmet_nodes", Pod(pod), 0) ||
              !m.Is("dbtopo_redis_cluster_state", Pod(pod), 1)) {
            return false;
          }
        }
        return true;
      },
      kWait, &m))
      << cluster_.Describe();

  // Redis 7.0 updates a replica's replication source only when it learns
  // the master's new address itself (handshake/PONG), not from gossip, so a
  // replica can stay pointed at its master's old port. The monitor must show
  // exactly those replicas as replication_broken; CLUSTER REPLICATE fixes them.
  ASSERT_TRUE(exporter_.WaitFor(
      "replication_broken exactly on the replicas still pointed at an old port",
      [&](const Metrics& m) {
        std::set<std::string> expected;
        for (int k = 0; k < 3; ++k) {
          const auto shard = cluster_.Shard(k);
          const std::string port = cluster_.node(shard[1]).InfoField("replication", "master_port");
          const std::string link =
              cluster_.node(shard[1]).InfoField("replication", "master_link_status");
          if (port != std::to_string(cluster_.node(shard[0]).port()) || link != "up") {
            expected.insert("replication_broken@" + cluster_.Pod(shard[1]));
          }
        }
        return Findings(m) == expected;
      },
      kWait, &m));
  for (int k = 0; k < 3; ++k) {
    const auto shard = cluster_.Shard(k);
    if (Findings(m).count("replication_broken@" + cluster_.Pod(shard[1])) == 0) continue;
    std::cout << "[ info     ] " << cluster_.Pod(shard[1])
              << " still replicates from an old address; CLUSTER REPLICATE\n";
    cluster_.node(shard[1]).Command({"CLUSTER", "REPLICATE", cluster_.node(shard[0]).MyId()});
  }
  ASSERT_TRUE(WaitHealthy(6, &m)) << cluster_.Describe();
}

}  // namespace
}  // namespace dbtopo::testing
