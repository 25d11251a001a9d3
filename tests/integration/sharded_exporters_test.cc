// Two exporters split 40 clusters between them (--shard/--total-shards): both
// probe a real redis-server through every cluster's members, so each scrape
// shows exactly the units its shard owns. Together they cover every unit,
// none is on both, and a cluster's components stay together. A third
// exporter takes its shard from its StatefulSet (--shard=auto
// --total-shards=auto, spec.replicas from the Kubernetes API stand-in) and
// re-shards when the StatefulSet is scaled, without a restart.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "dbtopo/collectors/shard.h"
#include "support/exporter_process.h"
#include "support/fake_kube_api.h"
#include "support/redis_servers.h"

namespace dbtopo::testing {
namespace {

constexpr int kClusters = 40;

// "ns/db_cluster" -> components, of every dbtopo_up series in a scrape.
using Owned = std::map<std::string, std::set<std::string>>;

Owned OwnedUnits(const Metrics& metrics) {
  Owned owned;
  for (const Sample& s : metrics.Find("dbtopo_up")) {
    owned[s.labels.at("namespace") + "/" + s.labels.at("db_cluster")].insert(
        s.labels.at("component"));
  }
  return owned;
}

class ShardedExportersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_.Start(0);
    options_.probe_timeout = "500ms";
    // Every fifth cluster has a second component (like a Redis Cluster's
    // shards): it must land on the same exporter as the first.
    for (int c = 0; c < kClusters; ++c) {
      const std::string name = "db-" + std::to_string(c);
      const std::string ns = c % 2 == 0 ? "shop" : "billing";
      for (const std::string component : {"cache", "cache-b"}) {
        if (component == "cache-b" && c % 5 != 0) continue;
        ClusterSpec spec = redis_.ToClusterSpec(name);
        spec.ns = ns;
        spec.component = component;
        spec.members.at(0).pod = name + "-" + component + "-0";
        options_.clusters.push_back(spec);
        expected_[ns + "/" + name].insert(component);
      }
    }
  }

  ExporterOptions Sharded(std::vector<std::string> args) const {
    ExporterOptions options = options_;
    options.extra_args = std::move(args);
    return options;
  }

  static ::testing::AssertionResult WaitForUnits(const ExporterProcess& exporter, Owned* owned) {
    Metrics last;
    auto ok = exporter.WaitFor(
        "a round over the shard's units", [](const Metrics& m) { return m.Has("dbtopo_up"); },
        std::chrono::seconds(30), &last);
    *owned = OwnedUnits(last);
    return ok;
  }

  TempDir dir_;
  RedisReplicationSet redis_;
  ExporterOptions options_;
  Owned expected_;
};

TEST_F(ShardedExportersTest, TwoShardsCoverEveryUnitOnceWithItsComponentsTogether) {
  ExporterProcess first(dir_), second(dir_);
  first.Start(Sharded({"--shard=0", "--total-shards=2"}));
  second.Start(Sharded({"--shard", "1", "--total-shards", "2"}));
  Owned a, b;
  ASSERT_TRUE(WaitForUnits(first, &a));
  ASSERT_TRUE(WaitForUnits(second, &b));
  EXPECT_FALSE(a.empty());
  EXPECT_FALSE(b.empty());
  Owned together = a;
  for (const auto& [cluster, components] : b) {
    EXPECT_FALSE(a.contains(cluster)) << cluster << " is watched by both shards";
    together[cluster] = components;
  }
  // Equal maps: every cluster once, with all of its components.
  EXPECT_EQ(together, expected_);
  for (const auto& [cluster, components] : a) {
    const std::string ns = cluster.substr(0, cluster.find('/'));
    EXPECT_EQ(ShardOfCluster(ns, cluster.substr(cluster.find('/') + 1), 2), 0) << cluster;
  }
  EXPECT_TRUE(first.Scrape().Is("dbtopo_shard_info", {{"shard", "0"}, {"total", "2"}}, 1));
  EXPECT_TRUE(second.Scrape().Is("dbtopo_shard_info", {{"shard", "1"}, {"total", "2"}}, 1));
  EXPECT_NE(first.Log().find("msg=\"watching one shard of the clusters\" shard=0 total=2"),
            std::string::npos)
      << first.LogTail();
}

TEST_F(ShardedExportersTest, AutoShardsFollowTheStatefulSet) {
  FakeKubeApi api;
  api.Start();
  api.SetStatefulSetReplicas("monitoring", "dbtopo-exporter", 2);
  WriteFile(dir_.File("kubeconfig"), KubeconfigYaml(api.url(), "token: abc"));
  ExporterOptions options = Sharded({"--shard=auto", "--total-shards=auto"});
  // A shard elects its remediator on its own Lease (dry run: nothing acts).
  options.extra_yaml =
      "remediation:\n"
      "  enabled: false\n"
      "  leader_election:\n"
      "    enabled: true\n"
      "    namespace: monitoring\n";
  options.env = {{"POD_NAME", "dbtopo-exporter-1"},
                 {"POD_NAMESPACE", "monitoring"},
                 {"KUBECONFIG", dir_.File("kubeconfig")}};
  ExporterProcess exporter(dir_);
  exporter.Start(options);
  Owned owned;
  ASSERT_TRUE(WaitForUnits(exporter, &owned));
  for (const auto& [cluster, components] : expected_) {
    const std::string ns = cluster.substr(0, cluster.find('/'));
    const bool mine = ShardOfCluster(ns, cluster.substr(cluster.find('/') + 1), 2) == 1;
    EXPECT_EQ(owned.contains(cluster), mine) << cluster;
  }
  EXPECT_TRUE(exporter.Scrape().Is("dbtopo_shard_info", {{"shard", "1"}, {"total", "2"}}, 1));
  EXPECT_TRUE(PollUntil(
      [&api] {
        return api.leases().Holder("monitoring", "dbtopo-exporter-remediation-shard-1") ==
               "dbtopo-exporter-1";
      },
      std::chrono::seconds(10)))
      << exporter.LogTail();
  EXPECT_EQ(api.leases().Get("monitoring", "dbtopo-exporter-remediation"), nullptr)
      << "the unsharded Lease was taken";

  // Scaled to 3: the pod that stays re-shards on its next read (every 30 s).
  api.SetStatefulSetReplicas("monitoring", "dbtopo-exporter", 3);
  Metrics last;
  ASSERT_TRUE(exporter.WaitFor(
      "shard 1 of 3",
      [](const Metrics& m) {
        return m.Is("dbtopo_shard_info", {{"shard", "1"}, {"total", "3"}}, 1);
      },
      std::chrono::seconds(45), &last, std::chrono::milliseconds(500)));
  ASSERT_TRUE(exporter.WaitFor(
      "a round over shard 1 of 3",
      [this](const Metrics& m) {
        const Owned now = OwnedUnits(m);
        for (const auto& [cluster, components] : expected_) {
          const std::string ns = cluster.substr(0, cluster.find('/'));
          const bool mine = ShardOfCluster(ns, cluster.substr(cluster.find('/') + 1), 3) == 1;
          if (now.contains(cluster) != mine) return false;
        }
        return true;
      },
      std::chrono::seconds(10), &last));
  EXPECT_NE(exporter.Log().find("msg=\"shard count changed\" shard=1 from=2 to=3"),
            std::string::npos)
      << exporter.LogTail();
}

TEST_F(ShardedExportersTest, BadShardFlagsStopTheStartWithTheFlagNamed) {
  const std::string config = dir_.File("check.yml");
  WriteFile(config, WriteExporterConfig(options_, dir_.path()));
  int runs = 0;
  const auto run = [&](std::vector<std::string> args, std::string* output) {
    const std::string log = dir_.File("check-" + std::to_string(++runs) + ".log");
    args.insert(args.begin(), {ExporterBinary(), "--config.file=" + config, "--check-config"});
    const int code = RunCommand(args, log);
    *output = ReadFile(log);
    return code;
  };
  std::string output;
  EXPECT_EQ(run({"--shard=2", "--total-shards=2"}, &output), 1);
  EXPECT_NE(output.find("--shard=2 is not below --total-shards=2"), std::string::npos) << output;
  EXPECT_EQ(run({"--total-shards=two"}, &output), 1);
  EXPECT_NE(output.find("invalid --total-shards \"two\""), std::string::npos) << output;
  EXPECT_EQ(run({"--shard=1", "--total-shards=2"}, &output), 0) << output;
}

}  // namespace
}  // namespace dbtopo::testing
