// Redis replication sets (engine `redis`) against real redis-server 7.0: a
// master with two replicas watched by the real dbtopo_exporter (poll 1 s,
// probe timeout 1 s, ACL user `exporter`). Each test injects one fault and
// waits (polling /metrics) until the active findings are exactly the
// expected set: the right findings and nothing else.

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

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

constexpr char kCluster[] = "cache";
constexpr auto kWait = std::chrono::seconds(30);

std::set<std::string> Findings(const Metrics& m) { return m.FindingKeys(); }

Labels Pod(const std::string& pod) { return {{"db_cluster", kCluster}, {"pod", pod}}; }

class RedisReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    start_ = Clock::now();
    set_.Start(2);
    options_.poll_interval = "1s";
    options_.probe_timeout = "1s";
    options_.clusters.push_back(set_.ToClusterSpec(kCluster));
  }
  void TearDown() override {
    std::cout << "[ duration ] " << std::chrono::duration<double>(Clock::now() - start_).count()
              << " s\n";
  }

  ::testing::AssertionResult WaitForFindings(const std::set<std::string>& expected,
                                             Metrics* last = nullptr) {
    return exporter_.WaitForFindings(expected, kWait, last);
  }

  Clock::time_point start_;
  RedisReplicationSet set_;
  TempDir dir_{"dbtopo-redis-exporter"};
  ExporterProcess exporter_{dir_};
  ExporterOptions options_;
};

TEST_F(RedisReplicationTest, HealthySetHasNoFindings) {
  exporter_.Start(options_);
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "all up, links up, no findings",
      [](const Metrics& m) {
        return Findings(m).empty() && m.Count("dbtopo_up", {{"db_cluster", kCluster}}) == 3 &&
               m.Is("dbtopo_up", Pod("redis-0"), 1) && m.Is("dbtopo_up", Pod("redis-1"), 1) &&
               m.Is("dbtopo_up", Pod("redis-2"), 1) &&
               m.Is("dbtopo_replication_link_up", Pod("redis-1"), 1) &&
               m.Is("dbtopo_replication_link_up", Pod("redis-2"), 1);
      },
      kWait, &m));
  EXPECT_TRUE(m.Is("dbtopo_role", {{"pod", "redis-0"}, {"role", "primary"}}, 1)) << m.Dump();
  EXPECT_TRUE(m.Is("dbtopo_role", {{"pod", "redis-1"}, {"role", "replica"}}, 1));
  EXPECT_TRUE(m.Is("dbtopo_writable", Pod("redis-0"), 1));
  EXPECT_TRUE(m.Is("dbtopo_writable", Pod("redis-1"), 0));
  EXPECT_TRUE(m.Is("dbtopo_cluster_primaries", {{"db_cluster", kCluster}}, 1));
  EXPECT_TRUE(m.Is("dbtopo_cluster_dual_primary", {{"db_cluster", kCluster}}, 0));
  EXPECT_TRUE(m.Is("dbtopo_replication_source_valid", Pod("redis-1"), 1));
  EXPECT_TRUE(m.Is("dbtopo_replication_io_running", Pod("redis-2"), 1));
  EXPECT_TRUE(m.Has("dbtopo_replication_lag_bytes", Pod("redis-1")));
  EXPECT_FALSE(m.Has("dbtopo_replication_lag_seconds", Pod("redis-1")));  // unknown, not 0
  EXPECT_TRUE(m.Has("dbtopo_replication_link_up",
                    {{"pod", "redis-1"}, {"source", set_.server(0).address()}}));
}

TEST_F(RedisReplicationTest, ReplicaofNoOneIsDualPrimary) {
  exporter_.Start(options_);
  ASSERT_TRUE(WaitForFindings({}));
  set_.Promote(1);
  Metrics m;
  ASSERT_TRUE(WaitForFindings({"dual_primary", "role_label_mismatch@redis-1"}, &m));
  EXPECT_TRUE(m.Is("dbtopo_cluster_dual_primary", {{"db_cluster", kCluster}}, 1)) << m.Dump();
  EXPECT_TRUE(m.Is("dbtopo_cluster_primaries", {{"db_cluster", kCluster}}, 2));
  EXPECT_TRUE(m.Is("dbtopo_finding", {{"kind", "dual_primary"}, {"severity", "critical"}}, 1));
  // The topology API names the promoted master (master_replid2).
  const std::string topology = exporter_.Topology().dump();
  EXPECT_THAT(topology, HasSubstr("redis-1 was promoted from the history of redis-0"));
}

TEST_F(RedisReplicationTest, ReplicaOfDeadSourceIsBrokenAndWrongSource) {
  exporter_.Start(options_);
  ASSERT_TRUE(WaitForFindings({}));
  const int dead_port = FreePort();
  set_.PointAt(2, "127.0.0.1", dead_port);
  Metrics m;
  ASSERT_TRUE(WaitForFindings({"replication_broken@redis-2", "wrong_source@redis-2"}, &m));
  EXPECT_TRUE(m.Is("dbtopo_replication_link_up", Pod("redis-2"), 0)) << m.Dump();
  EXPECT_TRUE(m.Is("dbtopo_replication_io_running", Pod("redis-2"), 0));
  EXPECT_TRUE(m.Is("dbtopo_replication_source_valid", Pod("redis-2"), 0));
  EXPECT_TRUE(m.Has("dbtopo_replication_link_up",
                    {{"pod", "redis-2"}, {"source", "127.0.0.1:" + std::to_string(dead_port)}}));
  EXPECT_FALSE(m.Has("dbtopo_replication_lag_bytes", Pod("redis-2")));  // unknown
  EXPECT_TRUE(m.Is("dbtopo_replication_source_valid", Pod("redis-1"), 1));
}

TEST_F(RedisReplicationTest, MasterDownIsNoPrimary) {
  exporter_.Start(options_);
  ASSERT_TRUE(WaitForFindings({}));
  set_.server(0).Kill();
  Metrics m;
  ASSERT_TRUE(WaitForFindings({"no_primary", "target_down@redis-0", "replication_broken@redis-1",
                               "replication_broken@redis-2"},
                              &m));
  EXPECT_TRUE(m.Is("dbtopo_up", Pod("redis-0"), 0)) << m.Dump();
  EXPECT_TRUE(m.Is("dbtopo_cluster_primaries", {{"db_cluster", kCluster}}, 0));
  EXPECT_FALSE(m.Has("dbtopo_writable", Pod("redis-0")));  // no stale values
}

TEST_F(RedisReplicationTest, FrozenReplicaCostsAtMostTheProbeTimeout) {
  exporter_.Start(options_);
  ASSERT_TRUE(WaitForFindings({}));
  set_.server(2).Freeze();
  Metrics m;
  ASSERT_TRUE(WaitForFindings({"target_down@redis-2"}, &m));
  const auto duration = m.Value("dbtopo_probe_duration_seconds", Pod("redis-2"));
  ASSERT_TRUE(duration.has_value());
  EXPECT_GE(*duration, 0.9);
  EXPECT_LE(*duration, 1.5);
  EXPECT_THAT(exporter_.Topology().dump(), HasSubstr("timeout after 1000ms"));
  // Thawed, it is reconnected on a later round.
  set_.server(2).Thaw();
  ASSERT_TRUE(WaitForFindings({}, &m));
  EXPECT_TRUE(m.Is("dbtopo_replication_link_up", Pod("redis-2"), 1));
}

TEST_F(RedisReplicationTest, WrongPasswordIsDownAndNeverPrinted) {
  const std::string wrong = "wrong-" + RandomRedisPassword();
  options_.clusters[0].password = wrong;
  exporter_.Start(options_);
  Metrics m;
  ASSERT_TRUE(WaitForFindings(
      {"no_primary", "target_down@redis-0", "target_down@redis-1", "target_down@redis-2"}, &m));
  EXPECT_TRUE(m.Is("dbtopo_up", Pod("redis-1"), 0));
  const std::string topology = exporter_.Topology().dump();
  EXPECT_THAT(topology, HasSubstr("WRONGPASS"));
  for (const std::string& secret : {wrong, set_.exporter_password()}) {
    EXPECT_THAT(m.text(), Not(HasSubstr(secret)));
    EXPECT_THAT(topology, Not(HasSubstr(secret)));
    EXPECT_THAT(exporter_.Log(), Not(HasSubstr(secret)));
  }
}

}  // namespace
}  // namespace dbtopo::testing

namespace dbtopo::testing {
namespace {

// Invalid UTF-8 from one server (here REPLICAOF to a host name of raw bytes)
// must not invalidate the scrape for every other target: the bytes are
// replaced (U+FFFD) and counted, promtool accepts the exposition, and the
// topology JSON parses.
TEST_F(RedisReplicationTest, InvalidUtf8FromAServerKeepsTheScrapeValid) {
  exporter_.Start(options_);
  ASSERT_TRUE(WaitForFindings({}));
  set_.server(1).Command({"REPLICAOF", "h\xff\xfe", "45011"});
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "redis-1 follows the garbled host, replacement counted",
      [&](const Metrics& x) {
        return x.Has("dbtopo_replication_link_up",
                     {{"pod", "redis-1"}, {"source", "h\xEF\xBF\xBD\xEF\xBF\xBD:45011"}}) &&
               x.Value("dbtopo_invalid_utf8_replacements_total", {}).value_or(0) > 0;
      },
      kWait, &m));
  const HttpResult scrape = exporter_.Get("/metrics");
  ASSERT_EQ(scrape.status, 200);
  WriteFile(dir_.File("scrape.txt"), scrape.body);
  const int rc =
      RunCommand({"sh", "-c", "promtool check metrics < '" + dir_.File("scrape.txt") + "'"},
                 dir_.File("promtool.log"));
  EXPECT_EQ(rc, 0) << ReadFile(dir_.File("promtool.log"));
  EXPECT_TRUE(m.Is("dbtopo_up", Pod("redis-0"), 1)) << "every other target still there";
  const HttpResult topology = exporter_.Get("/api/v1/topology");
  EXPECT_FALSE(nlohmann::json::parse(topology.body, nullptr, false).is_discarded());
  EXPECT_EQ(topology.body.find("\xff"), std::string::npos);
  EXPECT_EQ(exporter_.Log().find("\xff"), std::string::npos) << "the log is valid UTF-8 too";
}

}  // namespace
}  // namespace dbtopo::testing

namespace dbtopo::testing {
namespace {

// A replica restarted between two rounds is back by the next one: the probe
// finds its kept connection closed and reconnects once within its deadline.
TEST_F(RedisReplicationTest, ServerRestartedBetweenRoundsIsNotReportedDown) {
  options_.poll_interval = "6s";
  exporter_.Start(options_);
  ASSERT_TRUE(WaitForFindings({}));
  const double failures = exporter_.Scrape().Value("dbtopo_probe_failures_total", {}).value_or(-1);
  Metrics m;
  ASSERT_TRUE(exporter_.RestartBetweenRounds(
      [&] {
        set_.server(1).Stop();
        set_.server(1).Start();
      },
      std::chrono::seconds(4), std::chrono::seconds(12), &m));
  EXPECT_EQ(m.Value("dbtopo_up", Pod("redis-1")), 1) << exporter_.LogTail(3000);
  EXPECT_EQ(m.Value("dbtopo_probe_failures_total", {}), failures);
}

}  // namespace
}  // namespace dbtopo::testing
