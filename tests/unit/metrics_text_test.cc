#include "metrics_text.h"

#include <gtest/gtest.h>

#include "analysis_fixtures.h"
#include "topology_json.h"

namespace dbtopo {
namespace {

using fixtures::Down;
using fixtures::HealthyOrders;

Snapshot SnapshotOf(const std::vector<Member>& members) {
  Snapshot s;
  s.round = 7;
  s.timestamp_seconds = 1700000000.5;
  s.poll_duration_seconds = 0.25;
  s.topology = Analyze(members, AnalysisOptions{});
  return s;
}

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

constexpr char kPod1[] =
    R"(namespace="default",db_cluster="orders",component="mysql",pod="orders-mysql-1")";

TEST(MetricsTextTest, HealthyTopology) {
  auto members = HealthyOrders();
  members[1].observation.channels[0].lag_seconds = 3;
  const std::string text = RenderMetrics(SnapshotOf(members));
  EXPECT_TRUE(Contains(text, "# TYPE dbtopo_up gauge")) << text;
  EXPECT_TRUE(Contains(text, std::string("dbtopo_up{") + kPod1 + "} 1"));
  EXPECT_TRUE(Contains(text, std::string("dbtopo_role{") + kPod1 + ",role=\"replica\"} 1"));
  EXPECT_TRUE(
      Contains(text, std::string("dbtopo_replication_lag_seconds{") + kPod1 + ",channel=\"\"} 3"));
  EXPECT_TRUE(Contains(text, std::string("dbtopo_replication_last_error_number{") + kPod1 +
                                 ",channel=\"\",thread=\"sql\"} 0"));
  EXPECT_TRUE(
      Contains(text, std::string("dbtopo_replication_source_valid{") + kPod1 + ",channel=\"\"} 1"));
  EXPECT_TRUE(Contains(
      text,
      R"(dbtopo_cluster_primaries{namespace="default",db_cluster="orders",component="mysql"} 1)"));
  EXPECT_TRUE(Contains(text, "dbtopo_last_poll_timestamp_seconds 1700000000.5"));
  EXPECT_TRUE(Contains(text, "dbtopo_exporter_build_info{version=\"0.1.0\"} 1"));
  EXPECT_FALSE(Contains(text, "dbtopo_finding{"));
}

TEST(MetricsTextTest, UnknownLagIsAbsentNotZero) {
  auto members = HealthyOrders();
  members[1].observation.channels[0].lag_seconds.reset();  // NULL Seconds_Behind_Master
  members[1].observation.channels[0].sql_running = false;
  members[1].observation.channels[0].last_sql_errno = 1062;
  const std::string text = RenderMetrics(SnapshotOf(members));
  EXPECT_FALSE(Contains(text, std::string("dbtopo_replication_lag_seconds{") + kPod1));
  EXPECT_TRUE(Contains(text, std::string("dbtopo_replication_last_error_number{") + kPod1 +
                                 ",channel=\"\",thread=\"sql\"} 1062"));
  EXPECT_TRUE(Contains(text, std::string("dbtopo_finding{") + kPod1 +
                                 R"(,channel="",kind="replication_broken",severity="critical"} 1)"))
      << text;
}

TEST(MetricsTextTest, DownPodServesNoStaleValues) {
  auto members = HealthyOrders();
  members[1] = Down(members[1]);
  const std::string text = RenderMetrics(SnapshotOf(members));
  EXPECT_TRUE(Contains(text, std::string("dbtopo_up{") + kPod1 + "} 0"));
  EXPECT_TRUE(Contains(text, std::string("dbtopo_role{") + kPod1 + ",role=\"unknown\"} 1"));
  EXPECT_FALSE(Contains(text, std::string("dbtopo_writable{") + kPod1));
  EXPECT_FALSE(Contains(text, std::string("dbtopo_replication_io_running{") + kPod1));
  EXPECT_FALSE(Contains(text, std::string("dbtopo_replication_link_up{") + kPod1));
}

TEST(MetricsTextTest, EveryFindingLabelSetIsUnique) {
  Snapshot s = SnapshotOf(HealthyOrders());
  Finding f{finding::kTargetDown, Severity::kWarning, {"", "a", "b"}, "p", "", "x"};
  s.topology.findings = {f, f};
  const std::string text = RenderMetrics(s);
  const auto first = text.find("kind=\"target_down\"");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(text.find("kind=\"target_down\"", first + 1), std::string::npos);
}

TEST(MetricsTextTest, RedisClusterNodeFlagsCountOtherNodes) {
  Member m;
  m.target.unit = {"", "c", "shard-0"};
  m.target.pod = "c-0";
  m.target.engine = Engine::kRedisCluster;
  m.target.host = "127.0.0.1";
  m.target.port = 7000;
  m.observation.up = true;
  RedisClusterInfo info;
  info.state_ok = false;
  info.slots_assigned = 16384;
  info.slots_fail = 5461;
  auto node = [](std::vector<std::string> flags, bool connected) {
    RedisClusterNode n;
    n.flags = std::move(flags);
    n.link_connected = connected;
    return n;
  };
  info.nodes = {node({"myself", "master"}, false), node({"master", "fail"}, false),
                node({"slave", "fail?"}, true), node({"handshake"}, false),
                node({"noaddr", "master"}, false)};
  m.observation.redis_cluster = info;
  const std::string text = RenderMetrics(SnapshotOf({m}));
  const std::string pod = R"(namespace="",db_cluster="c",component="shard-0",pod="c-0")";
  EXPECT_TRUE(Contains(text, "dbtopo_redis_cluster_state{" + pod + "} 0"));
  EXPECT_TRUE(Contains(text, "dbtopo_redis_cluster_slots{" + pod + ",state=\"fail\"} 5461"));
  EXPECT_FALSE(Contains(text, "dbtopo_redis_cluster_slots{" + pod + ",state=\"ok\"}"));
  EXPECT_TRUE(Contains(text, "dbtopo_redis_cluster_nodes{" + pod + ",flag=\"fail\"} 1"));
  EXPECT_TRUE(Contains(text, "dbtopo_redis_cluster_nodes{" + pod + ",flag=\"pfail\"} 1"));
  EXPECT_TRUE(Contains(text, "dbtopo_redis_cluster_nodes{" + pod + ",flag=\"handshake\"} 1"));
  EXPECT_TRUE(Contains(text, "dbtopo_redis_cluster_nodes{" + pod + ",flag=\"noaddr\"} 1"));
  // myself never counts as disconnected.
  EXPECT_TRUE(Contains(text, "dbtopo_redis_cluster_nodes{" + pod + ",flag=\"disconnected\"} 3"));
}

TEST(TopologyJsonTest, UnknownIsNullAndFindingsAttachToTheirUnit) {
  auto members = HealthyOrders();
  members[1].observation.channels[0].lag_seconds.reset();
  members[2] = Down(members[2], "connect failed: errno 2003");
  const std::string json = RenderTopologyJson(SnapshotOf(members));
  EXPECT_TRUE(Contains(json, "\"lag_seconds\": null")) << json;
  EXPECT_TRUE(Contains(json, "\"observed_role\": \"primary\""));
  EXPECT_TRUE(Contains(json, "\"kind\": \"target_down\""));
  EXPECT_TRUE(Contains(json, "errno 2003"));
}

}  // namespace
}  // namespace dbtopo

namespace dbtopo {
namespace {

TEST(MetricsTextTest, LabelValuesAreEscapedAndValuesReadBack) {
  auto members = HealthyOrders();
  members[1].observation.channels[0].source_host = "odd\"host\\name\nx";
  members[1].observation.channels[0].lag_seconds = 0.1;
  members[2].observation.channels[0].lag_seconds = 1e-7;
  const std::string text = RenderMetrics(SnapshotOf(members));
  EXPECT_TRUE(Contains(text, R"(source="odd\"host\\name\nx:)")) << text;
  EXPECT_TRUE(Contains(text, std::string("dbtopo_replication_lag_seconds{") + kPod1 +
                                 ",channel=\"\"} 0.1\n"));
  EXPECT_TRUE(Contains(text, "} 1e-07\n"));
  // One HELP and one TYPE per family, before its samples.
  const auto help = text.find("# HELP dbtopo_up ");
  const auto type = text.find("# TYPE dbtopo_up gauge\n");
  ASSERT_NE(help, std::string::npos);
  EXPECT_LT(help, type);
  EXPECT_LT(type, text.find("dbtopo_up{"));
  EXPECT_EQ(text.find("# TYPE dbtopo_up gauge", type + 1), std::string::npos);
  EXPECT_TRUE(Contains(text, "# TYPE dbtopo_poll_rounds_total counter\n"));
}

}  // namespace
}  // namespace dbtopo
