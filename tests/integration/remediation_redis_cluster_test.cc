// Remediation of a real Redis Cluster (3 masters, 1 replica each) driven
// through the real exporter: a switchover is a CLUSTER FAILOVER that loses no
// acknowledged write and raises no critical finding; refusals and a dry run
// change nothing.
//
// The exporter's ACL user gets what remediation needs beyond the probe:
// +replicaof +client|pause +client|unpause +cluster|failover.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "remediation_redis_common.h"
#include "support/acking_writer.h"
#include "support/exporter_process.h"
#include "support/prom_text.h"
#include "support/redis_servers.h"

namespace dbtopo::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class RemediationRedisClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start_ = Clock::now();
    cluster_.Start();
    for (int i = 0; i < cluster_.size(); ++i) GrantRemediation(cluster_.node(i));
  }
  void StartExporter(bool enabled) {
    ExporterOptions options;
    options.poll_interval = "1s";
    options.probe_timeout = "1s";
    options.clusters = cluster_.ToClusterSpecs("sessions");
    options.extra_yaml = RemediationYaml(dir_, enabled, /*fence=*/false);
    exporter_.Start(options);
    std::cout << "[ setup    ] " << SecondsSince(start_) << " s\n";
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cout << "--- cluster ---\n" << cluster_.Describe();
      std::cout << "--- exporter log ---\n" << exporter_.LogTail(8000);
    }
    EXPECT_THAT(exporter_.Log(), Not(HasSubstr(cluster_.exporter_password())));
    std::cout << "[ time     ] " << SecondsSince(start_) << " s\n";
  }
  HttpResult Switchover(const std::string& candidate, const std::string& token = kToken) {
    HttpResult r = exporter_.Post(
        "/api/v1/switchover",
        R"({"db_cluster":"sessions","component":"shard-0","candidate":")" + candidate + "\"}",
        token);
    std::cout << "[ POST     ] " << candidate << " -> " << r.status << " " << r.body.substr(0, 400)
              << "\n";
    return r;
  }
  /// A key prefix whose hash tag lands in shard 0.
  std::string ShardZeroPrefix() {
    RedisServer& master = cluster_.node(cluster_.Shard(0)[0]);
    for (int t = 0; t < 1000; ++t) {
      const std::string prefix = "w{t" + std::to_string(t) + "}:";
      try {
        master.Command({"SET", prefix + "probe", "1"});
        return prefix;
      } catch (const std::exception&) {  // MOVED: another shard's slot.
      }
    }
    throw std::runtime_error("no hash tag in shard 0");
  }

  Clock::time_point start_;
  RedisClusterTopology cluster_;
  TempDir dir_{"dbtopo-remediation-rc"};
  ExporterProcess exporter_{dir_};
};

TEST_F(RemediationRedisClusterTest, ClusterFailoverUnderWritesLosesNoWrite) {
  StartExporter(/*enabled=*/true);
  const int master = cluster_.Shard(0)[0];
  const int replica = cluster_.Shard(0)[1];
  const std::string prefix = ShardZeroPrefix();
  AckingWriter writer =
      RedisWriter({cluster_.node(master).port(), cluster_.node(replica).port()}, prefix);
  // A planned Redis Cluster failover is a legal change: no scrape from before
  // it until rounds after it may show a critical finding.
  ASSERT_TRUE(exporter_.WaitForFindings({}));
  std::atomic<bool> scraping{true};
  std::map<std::string, int> criticals;
  std::thread scraper([&] {
    while (scraping) {
      for (const Sample& f : exporter_.Scrape().Find("dbtopo_finding")) {
        if (f.labels.at("severity") == "critical") {
          ++criticals[f.labels.at("kind") + " " + f.labels.at("pod")];
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  writer.Start();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const HttpResult r = Switchover(cluster_.Pod(replica));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  writer.Stop();
  std::this_thread::sleep_for(std::chrono::seconds(4));
  scraping = false;
  scraper.join();
  EXPECT_TRUE(criticals.empty()) << "critical findings around a Redis Cluster failover: "
                                 << ::testing::PrintToString(criticals);
  ASSERT_EQ(r.status, 200) << r.body;
  const nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["result"], "success");
  EXPECT_EQ(j["old_primary"], cluster_.Pod(master));
  std::vector<std::string> steps;
  for (const auto& s : j["steps"]) steps.push_back(s["name"].get<std::string>());
  EXPECT_THAT(steps,
              ::testing::ElementsAre("preflight", "cluster_failover", "wait_promotion", "verify"));
  EXPECT_EQ(cluster_.node(replica).InfoField("replication", "role"), "master");
  EXPECT_EQ(cluster_.node(master).InfoField("replication", "role"), "slave");
  EXPECT_EQ(cluster_.node(master).InfoField("replication", "master_port"),
            std::to_string(cluster_.node(replica).port()));
  const std::set<int> acked = writer.acked();
  std::cout << "[ switch   ] writer acked " << acked.size() << ", " << writer.failures()
            << " failed attempts\n";
  ASSERT_GT(acked.size(), 20u);
  EXPECT_THAT(Missing(acked, KeyIds(cluster_.node(replica), prefix)), ::testing::IsEmpty());
  EXPECT_TRUE(exporter_.WaitFor("counted", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total",
                {{"action", "switchover"}, {"result", "success"}}, 1);
  }));
}

TEST_F(RemediationRedisClusterTest, RefusalsAndDryRunChangeNothing) {
  StartExporter(/*enabled=*/false);
  const int master = cluster_.Shard(0)[0];
  const int replica = cluster_.Shard(0)[1];
  EXPECT_EQ(Switchover(cluster_.Pod(replica), "").status, 401);
  EXPECT_EQ(Switchover("sessions-shard-0-9").status, 404);
  HttpResult r = Switchover(cluster_.Pod(master));
  EXPECT_EQ(r.status, 422);
  EXPECT_THAT(r.body, HasSubstr("already"));
  r = Switchover(cluster_.Pod(replica));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["result"], "dry_run");
  EXPECT_EQ(cluster_.node(master).InfoField("replication", "role"), "master");
  EXPECT_EQ(cluster_.node(replica).InfoField("replication", "role"), "slave");
}

}  // namespace
}  // namespace dbtopo::testing
