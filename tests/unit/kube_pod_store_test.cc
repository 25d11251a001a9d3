// Pod -> Target mapping and the per-stream pod store
// (collectors/src/kubernetes/pod_store), and CombinedDiscovery.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kubernetes/pod_store.h"

namespace dbtopo::kube {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

PodInfo Pod(const std::string& name, std::map<std::string, std::string> labels,
            const std::string& ip = "10.0.0.1") {
  PodInfo pod;
  pod.ns = "shop";
  pod.name = name;
  pod.uid = "uid-" + name;
  pod.labels = std::move(labels);
  pod.phase = "Running";
  pod.pod_ip = ip;
  pod.ready = true;
  pod.ports = {{"mysql", "mysql", 3307, "TCP"}, {"exporter", "http-metrics", 9104, "TCP"}};
  return pod;
}

std::map<std::string, std::string> KbLabels(const std::string& cluster,
                                            const std::string& component,
                                            const std::string& role = "") {
  std::map<std::string, std::string> labels = {{"app.kubernetes.io/instance", cluster},
                                               {"apps.kubeblocks.io/component-name", component},
                                               {"app.kubernetes.io/managed-by", "kubeblocks"}};
  if (!role.empty()) labels["kubeblocks.io/role"] = role;
  return labels;
}

KubernetesConfig Config() {
  KubernetesConfig config;
  KubernetesDiscoverRule mysql;
  mysql.engine = Engine::kMysql;
  mysql.label_selector = "apps.kubeblocks.io/component-name=mysql";
  mysql.port_name = "mysql";
  mysql.credentials = std::make_shared<Credentials>(Credentials{"exporter", Secret("pw")});
  KubernetesDiscoverRule redis;
  redis.engine = Engine::kRedisCluster;
  redis.label_selector = "app.kubernetes.io/name=redis-cluster";
  redis.port_name = "redis";
  redis.credentials = std::make_shared<Credentials>(Credentials{"default", Secret("rpw")});
  config.discover = {mysql, redis};
  return config;
}

TEST(PodToTargetTest, MapsEveryField) {
  const KubernetesConfig config = Config();
  PodMapping m = PodToTarget(Pod("orders-mysql-0", KbLabels("orders", "mysql", "Leader")),
                             config.discover[0], config);
  ASSERT_TRUE(m.target.has_value()) << m.skip_reason;
  EXPECT_EQ(m.skip_reason, "");
  EXPECT_EQ(m.warning, "");
  const Target& t = m.target->target;
  EXPECT_EQ(t.unit.ns, "shop");
  EXPECT_EQ(t.unit.db_cluster, "orders");
  EXPECT_EQ(t.unit.component, "mysql");
  EXPECT_EQ(t.pod, "orders-mysql-0");
  EXPECT_EQ(t.engine, Engine::kMysql);
  EXPECT_EQ(t.host, "10.0.0.1");
  EXPECT_EQ(t.port, 3307);  // The container port named "mysql".
  EXPECT_EQ(t.Address(), "10.0.0.1:3307");
  EXPECT_EQ(t.Key(), "shop/orders/mysql/orders-mysql-0");
  EXPECT_EQ(t.labels.at("app.kubernetes.io/managed-by"), "kubeblocks");
  EXPECT_EQ(t.role_label_value, "Leader");
  EXPECT_EQ(t.labelled_role, Role::kPrimary);  // Mapped case-insensitively.
  EXPECT_EQ(t.pod_ready, true);
  EXPECT_EQ(m.target->credentials, config.discover[0].credentials);
  EXPECT_EQ(m.target->credentials->username, "exporter");
}

TEST(PodToTargetTest, RoleLabelMapping) {
  KubernetesConfig config = Config();
  auto role_of = [&](const std::string& value) {
    auto labels = KbLabels("c", "mysql", value);
    return PodToTarget(Pod("p", labels), config.discover[0], config).target->target.labelled_role;
  };
  EXPECT_EQ(role_of("primary"), Role::kPrimary);
  EXPECT_EQ(role_of("secondary"), Role::kReplica);
  EXPECT_EQ(role_of("follower"), Role::kReplica);
  EXPECT_EQ(role_of("candidate"), Role::kUnknown);
  EXPECT_EQ(role_of(""), std::nullopt);  // No label.
  config.role_label = "my/role";
  config.role_values = {{"rw", Role::kPrimary}, {"ro", Role::kReplica}};
  auto labels = KbLabels("c", "mysql");
  labels["my/role"] = "RW";
  const Target t = PodToTarget(Pod("p", labels), config.discover[0], config).target->target;
  EXPECT_EQ(t.labelled_role, Role::kPrimary);
  EXPECT_EQ(t.role_label_value, "RW");
}

TEST(PodToTargetTest, DefaultPorts) {
  KubernetesConfig config = Config();
  PodInfo pod = Pod("p", KbLabels("c", "mysql"));
  config.discover[0].port_name = "";
  EXPECT_EQ(PodToTarget(pod, config.discover[0], config).target->target.port, 3306);
  config.discover[0].port_name = "no-such-port";
  PodMapping m = PodToTarget(pod, config.discover[0], config);
  EXPECT_EQ(m.target->target.port, 3306);
  EXPECT_THAT(m.warning, HasSubstr("no container port named \"no-such-port\", using 3306"));
  config.discover[1].port_name = "";
  EXPECT_EQ(PodToTarget(pod, config.discover[1], config).target->target.port, 6379);
  KubernetesDiscoverRule redis = config.discover[1];
  redis.engine = Engine::kRedis;
  EXPECT_EQ(PodToTarget(pod, redis, config).target->target.port, 6379);
  KubernetesDiscoverRule cluster = config.discover[1];
  cluster.engine = Engine::kRedisCluster;
  EXPECT_EQ(PodToTarget(pod, cluster, config).target->target.port, 6379);
}

TEST(PodToTargetTest, OnlyRunningPodsWithIpAndClusterLabel) {
  const KubernetesConfig config = Config();
  PodInfo pending = Pod("p", KbLabels("c", "mysql"));
  pending.phase = "Pending";
  EXPECT_EQ(PodToTarget(pending, config.discover[0], config).skip_reason, "phase Pending");
  PodInfo failed = pending;
  failed.phase = "Failed";
  EXPECT_FALSE(PodToTarget(failed, config.discover[0], config).target.has_value());
  PodInfo succeeded = pending;
  succeeded.phase = "Succeeded";
  EXPECT_FALSE(PodToTarget(succeeded, config.discover[0], config).target.has_value());
  PodInfo unknown = pending;
  unknown.phase = "";
  EXPECT_EQ(PodToTarget(unknown, config.discover[0], config).skip_reason, "phase unknown");

  PodInfo no_ip = Pod("p", KbLabels("c", "mysql"), "");
  PodMapping m = PodToTarget(no_ip, config.discover[0], config);
  EXPECT_FALSE(m.target.has_value());
  EXPECT_EQ(m.skip_reason, "no pod IP yet");

  PodInfo no_cluster = Pod("p", {{"apps.kubeblocks.io/component-name", "mysql"}});
  m = PodToTarget(no_cluster, config.discover[0], config);
  EXPECT_FALSE(m.target.has_value());
  EXPECT_THAT(m.skip_reason, HasSubstr("no label app.kubernetes.io/instance"));
}

TEST(PodToTargetTest, NotReadyPodIsStillATarget) {
  const KubernetesConfig config = Config();
  PodInfo pod = Pod("p", KbLabels("c", "mysql", "primary"));
  pod.ready = false;
  PodMapping m = PodToTarget(pod, config.discover[0], config);
  ASSERT_TRUE(m.target.has_value());
  EXPECT_EQ(m.target->target.pod_ready, false);
  // A terminating pod that still runs is probed until it is gone.
  pod.deleting = true;
  EXPECT_TRUE(PodToTarget(pod, config.discover[0], config).target.has_value());
}

TEST(PodToTargetTest, ComponentDefaultsToEngineName) {
  const KubernetesConfig config = Config();
  const Target t =
      PodToTarget(Pod("p", {{"app.kubernetes.io/instance", "c"}}), config.discover[1], config)
          .target->target;
  EXPECT_EQ(t.unit.component, "redis-cluster");
  EXPECT_EQ(t.engine, Engine::kRedisCluster);
}

TEST(PodStoreTest, GroupingKeys) {
  // Two MySQL clusters in one namespace, and a Redis Cluster whose shards are
  // separate KubeBlocks components: all shards share db_cluster "cache", which
  // is what the cluster-meet check groups members by.
  const KubernetesConfig config = Config();
  PodStore store(&config, {0, 1});
  store.Replace(0, {Pod("orders-mysql-0", KbLabels("orders", "mysql", "primary"), "10.0.0.1"),
                    Pod("orders-mysql-1", KbLabels("orders", "mysql", "secondary"), "10.0.0.2"),
                    Pod("users-mysql-0", KbLabels("users", "mysql", "primary"), "10.0.0.3")});
  store.Replace(1, {Pod("cache-shard-abc-0", KbLabels("cache", "shard-abc"), "10.0.1.1"),
                    Pod("cache-shard-abc-1", KbLabels("cache", "shard-abc"), "10.0.1.2"),
                    Pod("cache-shard-xyz-0", KbLabels("cache", "shard-xyz"), "10.0.1.3")});
  std::map<UnitId, std::vector<std::string>> units;
  std::map<std::string, std::vector<std::string>> by_db_cluster;
  for (const DiscoveredTarget& t : store.Targets()) {
    units[t.target.unit].push_back(t.target.pod);
    by_db_cluster[t.target.unit.ns + "/" + t.target.unit.db_cluster].push_back(t.target.pod);
  }
  EXPECT_THAT(units[(UnitId{"shop", "orders", "mysql"})],
              ElementsAre("orders-mysql-0", "orders-mysql-1"));
  EXPECT_THAT(units[(UnitId{"shop", "users", "mysql"})], ElementsAre("users-mysql-0"));
  EXPECT_THAT(units[(UnitId{"shop", "cache", "shard-abc"})],
              ElementsAre("cache-shard-abc-0", "cache-shard-abc-1"));
  EXPECT_THAT(units[(UnitId{"shop", "cache", "shard-xyz"})], ElementsAre("cache-shard-xyz-0"));
  EXPECT_EQ(units.size(), 4u);
  EXPECT_THAT(by_db_cluster["shop/cache"],
              ElementsAre("cache-shard-abc-0", "cache-shard-abc-1", "cache-shard-xyz-0"));
}

TEST(PodStoreTest, UpsertRemoveReplace) {
  const KubernetesConfig config = Config();
  PodStore store(&config, {0});
  EXPECT_TRUE(store.Targets().empty());
  EXPECT_FALSE(store.Upsert(0, Pod("a", KbLabels("c", "mysql", "primary"))).has_value());
  PodInfo pending = Pod("b", KbLabels("c", "mysql"), "");
  pending.phase = "Pending";
  store.Upsert(0, pending);
  EXPECT_EQ(store.PodCount(0), 2u);
  ASSERT_EQ(store.Targets().size(), 1u);  // b is known but not a target yet.

  PodInfo running = Pod("b", KbLabels("c", "mysql", "secondary"), "10.0.0.9");
  std::optional<PodInfo> before = store.Upsert(0, running);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->phase, "Pending");
  ASSERT_EQ(store.Targets().size(), 2u);
  EXPECT_EQ(store.Targets()[1].target.host, "10.0.0.9");

  EXPECT_TRUE(store.Remove(0, "shop/a").has_value());
  EXPECT_FALSE(store.Remove(0, "shop/a").has_value());
  ASSERT_EQ(store.Targets().size(), 1u);
  EXPECT_EQ(store.Targets()[0].target.pod, "b");

  std::map<std::string, PodInfo> old = store.Replace(0, {Pod("z", KbLabels("c", "mysql"))});
  EXPECT_EQ(old.size(), 1u);
  EXPECT_TRUE(old.contains("shop/b"));
  ASSERT_EQ(store.Targets().size(), 1u);
  EXPECT_EQ(store.Targets()[0].target.pod, "z");
}

TEST(PodStoreTest, PodSelectedByTwoStreamsIsOneTarget) {
  KubernetesConfig config = Config();
  config.discover.push_back(config.discover[0]);  // Overlapping rule.
  PodStore store(&config, {0, 2});
  store.Replace(0, {Pod("a", KbLabels("c", "mysql"))});
  store.Replace(1, {Pod("a", KbLabels("c", "mysql")), Pod("b", KbLabels("c", "mysql"))});
  ASSERT_EQ(store.Targets().size(), 2u);
  EXPECT_EQ(store.Targets()[0].target.pod, "a");
  EXPECT_EQ(store.Targets()[0].credentials, config.discover[0].credentials);
  EXPECT_EQ(store.Targets()[1].target.pod, "b");
}

TEST(CombinedDiscoveryTest, ConcatenatesAndDropsDuplicateKeys) {
  auto target = [](const std::string& ns, const std::string& pod, const std::string& host) {
    DiscoveredTarget t;
    t.target.unit = {ns, "orders", "mysql"};
    t.target.pod = pod;
    t.target.host = host;
    t.target.port = 3306;
    return t;
  };
  std::vector<std::unique_ptr<Discovery>> parts;
  parts.push_back(std::make_unique<StaticDiscovery>(std::vector<DiscoveredTarget>{
      target("", "m-0", "static-a"), target("shop", "m-1", "static-b")}));
  parts.push_back(std::make_unique<StaticDiscovery>(std::vector<DiscoveredTarget>{
      target("shop", "m-1", "k8s-b"), target("shop", "m-2", "k8s-c")}));
  CombinedDiscovery combined(std::move(parts));
  std::vector<std::string> hosts;
  for (const auto& t : combined.Targets()) hosts.push_back(t.target.host);
  EXPECT_THAT(hosts, ElementsAre("static-a", "static-b", "k8s-c"));
}

}  // namespace
}  // namespace dbtopo::kube
