#pragma once

// The pods each watch stream currently sees, and the Targets they map to.
//
// A stream is one list+watch: one `kubernetes.discover[]` rule in one
// namespace (or in all). PodStore keeps the last good pod set of every stream
// (a failing stream keeps its pods) and rebuilds the target list on every
// change, so Targets() is a copy under a mutex.

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dbtopo/base/mutex.h"
#include "dbtopo/collectors/discovery.h"
#include "dbtopo/collectors/kubernetes_discovery.h"
#include "kubernetes/pod_parser.h"

namespace dbtopo::kube {

/// A pod mapped through a rule: the target, or why the pod is not one.
struct PodMapping {
  std::optional<DiscoveredTarget> target;
  /// Why there is no target ("phase Pending", "no pod IP yet", "no label
  /// app.kubernetes.io/instance"); "" when there is one.
  std::string skip_reason;
  /// Non-fatal problem worth a warning (port_name not found); "" when none.
  std::string warning;
};

/// Maps a pod to a Target:
///   unit = (metadata.namespace, labels[cluster_label], labels[component_label]
///           or the engine name when the label is absent),
///   pod = metadata.name, engine and credentials from `rule`,
///   host = status.podIP, port = the containerPort named rule.port_name (else
///   Traits(engine).default_port), labels = pod labels, role label mapped with role_values,
///   pod_ready = the Ready condition.
/// Only pods in phase Running with a pod IP and a cluster label are targets;
/// a Running pod that is not Ready still is (pod_ready = false).
PodMapping PodToTarget(const PodInfo& pod, const KubernetesDiscoverRule& rule,
                       const KubernetesConfig& config);

class PodStore {
 public:
  /// `stream_rules[i]` is the index in config.discover of stream i's rule.
  /// `config` must outlive the store.
  PodStore(const KubernetesConfig* config, std::vector<std::size_t> stream_rules);

  /// Replaces stream `stream`'s pods (after a list). Returns the previous set.
  std::map<std::string, PodInfo> Replace(std::size_t stream, std::vector<PodInfo> pods);
  /// Adds or replaces one pod (by namespace/name). Returns the previous state.
  std::optional<PodInfo> Upsert(std::size_t stream, PodInfo pod);
  /// Removes a pod by namespace/name. Returns it when it was known.
  std::optional<PodInfo> Remove(std::size_t stream, const std::string& pod_key);

  /// Current targets, in stream order then pod key order. A pod selected by
  /// several streams is yielded once (by the first). Cheap copy.
  std::vector<DiscoveredTarget> Targets() const;
  /// Pods known to `stream`.
  std::size_t PodCount(std::size_t stream) const;

 private:
  void RebuildLocked() DBTOPO_REQUIRES(mutex_);

  const KubernetesConfig* config_;
  std::vector<std::size_t> stream_rules_;
  mutable Mutex mutex_;
  // Per stream, by "ns/name".
  std::vector<std::map<std::string, PodInfo>> pods_ DBTOPO_GUARDED_BY(mutex_);
  std::vector<DiscoveredTarget> targets_ DBTOPO_GUARDED_BY(mutex_);
};

}  // namespace dbtopo::kube
