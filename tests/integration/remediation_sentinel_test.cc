// Remediation of a Redis replication set that three real sentinels watch,
// driven through the real exporter: a switchover goes through Sentinel
// (SENTINEL FAILOVER, never REPLICAOF of its own) and loses no acknowledged
// write; a stray master is left to Sentinel, not fenced.
//
// The exporter's ACL user gets +config|get +config|set on the servers and
// +sentinel|failover on the sentinels.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "remediation_redis_common.h"
#include "support/prom_text.h"
#include "support/redis_sentinels.h"

namespace dbtopo::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A replication set under three sentinels: actions go through Sentinel.

class RemediationSentinelTest : public ::testing::Test {
 protected:
  void Start(bool fence) {
    start_ = Clock::now();
    set_.Start(2);
    for (int i = 0; i < set_.size(); ++i) {
      set_.server(i).Command({"ACL", "SETUSER", kRedisExporterUser, "+config|get", "+config|set"});
    }
    sentinels_.Start(3, set_.server(0).port(), 2);
    for (int i = 0; i < sentinels_.size(); ++i) {
      sentinels_.Command(i, {"ACL", "SETUSER", kRedisExporterUser, "+sentinel|failover"});
    }
    ExporterOptions options;
    options.poll_interval = "1s";
    options.probe_timeout = "1s";
    ClusterSpec redis = set_.ToClusterSpec("cache");
    for (MemberSpec& m : redis.members) m.labels.clear();  // Sentinel decides, no operator.
    options.clusters = {redis, sentinels_.ToClusterSpec("cache")};
    options.extra_yaml = RemediationYaml(dir_, /*enabled=*/true, fence);
    exporter_.Start(options);
    ASSERT_TRUE(exporter_.WaitFor(
        "healthy baseline, every sentinel sees the others", [&](const Metrics& m) {
          return m.Count("dbtopo_finding") == 0 &&
                 m.Count("dbtopo_sentinel_known_sentinels") == 3 &&
                 m.Value("dbtopo_sentinel_known_sentinels", {{"pod", "sentinel-2"}}) == 3;
        }));
  }
  void TearDown() override {
    if (HasFailure()) std::cout << "--- exporter log ---\n" << exporter_.LogTail(8000);
    EXPECT_THAT(exporter_.Log(), Not(HasSubstr(set_.exporter_password())));
    std::cout << "[ time     ] " << SecondsSince(start_) << " s\n";
  }
  // The server that reports role:master; -1 when none or several, or when
  // one does not answer: Sentinel ends each reconfiguration with CLIENT KILL
  // TYPE normal, which resets a connection asking at that moment.
  int Master() {
    int master = -1;
    for (int i = 0; i < set_.size(); ++i) {
      try {
        if (set_.server(i).InfoField("replication", "role") != "master") continue;
      } catch (const std::runtime_error& e) {
        std::cout << "[ master?  ] " << e.what() << "\n";
        return -1;
      }
      if (master >= 0) return -1;
      master = i;
    }
    return master;
  }

  Clock::time_point start_;
  RedisReplicationSet set_;
  RedisSentinels sentinels_{set_.exporter_password()};
  TempDir dir_{"dbtopo-remediation-sentinel"};
  ExporterProcess exporter_{dir_};
};

TEST_F(RemediationSentinelTest, SwitchoverGoesThroughSentinelAndLosesNoAcknowledgedWrite) {
  ASSERT_NO_FATAL_FAILURE(Start(/*fence=*/false));
  AckingWriter writer =
      RedisWriter({set_.server(0).port(), set_.server(1).port(), set_.server(2).port()}, "s:");
  writer.Start();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // The db_cluster alone names the Redis unit: its sentinels hold no data.
  const HttpResult r = exporter_.Post("/api/v1/switchover",
                                      R"({"db_cluster":"cache","candidate":"redis-2"})", kToken);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  writer.Stop();
  std::cout << "[ POST     ] " << r.status << " " << r.body.substr(0, 600) << "\n";
  ASSERT_EQ(r.status, 200) << r.body;
  const nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["result"], "success");
  EXPECT_THAT(j["reason"].get<std::string>(), HasSubstr("promoted by Sentinel"));
  std::vector<std::string> steps;
  for (const auto& s : j["steps"]) steps.push_back(s["name"].get<std::string>());
  EXPECT_THAT(steps, ::testing::ElementsAre("check_sentinels", "preflight", "refuse_writes",
                                            "wait_catch_up", "wait_catch_up", "steer_to_candidate",
                                            "sentinel_failover", "wait_sentinels_agree",
                                            "restore_settings"));
  const int master = Master();
  ASSERT_EQ(master, 2) << "the candidate is the one master now";
  for (int i = 0; i < sentinels_.size(); ++i) {
    EXPECT_EQ(sentinels_.MasterAddress(i), set_.server(master).address()) << sentinels_.Pod(i);
  }
  EXPECT_EQ(set_.server(0).Command({"CONFIG", "GET", "min-replicas-to-write"}),
            "min-replicas-to-write\n0")
      << "the old master's setting is restored";
  EXPECT_EQ(set_.server(1).Command({"CONFIG", "GET", "replica-priority"}), "replica-priority\n100")
      << "the other replica's priority is restored";
  const std::set<int> acked = writer.acked();
  std::cout << "[ switch   ] writer acked " << acked.size() << ", " << writer.failures()
            << " failed attempts\n";
  ASSERT_GT(acked.size(), 20u);
  EXPECT_THAT(Missing(acked, KeyIds(set_.server(master), "s:")), ::testing::IsEmpty())
      << "the new master lost acknowledged writes";
  EXPECT_TRUE(exporter_.WaitFor("converged and quiet", [&](const Metrics& m) {
    return m.Count("dbtopo_finding") == 0 &&
           m.Is("dbtopo_role", {{"pod", set_.Pod(master)}, {"role", "primary"}}, 1);
  }));
}

TEST_F(RemediationSentinelTest, StrayMasterIsLeftToSentinel) {
  ASSERT_NO_FATAL_FAILURE(Start(/*fence=*/true));
  set_.Promote(2);
  ASSERT_TRUE(exporter_.WaitFor("the fence refused", [&](const Metrics& m) {
    return m.Value("dbtopo_remediation_actions_total", {{"action", "fence"}, {"result", "refused"}})
               .value_or(0) >= 1;
  }));
  EXPECT_THAT(exporter_.Topology().dump(), HasSubstr("is watched by sentinels"));
  // Sentinel turns redis-2 back into a replica; nothing fenced it.
  EXPECT_TRUE(PollUntil([&] { return Master() == 0; }, std::chrono::seconds(30)));
  EXPECT_TRUE(exporter_.Scrape().Is("dbtopo_remediation_actions_total",
                                    {{"action", "fence"}, {"result", "success"}}, 0));
}

}  // namespace
}  // namespace dbtopo::testing
