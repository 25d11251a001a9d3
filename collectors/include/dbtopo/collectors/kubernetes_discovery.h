#pragma once

// Kubernetes pod discovery: list + watch pods, turn Running pods with an IP
// into Targets. Config key `kubernetes:` (see README.md).

#include <memory>
#include <string>
#include <vector>

#include "dbtopo/collectors/discovery.h"

namespace dbtopo {

/// `kubernetes.discover[]`: which pods to watch for one engine.
struct KubernetesDiscoverRule {
  Engine engine = Engine::kMysql;
  /// Label selector, Kubernetes syntax ("a=b,c!=d,e in (f,g),!h").
  std::string label_selector;
  /// Name of the container port giving the target port; "" or not found =>
  /// the engine's default port (3306, 6379).
  std::string port_name;
  std::shared_ptr<const Credentials> credentials;
};

/// `kubernetes:`.
struct KubernetesConfig {
  /// Path to a kubeconfig; "" => $KUBECONFIG, else in-cluster service account.
  std::string kubeconfig;
  /// Namespaces to watch; empty => all namespaces.
  std::vector<std::string> namespaces;
  std::string cluster_label = "app.kubernetes.io/instance";
  std::string component_label = "apps.kubeblocks.io/component-name";
  std::string role_label = "kubeblocks.io/role";
  RoleValues role_values = DefaultRoleValues();
  std::vector<KubernetesDiscoverRule> discover;
};

}  // namespace dbtopo
