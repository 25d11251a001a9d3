#include "sharding.h"

#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

namespace dbtopo {
namespace {

// A non-negative decimal that fits an int; std::nullopt otherwise.
std::optional<int> ParseCount(const std::string& text) {
  int value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 0) return std::nullopt;
  return value;
}

// One flag: "" (not given, `fallback`), "auto" (std::nullopt) or a count.
Result<std::optional<int>> ParseOne(const std::string& flag, const std::string& value,
                                    int fallback) {
  if (value.empty()) return std::optional<int>(fallback);
  if (value == "auto") return std::optional<int>();
  if (auto count = ParseCount(value)) return count;
  return Error{"invalid " + flag + " \"" + value + "\" (want a non-negative integer or auto)"};
}

}  // namespace

Result<ShardFlags> ParseShardFlags(const std::string& shard, const std::string& total) {
  ShardFlags flags;
  flags.sharded = !shard.empty() || !total.empty();
  auto index = ParseOne("--shard", shard, 0);
  if (!index) return index.error();
  auto count = ParseOne("--total-shards", total, 1);
  if (!count) return count.error();
  flags.index = *index;
  flags.total = *count;
  if (flags.total && *flags.total < 1) return Error{"--total-shards must be at least 1"};
  if (flags.index && flags.total && *flags.index >= *flags.total) {
    return Error{"--shard=" + std::to_string(*flags.index) + " is not below --total-shards=" +
                 std::to_string(*flags.total) + " (shards count from 0)"};
  }
  return flags;
}

std::optional<int> PodOrdinal(const std::string& pod_name) {
  const auto dash = pod_name.rfind('-');
  if (dash == std::string::npos || dash == 0) return std::nullopt;
  return ParseCount(pod_name.substr(dash + 1));
}

std::optional<int> StatefulSetReplicas(const std::string& json) {
  const nlohmann::json object = nlohmann::json::parse(json, nullptr, false);
  // Every field is checked for its type first: value() and get() throw on a
  // field of another type, and this body comes from outside.
  if (!object.is_object()) return std::nullopt;
  const auto kind = object.find("kind");
  if (kind == object.end() || !kind->is_string() || *kind != "StatefulSet") return std::nullopt;
  const auto spec = object.find("spec");
  if (spec == object.end() || !spec->is_object()) return std::nullopt;
  const auto replicas = spec->find("replicas");
  if (replicas == spec->end() || replicas->is_null()) return 1;
  if (!replicas->is_number_integer() || replicas->get<long long>() < 0 ||
      replicas->get<long long>() > 1000000) {
    return std::nullopt;
  }
  return replicas->get<int>();
}

Result<std::unique_ptr<ShardKeeper>> ShardKeeper::Make(const ShardFlags& flags,
                                                       const std::string& pod_name,
                                                       std::shared_ptr<KubeApi> kube,
                                                       const std::string& ns,
                                                       ShardedDiscovery* discovery, Log log,
                                                       std::chrono::milliseconds refresh) {
  std::unique_ptr<ShardKeeper> keeper(new ShardKeeper(discovery, std::move(log), refresh));
  ShardAssignment assignment{flags.index.value_or(0), flags.total.value_or(1)};
  if (!flags.index) {
    const auto ordinal = PodOrdinal(pod_name);
    if (!ordinal) {
      return Error{"--shard=auto: pod name \"" + pod_name +
                   "\" has no StatefulSet ordinal (want <name>-<N>; set POD_NAME)"};
    }
    assignment.index = *ordinal;
  }
  if (!flags.total) {
    if (kube == nullptr) {
      return Error{
          "--total-shards=auto reads the StatefulSet from the Kubernetes API: configure "
          "kubernetes: in the config"};
    }
    const auto ordinal = PodOrdinal(pod_name);
    if (!ordinal) {
      return Error{"--total-shards=auto: pod name \"" + pod_name +
                   "\" is not a StatefulSet pod (want <name>-<N>; set POD_NAME)"};
    }
    const std::string statefulset = pod_name.substr(0, pod_name.rfind('-'));
    keeper->kube_ = std::move(kube);
    keeper->statefulset_path_ = "/apis/apps/v1/namespaces/" + ns + "/statefulsets/" + statefulset;
    auto replicas = keeper->ReadReplicas();
    if (!replicas) return Error{"--total-shards=auto: " + replicas.error().message};
    assignment.total = *replicas;
  }
  if (assignment.index >= assignment.total) {
    return Error{"shard " + std::to_string(assignment.index) + " is not below the " +
                 std::to_string(assignment.total) + " shards"};
  }
  discovery->Set(assignment);
  if (keeper->kube_ != nullptr) keeper->thread_ = std::thread([k = keeper.get()] { k->Follow(); });
  return keeper;
}

ShardKeeper::~ShardKeeper() {
  {
    MutexLock lock(&mutex_);
    stopping_ = true;
  }
  stop_cv_.NotifyAll();
  if (thread_.joinable()) thread_.join();
}

Result<int> ShardKeeper::ReadReplicas() const {
  const KubeApi::Response response = kube_->Get(statefulset_path_);
  if (response.status == 0) return Error{"GET " + statefulset_path_ + ": " + response.error};
  if (response.status != 200) {
    return Error{"GET " + statefulset_path_ + ": HTTP " + std::to_string(response.status)};
  }
  const auto replicas = StatefulSetReplicas(response.body);
  if (!replicas)
    return Error{"GET " + statefulset_path_ + ": no StatefulSet spec.replicas in the answer"};
  if (*replicas < 1) return Error{statefulset_path_ + " has 0 replicas"};
  return *replicas;
}

void ShardKeeper::Follow() {
  MutexLock lock(&mutex_);
  while (
      !stop_cv_.WaitFor(lock, refresh_, [this]() DBTOPO_REQUIRES(mutex_) { return stopping_; })) {
    lock.Unlock();
    const auto replicas = ReadReplicas();
    const ShardAssignment was = discovery_->Get();
    if (!replicas) {
      log::To(log_, log::Level::kWarn, "cannot re-read the shard count; keeping the current one",
              {{"err", replicas.error().message}, {"total", std::to_string(was.total)}});
    } else if (const int total = *replicas; total != was.total) {
      if (was.index >= total) {
        log::To(log_, log::Level::kWarn,
                "this shard is beyond the StatefulSet's replicas; keeping the current count",
                {{"shard", std::to_string(was.index)}, {"replicas", std::to_string(total)}});
      } else {
        discovery_->Set({was.index, total});
        log::To(log_, log::Level::kInfo, "shard count changed",
                {{"shard", std::to_string(was.index)},
                 {"from", std::to_string(was.total)},
                 {"to", std::to_string(total)}});
      }
    }
    lock.Lock();
  }
}

}  // namespace dbtopo
