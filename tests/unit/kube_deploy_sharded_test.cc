// Checks deploy/sharded/: the kustomization replaces the base Deployment with
// the generated StatefulSet of shards; its pods are the base's (same labels,
// so the base Service, ServiceMonitor and PodDisruptionBudget select them),
// take their shard from their name and the StatefulSet, and may read that
// StatefulSet and nothing else. Labelled `deploy` in ctest.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "deploy_manifests.h"

namespace dbtopo {
namespace {

const fs::path kSharded = kDeploy / "sharded";

TEST(DeployShardedTest, KustomizationSwapsTheDeploymentForTheStatefulSet) {
  const YAML::Node k = YAML::LoadFile((kSharded / "kustomization.yaml").string());
  std::set<std::string> listed;
  for (const auto& r : k["resources"]) {
    listed.insert(r.as<std::string>());
    EXPECT_TRUE(fs::exists(kSharded / r.as<std::string>())) << r.as<std::string>();
  }
  EXPECT_TRUE(listed.contains("../")) << "the base";
  for (const auto& entry : fs::directory_iterator(kSharded)) {
    const std::string name = entry.path().filename().string();
    if (name != "kustomization.yaml") {
      EXPECT_TRUE(listed.contains(name)) << name;
    }
  }
  ASSERT_EQ(k["patches"].size(), 1u);
  const YAML::Node patch = YAML::Load(k["patches"][0]["patch"].as<std::string>(""));
  EXPECT_EQ(patch["$patch"].as<std::string>(""), "delete");
  EXPECT_EQ(patch["kind"].as<std::string>(""), "Deployment");
  EXPECT_EQ(patch["metadata"]["name"].as<std::string>(""), "dbtopo-exporter");
}

TEST(DeployShardedTest, StatefulSetPodsAreTheBasePodsWithShardFlags) {
  const std::vector<Doc> base = LoadAll(kDeploy);
  const std::vector<Doc> sharded = LoadAll(kSharded);
  const Doc* deployment = Find(base, "Deployment", "dbtopo-exporter");
  const Doc* statefulset = Find(sharded, "StatefulSet", "dbtopo-exporter");
  const Doc* headless = Find(sharded, "Service", "dbtopo-exporter-shards");
  ASSERT_NE(deployment, nullptr);
  ASSERT_NE(statefulset, nullptr);
  ASSERT_NE(headless, nullptr);
  const YAML::Node spec = statefulset->node["spec"];
  EXPECT_EQ(spec["serviceName"].as<std::string>(""), headless->Name());
  EXPECT_EQ(headless->node["spec"]["clusterIP"].as<std::string>(""), "None");
  const auto pod_labels = StringMap(spec["template"]["metadata"]["labels"]);
  EXPECT_EQ(pod_labels, StringMap(deployment->node["spec"]["template"]["metadata"]["labels"]));
  EXPECT_TRUE(IsSubset(StringMap(headless->node["spec"]["selector"]), pod_labels));

  const YAML::Node c = spec["template"]["spec"]["containers"][0];
  std::set<std::string> args;
  for (const auto& a : c["args"]) args.insert(a.as<std::string>());
  EXPECT_TRUE(args.contains("--shard=auto"));
  EXPECT_TRUE(args.contains("--total-shards=auto"));
  std::map<std::string, std::string> env;
  for (const auto& e : c["env"]) {
    env[e["name"].as<std::string>("")] =
        e["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>("");
  }
  EXPECT_EQ(env["POD_NAME"], "metadata.name") << "--shard=auto reads the ordinal from it";
  EXPECT_EQ(env["POD_NAMESPACE"], "metadata.namespace");
}

TEST(DeployShardedTest, RoleReadsOnlyTheExportersStatefulSet) {
  const std::vector<Doc> sharded = LoadAll(kSharded);
  const Doc* role = Find(sharded, "Role", "dbtopo-exporter-shards");
  const Doc* binding = Find(sharded, "RoleBinding", "dbtopo-exporter-shards");
  ASSERT_NE(role, nullptr);
  ASSERT_NE(binding, nullptr);
  ASSERT_EQ(role->node["rules"].size(), 1u);
  const YAML::Node rule = role->node["rules"][0];
  EXPECT_EQ(rule["apiGroups"][0].as<std::string>(""), "apps");
  EXPECT_EQ(rule["resources"][0].as<std::string>(""), "statefulsets");
  EXPECT_EQ(rule["resourceNames"][0].as<std::string>(""), "dbtopo-exporter");
  ASSERT_EQ(rule["verbs"].size(), 1u);
  EXPECT_EQ(rule["verbs"][0].as<std::string>(""), "get");
  EXPECT_EQ(binding->node["roleRef"]["name"].as<std::string>(""), role->Name());
  EXPECT_EQ(binding->node["subjects"][0]["name"].as<std::string>(""), "dbtopo-exporter");
}

}  // namespace
}  // namespace dbtopo
