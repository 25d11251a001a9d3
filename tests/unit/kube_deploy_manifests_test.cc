// Checks deploy/*.yaml: every document parses and has a known kind and
// apiVersion with its required fields; the exporter's manifests reference
// each other consistently (ServiceAccount, RBAC, ConfigMap, Secrets, ports,
// probes, Service, ServiceMonitor, kustomization); and the config embedded in
// the ConfigMap passes `dbtopo_exporter --check-config` with the password
// files it names faked in a temp dir. Labelled `deploy` in ctest.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "deploy_manifests.h"

namespace dbtopo {
namespace {

using ::testing::HasSubstr;

// Runs a shell command; returns exit status and combined output.
std::pair<int, std::string> RunShell(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

class DeployManifestsTest : public ::testing::Test {
 protected:
  void SetUp() override { docs_ = LoadAll(kDeploy); }
  const Doc& Must(const std::string& kind, const std::string& name) {
    const Doc* d = Find(docs_, kind, name);
    if (d == nullptr) {
      ADD_FAILURE() << "no " << kind << " " << name << " in deploy/";
      static const Doc kEmpty{"", 0, YAML::Node(YAML::NodeType::Map)};
      return kEmpty;
    }
    return *d;
  }
  std::vector<Doc> docs_;
};

constexpr char kName[] = "dbtopo-exporter";
constexpr char kNamespace[] = "dbtopo";

TEST_F(DeployManifestsTest, EveryDocumentHasKnownKindAndRequiredFields) {
  const std::map<std::string, std::string> api_versions = {
      {"Namespace", "v1"},
      {"ServiceAccount", "v1"},
      {"ConfigMap", "v1"},
      {"Service", "v1"},
      {"Deployment", "apps/v1"},
      {"ClusterRole", "rbac.authorization.k8s.io/v1"},
      {"ClusterRoleBinding", "rbac.authorization.k8s.io/v1"},
      {"ServiceMonitor", "monitoring.coreos.com/v1"},
      {"PrometheusRule", "monitoring.coreos.com/v1"},
      {"PodDisruptionBudget", "policy/v1"},
  };
  ASSERT_GE(docs_.size(), 10u);
  for (const Doc& d : docs_) {
    SCOPED_TRACE(d.Where());
    ASSERT_TRUE(d.node.IsMap());
    auto it = api_versions.find(d.Kind());
    ASSERT_NE(it, api_versions.end()) << "unexpected kind \"" << d.Kind() << "\"";
    EXPECT_EQ(d.node["apiVersion"].as<std::string>(""), it->second);
    EXPECT_FALSE(d.Name().empty()) << "metadata.name";
    const bool cluster_scoped =
        d.Kind() == "Namespace" || d.Kind() == "ClusterRole" || d.Kind() == "ClusterRoleBinding";
    if (cluster_scoped) {
      EXPECT_FALSE(d.node["metadata"]["namespace"]) << "cluster-scoped object with a namespace";
    }
    // Everything of ours is labelled for `kubectl get -l`.
    EXPECT_EQ(d.node["metadata"]["labels"]["app.kubernetes.io/part-of"].as<std::string>(""),
              "dbtopo-exporter");
    if (d.Kind() == "ConfigMap") {
      EXPECT_TRUE(d.node["data"].IsMap());
    }
    if (d.Kind() == "PrometheusRule") {
      EXPECT_TRUE(d.node["spec"]["groups"].IsSequence());
    }
  }
}

TEST_F(DeployManifestsTest, KustomizationListsEveryManifest) {
  const YAML::Node k = YAML::LoadFile((kDeploy / "kustomization.yaml").string());
  EXPECT_EQ(k["kind"].as<std::string>(""), "Kustomization");
  EXPECT_EQ(k["namespace"].as<std::string>(""), kNamespace);
  std::set<std::string> listed;
  for (const auto& r : k["resources"]) {
    listed.insert(r.as<std::string>());
    EXPECT_TRUE(fs::exists(kDeploy / r.as<std::string>())) << r.as<std::string>();
  }
  for (const auto& entry : fs::directory_iterator(kDeploy)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".yaml" && name != "kustomization.yaml") {
      EXPECT_TRUE(listed.contains(name)) << name << " missing from kustomization.yaml";
    }
  }
}

TEST_F(DeployManifestsTest, RbacGrantsDiscoveryAndRemediation) {
  const Doc& sa = Must("ServiceAccount", kName);
  EXPECT_EQ(sa.node["metadata"]["namespace"].as<std::string>(""), kNamespace);
  const Doc& role = Must("ClusterRole", kName);
  std::map<std::string, std::set<std::string>> verbs;  // "group/resource" -> verbs
  for (const auto& rule : role.node["rules"]) {
    for (const auto& group : rule["apiGroups"]) {
      for (const auto& resource : rule["resources"]) {
        for (const auto& verb : rule["verbs"]) {
          verbs[group.as<std::string>() + "/" + resource.as<std::string>()].insert(
              verb.as<std::string>());
        }
      }
    }
  }
  EXPECT_EQ(verbs["/pods"], (std::set<std::string>{"get", "list", "watch"}));
  EXPECT_EQ(verbs["operations.kubeblocks.io/opsrequests"],
            (std::set<std::string>{"create", "get"}));
  // Leader election among replicas.
  EXPECT_EQ(verbs["coordination.k8s.io/leases"],
            (std::set<std::string>{"get", "create", "update"}));
  EXPECT_EQ(verbs.size(), 3u) << "least privilege: nothing else";

  const Doc& binding = Must("ClusterRoleBinding", kName);
  EXPECT_EQ(binding.node["roleRef"]["kind"].as<std::string>(""), "ClusterRole");
  EXPECT_EQ(binding.node["roleRef"]["name"].as<std::string>(""), kName);
  EXPECT_EQ(binding.node["roleRef"]["apiGroup"].as<std::string>(""), "rbac.authorization.k8s.io");
  ASSERT_EQ(binding.node["subjects"].size(), 1u);
  const YAML::Node subject = binding.node["subjects"][0];
  EXPECT_EQ(subject["kind"].as<std::string>(""), "ServiceAccount");
  EXPECT_EQ(subject["name"].as<std::string>(""), sa.Name());
  EXPECT_EQ(subject["namespace"].as<std::string>(""), kNamespace);
}

TEST_F(DeployManifestsTest, DeploymentServiceAndServiceMonitorFitTogether) {
  const Doc& deployment = Must("Deployment", kName);
  const YAML::Node spec = deployment.node["spec"];
  // Two replicas (one remediates, by Lease), rolled one at a time, and a
  // PodDisruptionBudget that keeps one through node drains.
  EXPECT_EQ(spec["replicas"].as<int>(0), 2);
  EXPECT_EQ(spec["strategy"]["type"].as<std::string>(""), "RollingUpdate");
  EXPECT_EQ(spec["strategy"]["rollingUpdate"]["maxUnavailable"].as<int>(-1), 0);
  const Doc& pdb = Must("PodDisruptionBudget", kName);
  EXPECT_EQ(pdb.node["spec"]["minAvailable"].as<int>(0), 1);
  const auto pod_labels = StringMap(spec["template"]["metadata"]["labels"]);
  EXPECT_TRUE(IsSubset(StringMap(spec["selector"]["matchLabels"]), pod_labels))
      << "selector must match the pod template labels";
  EXPECT_TRUE(IsSubset(StringMap(pdb.node["spec"]["selector"]["matchLabels"]), pod_labels))
      << "the PodDisruptionBudget must select the exporter pods";
  const YAML::Node pod = spec["template"]["spec"];
  EXPECT_EQ(pod["serviceAccountName"].as<std::string>(""), kName);
  ASSERT_EQ(pod["containers"].size(), 1u);
  const YAML::Node c = pod["containers"][0];
  EXPECT_FALSE(c["image"].as<std::string>("").empty());

  std::set<std::string> args;
  for (const auto& a : c["args"]) args.insert(a.as<std::string>());
  EXPECT_TRUE(args.contains("--web.listen-address=:9856"));

  ASSERT_EQ(c["ports"].size(), 1u);
  EXPECT_EQ(c["ports"][0]["name"].as<std::string>(""), "metrics");
  EXPECT_EQ(c["ports"][0]["containerPort"].as<int>(0), 9856);
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"].as<std::string>(""), "/-/healthy");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["port"].as<std::string>(""), "metrics");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].as<std::string>(""), "/-/ready");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["port"].as<std::string>(""), "metrics");

  const Doc& service = Must("Service", kName);
  EXPECT_EQ(service.node["metadata"]["namespace"].as<std::string>(""), kNamespace);
  EXPECT_TRUE(IsSubset(StringMap(service.node["spec"]["selector"]), pod_labels))
      << "Service selector must match the pods";
  ASSERT_EQ(service.node["spec"]["ports"].size(), 1u);
  const YAML::Node port = service.node["spec"]["ports"][0];
  EXPECT_EQ(port["name"].as<std::string>(""), "metrics");
  EXPECT_EQ(port["port"].as<int>(0), 9856);
  EXPECT_EQ(port["targetPort"].as<std::string>(""), "metrics");

  const Doc& monitor = Must("ServiceMonitor", kName);
  EXPECT_TRUE(IsSubset(StringMap(monitor.node["spec"]["selector"]["matchLabels"]),
                       StringMap(service.node["metadata"]["labels"])))
      << "ServiceMonitor must select the Service";
  bool namespace_selected = false;
  for (const auto& ns : monitor.node["spec"]["namespaceSelector"]["matchNames"]) {
    namespace_selected |= ns.as<std::string>() == kNamespace;
  }
  EXPECT_TRUE(namespace_selected);
  ASSERT_EQ(monitor.node["spec"]["endpoints"].size(), 1u);
  const YAML::Node endpoint = monitor.node["spec"]["endpoints"][0];
  EXPECT_EQ(endpoint["port"].as<std::string>(""), "metrics");
  EXPECT_EQ(endpoint["path"].as<std::string>(""), "/metrics");
  EXPECT_TRUE(endpoint["honorLabels"].as<bool>(false))
      << "database namespace/pod labels must not become exported_*";
}

// The config file the Deployment points at, the volume it lives in, and the
// secret mounts that hold its password files.
TEST_F(DeployManifestsTest, ConfigAndPasswordFilesAreMounted) {
  const Doc& deployment = Must("Deployment", kName);
  const YAML::Node pod = deployment.node["spec"]["template"]["spec"];
  const YAML::Node c = pod["containers"][0];
  std::string config_path;
  for (const auto& a : c["args"]) {
    const std::string arg = a.as<std::string>();
    if (arg.starts_with("--config.file=")) config_path = arg.substr(14);
  }
  ASSERT_FALSE(config_path.empty()) << "--config.file";

  std::map<std::string, YAML::Node> volumes;
  for (const auto& v : pod["volumes"]) {
    volumes[v["name"].as<std::string>()] = static_cast<const YAML::Node&>(v);
  }
  std::map<std::string, YAML::Node> mounts;  // mountPath -> volume
  for (const auto& m : c["volumeMounts"]) {
    ASSERT_TRUE(volumes.contains(m["name"].as<std::string>())) << m["name"].as<std::string>();
    EXPECT_TRUE(m["readOnly"].as<bool>(false)) << m["mountPath"].as<std::string>();
    mounts[m["mountPath"].as<std::string>()] = volumes[m["name"].as<std::string>()];
  }
  // Which volume serves a path, and the file name inside it.
  auto resolve = [&](const std::string& path) -> std::pair<YAML::Node, std::string> {
    for (const auto& [dir, volume] : mounts) {
      if (path.starts_with(dir + "/")) return {volume, path.substr(dir.size() + 1)};
    }
    return {YAML::Node(), ""};
  };

  auto [config_volume, config_key] = resolve(config_path);
  ASSERT_TRUE(config_volume) << config_path << " is not under any volumeMount";
  const std::string configmap_name = config_volume["configMap"]["name"].as<std::string>("");
  const Doc& configmap = Must("ConfigMap", configmap_name);
  const std::string config_text = configmap.node["data"][config_key].as<std::string>("");
  ASSERT_FALSE(config_text.empty())
      << "ConfigMap " << configmap_name << " has no key " << config_key;

  const YAML::Node config = YAML::Load(config_text);
  std::set<std::string> password_files;
  for (const auto& rule : config["kubernetes"]["discover"]) {
    password_files.insert(rule["credentials"]["password_file"].as<std::string>(""));
  }
  ASSERT_FALSE(password_files.empty());
  for (const std::string& file : password_files) {
    SCOPED_TRACE(file);
    auto [volume, key] = resolve(file);
    ASSERT_TRUE(volume) << "password_file is not under any volumeMount";
    ASSERT_TRUE(volume["secret"]) << "password_file must come from a Secret";
    bool has_item = false;
    for (const auto& item : volume["secret"]["items"])
      has_item |= item["path"].as<std::string>() == key;
    EXPECT_TRUE(has_item) << "the Secret volume does not project " << key;
  }
}

// Writes the ConfigMap's dbtopo.yml into a temp dir with every password_file
// rewritten to a fake file there; returns the config path.
class CheckConfigTest : public DeployManifestsTest {
 protected:
  void SetUp() override {
    DeployManifestsTest::SetUp();
    dir_ = fs::temp_directory_path() / ("dbtopo-deploy-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Prepare(bool create_password_files) {
    const Doc& configmap = Must("ConfigMap", "dbtopo-exporter-config");
    std::string text = configmap.node["data"]["dbtopo.yml"].as<std::string>("");
    const YAML::Node config = YAML::Load(text);
    std::set<std::string> files;
    for (const auto& rule : config["kubernetes"]["discover"]) {
      files.insert(rule["credentials"]["password_file"].as<std::string>());
    }
    for (const std::string& file : files) {
      const fs::path fake = dir_ / fs::path(file).relative_path();
      if (create_password_files) {
        fs::create_directories(fake.parent_path());
        std::ofstream(fake) << "not-a-real-password\n";
      }
      for (std::size_t at; (at = text.find(" " + file)) != std::string::npos;) {
        text.replace(at + 1, file.size(), fake.string());
      }
    }
    const std::string path = (dir_ / "dbtopo.yml").string();
    std::ofstream(path) << text;
    return path;
  }
  std::pair<int, std::string> CheckConfig(const std::string& path, const std::string& flags = "") {
    // No kubeconfig in the environment: the in-cluster default is not checked.
    return RunShell("env -u KUBECONFIG -u KUBERNETES_SERVICE_HOST -u KUBERNETES_SERVICE_PORT " +
                    std::string(DBTOPO_EXPORTER_BIN) + " --check-config --config.file=" + path +
                    " " + flags);
  }

  fs::path dir_;
};

TEST_F(CheckConfigTest, EmbeddedConfigPassesCheckConfig) {
  auto [status, output] = CheckConfig(Prepare(/*create_password_files=*/true));
  EXPECT_EQ(status, 0) << output;
  EXPECT_THAT(output, HasSubstr("config OK"));
}

TEST_F(CheckConfigTest, MissingPasswordFileFailsCheckConfig) {
  // Proves the check above really reads the password files.
  auto [status, output] = CheckConfig(Prepare(/*create_password_files=*/false));
  EXPECT_EQ(status, 1) << output;
  EXPECT_THAT(output, HasSubstr("password_file"));
}

TEST_F(CheckConfigTest, CheckConfigChecksWhatAStartChecks) {
  // The web config's TLS files and the listen address fail --check-config as
  // they would fail a start (they used to pass it).
  const std::string config = Prepare(/*create_password_files=*/true);
  const std::string web = (dir_ / "web.yml").string();
  std::ofstream(web) << "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n";
  auto [status, output] = CheckConfig(config, "--web.config.file=" + web);
  EXPECT_EQ(status, 1) << output;
  EXPECT_THAT(output, HasSubstr("web.yml:2: tls_server_config: cert_file "));
  EXPECT_THAT(output, HasSubstr("missing.crt: cannot load the certificate"));
  std::tie(status, output) = CheckConfig(config, "--web.listen-address=localhost");
  EXPECT_EQ(status, 1) << output;
  EXPECT_THAT(output, HasSubstr("invalid --web.listen-address"));
}

}  // namespace
}  // namespace dbtopo
