#pragma once

// What a KubernetesDiscovery runs: one list+watch stream per (discover rule,
// namespace), resolved from the config with the API client, and how a
// failed request is explained in the log.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dbtopo/base/log.h"
#include "dbtopo/collectors/kubernetes_discovery.h"
#include "dbtopo/kube/kube_client.h"
#include "kubernetes/label_selector.h"

namespace dbtopo::kube {

// One list+watch: a rule in a namespace ("" = all namespaces).
struct StreamSpec {
  std::size_t rule = 0;
  std::string ns;
  LabelSelector selector;
  std::string base_path;       // /api/v1/pods or /api/v1/namespaces/<ns>/pods
  std::string selector_param;  // "&labelSelector=..." or ""
};

// Exponential backoff: initial, 2x per failure, capped.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max) {}
  std::chrono::milliseconds Next() {
    current_ = current_.count() == 0 ? initial_ : std::min(current_ * 2, max_);
    return current_;
  }
  void Reset() { current_ = std::chrono::milliseconds(0); }

 private:
  std::chrono::milliseconds initial_, max_, current_{0};
};

// Why a list or watch failed. `http` problems (the API server answered with
// an error status) are logged with their own message; transport and parse
// problems as "list failed" / "watch broken" with `detail` as the reason.
struct Problem {
  bool http = false;
  log::Level level = log::Level::kWarn;
  std::string msg;
  std::string detail;
};

/// The discover rule of each stream, in stream order.
std::vector<std::size_t> StreamRules(const std::vector<StreamSpec>& streams);

// The streams and the API client of a config.
struct Prepared {
  std::vector<StreamSpec> streams;
  std::unique_ptr<KubeClient> client;
};

/// Checks `config` (rules, selectors, namespaces, kubeconfig) and returns
/// its streams and the API client. With `connect_offline_only`, an
/// in-cluster config is not resolved when the process is not in a pod (the
/// client is then null). The error names the key or kubeconfig field.
Result<Prepared> Prepare(const KubernetesConfig& config, const KubernetesDiscoveryOptions& options,
                         bool connect_offline_only);

/// The log line for an error status of the API server on `path`: 401 (the
/// token is invalidated, so a rotated one is re-read), 403 (RBAC), 404 (wrong
/// server or prefix), else the Status object's reason and message.
Problem ExplainApiError(KubeClient& client, int status, const std::string& body,
                        const std::string& path);

}  // namespace dbtopo::kube
