// Redis under Sentinel (engines `redis` and `redis-sentinel`) against real
// redis-server and redis-sentinel 7.0: a master with two replicas and three
// sentinels (quorum 2, down-after 1 s), watched by the real dbtopo_exporter
// (poll 1 s). The sentinels are their own component of the same db_cluster,
// as KubeBlocks lays them out, so they are tied to the Redis unit by the
// master's address. Each test injects one fault and waits until the active
// findings are exactly the expected set.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <set>
#include <string>

#include "support/exporter_process.h"
#include "support/process.h"
#include "support/prom_text.h"
#include "support/redis_sentinels.h"
#include "support/redis_servers.h"

namespace dbtopo::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr char kCluster[] = "cache";
constexpr auto kWait = std::chrono::seconds(40);

class SentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start_ = Clock::now();
    set_.Start(2);
    sentinels_.Start(3, set_.server(0).port(), 2);
    options_.poll_interval = "1s";
    options_.probe_timeout = "1s";
    ClusterSpec redis = set_.ToClusterSpec(kCluster);
    // Sentinel decides who is master here; no operator labels the pods.
    for (MemberSpec& m : redis.members) m.labels.clear();
    options_.clusters.push_back(redis);
    options_.clusters.push_back(sentinels_.ToClusterSpec(kCluster));
  }
  void TearDown() override {
    if (HasFailure()) {
      for (int i = 0; i < sentinels_.size(); ++i) {
        std::cout << "--- " << RedisSentinels::Pod(i) << " log ---\n" << sentinels_.LogTail(i);
      }
    }
    std::cout << "[ duration ] " << std::chrono::duration<double>(Clock::now() - start_).count()
              << " s\n";
  }

  ::testing::AssertionResult WaitForFindings(const std::set<std::string>& expected,
                                             Metrics* last = nullptr) {
    return exporter_.WaitForFindings(expected, kWait, last);
  }

  Clock::time_point start_;
  RedisReplicationSet set_;
  RedisSentinels sentinels_{set_.exporter_password()};
  TempDir dir_{"dbtopo-sentinel-exporter"};
  ExporterProcess exporter_{dir_};
  ExporterOptions options_;
};

Labels Sentinel(int i) {
  return {{"db_cluster", kCluster},
          {"pod", RedisSentinels::Pod(i)},
          {"master_name", kSentinelMasterName}};
}

TEST_F(SentinelTest, HealthyIsQuietAndShowsEachSentinelsView) {
  exporter_.Start(options_);
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "every sentinel sees the master, 3 sentinels and 2 replicas; no findings",
      [](const Metrics& m) {
        for (int i = 0; i < 3; ++i) {
          if (!m.Is("dbtopo_sentinel_known_sentinels", Sentinel(i), 3) ||
              !m.Is("dbtopo_sentinel_known_replicas", Sentinel(i), 2) ||
              !m.Is("dbtopo_sentinel_quorum_ok", Sentinel(i), 1)) {
            return false;
          }
        }
        return m.FindingKeys().empty();
      },
      kWait, &m));
  for (int i = 0; i < 3; ++i) {
    Labels info = Sentinel(i);
    info["master_address"] = set_.server(0).address();
    EXPECT_TRUE(m.Is("dbtopo_sentinel_master_info", info, 1)) << m.Dump("dbtopo_sentinel");
    EXPECT_TRUE(m.Is("dbtopo_sentinel_tilt", {{"pod", RedisSentinels::Pod(i)}}, 0));
    EXPECT_TRUE(m.Is("dbtopo_sentinel_config_epoch", Sentinel(i), 0));
    Labels odown = Sentinel(i);
    odown["flag"] = "odown";
    EXPECT_TRUE(m.Is("dbtopo_sentinel_master_status", odown, 0));
  }
  // A sentinel has no role and counts no primaries.
  EXPECT_FALSE(m.Has("dbtopo_role", {{"pod", "sentinel-0"}}));
  EXPECT_FALSE(m.Has("dbtopo_cluster_primaries", {{"component", "redis-sentinel"}}));
  // The topology shows each sentinel's view beside the Redis unit.
  const nlohmann::json topology = exporter_.Topology();
  bool shown = false;
  for (const auto& unit : topology["clusters"]) {
    if (unit["component"] != "redis") continue;
    ASSERT_EQ(unit["sentinels"].size(), 3u) << unit.dump(2);
    EXPECT_EQ(unit["sentinels"][0]["master_pod"], "redis-0");
    EXPECT_EQ(unit["sentinels"][0]["master_name"], kSentinelMasterName);
    shown = true;
  }
  EXPECT_TRUE(shown) << topology.dump(2);
}

TEST_F(SentinelTest, ReplicaofNoOneBehindTheSentinelsBack) {
  exporter_.Start(options_);
  ASSERT_TRUE(WaitForFindings({}));
  set_.Promote(2);
  // The sentinels still name redis-0; each of them says so. They turn
  // redis-2 back into a replica a few seconds later (+convert-to-slave).
  Metrics m;
  ASSERT_TRUE(WaitForFindings(
      {"dual_primary", "sentinel_master_mismatch@sentinel-0", "sentinel_master_mismatch@sentinel-1",
       "sentinel_master_mismatch@sentinel-2"},
      &m));
  EXPECT_THAT(exporter_.Topology().dump(),
              HasSubstr("the databases report primary redis-0, redis-2"));
  ASSERT_TRUE(WaitForFindings({}));
  EXPECT_EQ(set_.server(2).InfoField("replication", "role"), "slave");
}

TEST_F(SentinelTest, SentinelRepointedByHandDisagrees) {
  exporter_.Start(options_);
  ASSERT_TRUE(WaitForFindings({}));
  sentinels_.Command(2, {"SENTINEL", "REMOVE", kSentinelMasterName});
  sentinels_.Command(2, {"SENTINEL", "MONITOR", kSentinelMasterName, "127.0.0.1",
                         std::to_string(set_.server(1).port()), "2"});
  // sentinel-2 names redis-1, a replica; the others name redis-0.
  Metrics m;
  ASSERT_TRUE(WaitForFindings({"sentinels_disagree", "sentinel_master_mismatch@sentinel-2"}, &m));
  EXPECT_TRUE(m.Is(
      "dbtopo_finding",
      {{"kind", "sentinels_disagree"}, {"severity", "critical"}, {"channel", kSentinelMasterName}},
      1))
      << m.Dump("dbtopo_finding");
  // Put it back: the findings clear.
  sentinels_.Command(2, {"SENTINEL", "REMOVE", kSentinelMasterName});
  sentinels_.Command(2, {"SENTINEL", "MONITOR", kSentinelMasterName, "127.0.0.1",
                         std::to_string(set_.server(0).port()), "2"});
  ASSERT_TRUE(WaitForFindings({}));
}

TEST_F(SentinelTest, TwoOfThreeSentinelsStoppedLosesTheQuorum) {
  exporter_.Start(options_);
  ASSERT_TRUE(WaitForFindings({}));
  sentinels_.Stop(1);
  sentinels_.Stop(2);
  Metrics m;
  ASSERT_TRUE(WaitForFindings(
      {"sentinel_quorum_lost@sentinel-0", "target_down@sentinel-1", "target_down@sentinel-2"}, &m));
  EXPECT_TRUE(m.Is("dbtopo_sentinel_quorum_ok", Sentinel(0), 0)) << m.Dump("dbtopo_sentinel");
  sentinels_.Restart(1);
  sentinels_.Restart(2);
  ASSERT_TRUE(WaitForFindings({}));
}

TEST_F(SentinelTest, MasterKilledSentinelsFailOverWithoutAFalseDualPrimary) {
  exporter_.Start(options_);
  ASSERT_TRUE(WaitForFindings({}));
  set_.server(0).Kill();
  // Every scrape until the sentinels and the databases agree on a new master.
  // A dual_primary is false unless two live servers really were masters: a
  // slow failover may be retried by another sentinel with a new epoch, and
  // the replica the first attempt promoted stays a master until the second
  // one re-points it (a real, if brief, split brain). The servers are asked
  // beside each scrape; the round the scrape shows may be a poll interval
  // older, so two masters seen within the last 2 s count.
  std::string new_master;
  int false_dual_primary = 0, real_dual_primary = 0;
  Clock::time_point two_masters_seen{};
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "a new master named by all three sentinels and by the databases",
      [&](const Metrics& m) {
        int masters = 0;
        for (int i = 1; i < set_.size(); ++i) {
          try {
            masters += set_.server(i).InfoField("replication", "role") == "master";
          } catch (const std::exception&) {
          }
        }
        if (masters >= 2) two_masters_seen = Clock::now();
        if (m.FindingKeys().count("dual_primary") > 0) {
          ++(Clock::now() - two_masters_seen < std::chrono::seconds(2) ? real_dual_primary
                                                                       : false_dual_primary);
        }
        const std::string named = sentinels_.MasterAddress(0);
        if (named == set_.server(0).address()) return false;
        for (int i = 1; i < 3; ++i) {
          if (sentinels_.MasterAddress(i) != named) return false;
        }
        new_master = named;
        return m.FindingKeys() == std::set<std::string>{"target_down@redis-0"} &&
               m.Is("dbtopo_cluster_primaries", {{"component", "redis"}}, 1);
      },
      std::chrono::seconds(90), &m, std::chrono::milliseconds(100)));
  std::cout << "[ failover ] dual_primary samples while two servers were masters: "
            << real_dual_primary << "\n";
  EXPECT_EQ(false_dual_primary, 0) << "dual_primary shown while at most one server was a master";
  const std::optional<double> epoch = m.Value("dbtopo_sentinel_config_epoch", Sentinel(0));
  ASSERT_TRUE(epoch.has_value() && *epoch >= 1) << m.Dump("dbtopo_sentinel");
  for (int i = 0; i < 3; ++i) {
    Labels info = Sentinel(i);
    info["master_address"] = new_master;
    EXPECT_TRUE(m.Is("dbtopo_sentinel_master_info", info, 1)) << m.Dump("dbtopo_sentinel");
    EXPECT_TRUE(m.Is("dbtopo_sentinel_config_epoch", Sentinel(i), *epoch)) << "one epoch for all";
  }
}

}  // namespace
}  // namespace dbtopo::testing
