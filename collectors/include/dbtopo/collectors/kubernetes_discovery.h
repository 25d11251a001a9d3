#pragma once

// Kubernetes pod discovery: list + watch pods, turn Running pods with an IP
// into Targets. Config key `kubernetes:` (see README.md).

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dbtopo/base/log.h"
#include "dbtopo/base/result.h"
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
  /// `redis-sentinel` rules: the db_cluster whose Redis unit these sentinels
  /// watch (Target::sentinel_for); "" to tie by the master's address.
  std::string sentinel_for;
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

/// Knobs of the list/watch loop; the defaults suit a real cluster.
struct KubernetesDiscoveryOptions {
  /// First retry delay after a failed list or a broken watch; doubles per
  /// consecutive failure up to max_backoff; reset by a successful list.
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{30000};
  /// `timeoutSeconds` asked of the API server per watch; the watch is then
  /// resumed from the last resourceVersion (no re-list).
  std::chrono::seconds watch_timeout{300};
  /// Longest wait for data on a list (whole request) and, plus
  /// watch_timeout, on a watch.
  std::chrono::milliseconds request_timeout{30000};
  /// `limit` of one list page; later pages follow `metadata.continue`.
  int list_page_size = 500;
  /// TCP/TLS connect timeout.
  std::chrono::milliseconds connect_timeout{5000};
  /// Where log lines go ("kubernetes list ok", with key/value fields; never
  /// a token or key); null => log::Write.
  log::Sink log;
};

/// Discovery from the Kubernetes API: for every `discover[]` rule and every
/// namespace in `namespaces` (or once cluster-wide when empty), a background
/// thread lists pods with the rule's label selector, then watches them
/// (`watch=1&resourceVersion=..&allowWatchBookmarks=true`), applying ADDED /
/// MODIFIED / DELETED events. It re-lists on 410 Gone and on a broken stream,
/// with exponential backoff; on any API error it keeps the last good pods.
///
/// Targets: pods in phase Running with a pod IP (see PodToTarget in
/// collectors/src/kubernetes/pod_store.h): unit = (namespace,
/// labels[cluster_label], labels[component_label]), host = pod IP, port = the
/// container port named port_name (else 3306 / 6379), pod_ready = Ready
/// condition (a not-Ready pod is still probed).
class KubernetesDiscovery : public Discovery {
 public:
  class Impl;
  explicit KubernetesDiscovery(std::unique_ptr<Impl> impl);
  /// Stops the background threads (Stop()).
  ~KubernetesDiscovery() override;

  /// The current targets (a copy under a mutex; never blocks on the API).
  std::vector<DiscoveredTarget> Targets() override;

  /// Waits until every stream has listed once, or `timeout` passes. Returns
  /// true when all have.
  bool WaitForSync(std::chrono::milliseconds timeout);

  /// Stops watching (aborts requests in flight) and joins the threads.
  /// Targets() keeps returning the last set. Idempotent.
  void Stop();

  /// "https://10.96.0.1:443 (in-cluster service account ..., ...)"; no secrets.
  std::string Describe() const;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Checks `config` without contacting the API server: every label selector
/// parses, and the kubeconfig resolves (file, context, cluster, user, CA and
/// client certificate readable and well-formed). The error names the key
/// ("kubernetes.discover[0].label_selector: ...") or the kubeconfig file and
/// field.
Status CheckKubernetesConfig(const KubernetesConfig& config);

/// Checks `config` like CheckKubernetesConfig and starts the background
/// list/watch threads; the same error when the config is unusable.
Result<std::unique_ptr<KubernetesDiscovery>> MakeKubernetesDiscovery(
    const KubernetesConfig& config, const KubernetesDiscoveryOptions& options);

}  // namespace dbtopo
