// The `kubernetes:` section.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "config_sections.h"
#include "dbtopo/analysis/engines.h"

namespace dbtopo::config_detail {

RoleValues ParseRoleValues(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) Fail(node, path, "must be a mapping of label value to role");
  RoleValues values;
  for (const auto& entry : node) {
    std::string value = KeyString(entry.first, path);
    const std::string role = ScalarString(entry.second, path + "." + value);
    // MapRoleLabel compares lower-case.
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (role == "primary") {
      values[value] = Role::kPrimary;
    } else if (role == "replica") {
      values[value] = Role::kReplica;
    } else {
      Fail(entry.second, path + "." + value,
           "role must be primary or replica, got \"" + role + "\"");
    }
  }
  return values;
}

std::vector<std::string> StringList(const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence()) Fail(node, path, "must be a list of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < node.size(); ++i) {
    out.push_back(ScalarString(node[i], path + "[" + std::to_string(i) + "]"));
  }
  return out;
}

KubernetesDiscoverRule ParseDiscoverRule(const YAML::Node& node, const std::string& path,
                                         const std::string& config_file) {
  CheckKeys(node, path,
            {"engine", "label_selector", "port_name", "credentials", "sentinel_for", "tls"});
  KubernetesDiscoverRule rule;
  rule.engine = EngineValue(node, path);
  rule.sentinel_for = SentinelFor(node, path, rule.engine);
  rule.label_selector = RequiredString(node, path, "label_selector");
  ReadIfPresent(node, path, "port_name", ScalarString, &rule.port_name);
  rule.credentials =
      WithTls(ParseCredentials(node["credentials"], path + ".credentials", config_file),
              ParseTls(node, path, config_file, rule.engine));
  return rule;
}

KubernetesConfig ParseKubernetes(const YAML::Node& node, const std::string& config_file) {
  const std::string path = "kubernetes";
  CheckKeys(node, path,
            {"kubeconfig", "namespaces", "cluster_label", "component_label", "role_label",
             "role_values", "discover"});
  KubernetesConfig k8s;
  if (ReadIfPresent(node, path, "kubeconfig", ScalarString, &k8s.kubeconfig) &&
      k8s.kubeconfig.starts_with("~/")) {
    const char* home = std::getenv("HOME");
    if (home != nullptr) k8s.kubeconfig = std::string(home) + k8s.kubeconfig.substr(1);
  }
  ReadIfPresent(node, path, "namespaces", StringList, &k8s.namespaces);
  for (auto [key, field] : {std::pair{"cluster_label", &k8s.cluster_label},
                            std::pair{"component_label", &k8s.component_label},
                            std::pair{"role_label", &k8s.role_label}}) {
    if (node[key]) *field = RequiredString(node, path, key);
  }
  if (node["role_values"])
    k8s.role_values = ParseRoleValues(node["role_values"], path + ".role_values");
  const YAML::Node discover = node["discover"];
  if (!discover || !discover.IsSequence() || discover.size() == 0) {
    Fail(discover ? discover : node, path + ".discover", "must be a non-empty list");
  }
  for (std::size_t i = 0; i < discover.size(); ++i) {
    k8s.discover.push_back(
        ParseDiscoverRule(discover[i], path + ".discover[" + std::to_string(i) + "]", config_file));
  }
  return k8s;
}

}  // namespace dbtopo::config_detail
