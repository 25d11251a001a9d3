#pragma once

// --shard / --total-shards: which part of the units this process watches.
//
// Either value may be "auto". `--shard=auto` takes the StatefulSet ordinal
// from this pod's name (POD_NAME, else the hostname: "dbtopo-exporter-2" is
// shard 2). `--total-shards=auto` reads `spec.replicas` of the StatefulSet
// owning this pod (its name is the pod's without the ordinal; namespace
// POD_NAMESPACE, else the kubeconfig's) from the Kubernetes API, and again
// every `kStatefulSetRefresh`, so that scaling the StatefulSet re-shards
// without restarting the pods that stay.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "dbtopo/base/log.h"
#include "dbtopo/base/mutex.h"
#include "dbtopo/base/result.h"
#include "dbtopo/collectors/shard.h"
#include "dbtopo/remediation/remediator.h"

namespace dbtopo {

/// The flags as given: a number, or std::nullopt for "auto".
struct ShardFlags {
  std::optional<int> index;
  std::optional<int> total;
  /// False when neither flag was given (one process watches everything).
  bool sharded = false;
};

/// Parses `--shard` and `--total-shards` ("" = not given; a number; "auto").
/// Errors name the flag and the value: not a number, negative, total < 1,
/// shard >= total.
Result<ShardFlags> ParseShardFlags(const std::string& shard, const std::string& total);

/// The ordinal of a StatefulSet pod name ("dbtopo-exporter-2" -> 2);
/// std::nullopt when the name does not end in "-<digits>".
std::optional<int> PodOrdinal(const std::string& pod_name);

/// `spec.replicas` of a StatefulSet object (JSON); std::nullopt when the body
/// is not JSON, lacks the field or it is not a non-negative integer. A
/// StatefulSet without `spec.replicas` has 1 replica (the API default).
std::optional<int> StatefulSetReplicas(const std::string& json);

/// Holds this process's assignment and, for `--total-shards=auto`, follows
/// the StatefulSet's replica count in a background thread.
class ShardKeeper {
 public:
  static constexpr std::chrono::seconds kStatefulSetRefresh{30};
  using Log = log::Sink;

  /// Resolves the "auto" values. `pod_name`: this pod's name; `kube` may be
  /// null unless `--total-shards=auto`; `ns`: the StatefulSet's namespace.
  /// The error says which value cannot be resolved and why.
  static Result<std::unique_ptr<ShardKeeper>> Make(
      const ShardFlags& flags, const std::string& pod_name, std::shared_ptr<KubeApi> kube,
      const std::string& ns, ShardedDiscovery* discovery, Log log,
      std::chrono::milliseconds refresh = kStatefulSetRefresh);
  ~ShardKeeper();

  ShardAssignment Current() const { return discovery_->Get(); }

 private:
  ShardKeeper(ShardedDiscovery* discovery, Log log, std::chrono::milliseconds refresh)
      : discovery_(discovery), log_(std::move(log)), refresh_(refresh) {}
  // GET the StatefulSet; its replica count or an error message.
  Result<int> ReadReplicas() const;
  void Follow();

  ShardedDiscovery* const discovery_;
  const Log log_;
  const std::chrono::milliseconds refresh_;
  std::shared_ptr<KubeApi> kube_;
  std::string statefulset_path_;
  Mutex mutex_;
  CondVar stop_cv_;
  bool stopping_ DBTOPO_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace dbtopo
