#include "kubernetes/pod_store.h"

#include <set>

#include "dbtopo/analysis/engines.h"

namespace dbtopo::kube {

PodMapping PodToTarget(const PodInfo& pod, const KubernetesDiscoverRule& rule,
                       const KubernetesConfig& config) {
  PodMapping mapping;
  if (pod.phase != "Running") {
    mapping.skip_reason = "phase " + (pod.phase.empty() ? std::string("unknown") : pod.phase);
    return mapping;
  }
  if (pod.pod_ip.empty()) {
    mapping.skip_reason = "no pod IP yet";
    return mapping;
  }
  auto cluster = pod.labels.find(config.cluster_label);
  if (cluster == pod.labels.end() || cluster->second.empty()) {
    mapping.skip_reason = "no label " + config.cluster_label + " (kubernetes.cluster_label)";
    return mapping;
  }
  Target t;
  t.unit.ns = pod.ns;
  t.unit.db_cluster = cluster->second;
  auto component = pod.labels.find(config.component_label);
  t.unit.component = component != pod.labels.end() && !component->second.empty()
                         ? component->second
                         : std::string(EngineName(rule.engine));
  t.pod = pod.name;
  t.engine = rule.engine;
  t.host = pod.pod_ip;
  t.port = Traits(rule.engine).default_port;
  if (!rule.port_name.empty()) {
    bool found = false;
    for (const ContainerPort& port : pod.ports) {
      if (port.name == rule.port_name && port.port > 0) {
        t.port = port.port;
        found = true;
        break;
      }
    }
    if (!found) {
      mapping.warning =
          "no container port named \"" + rule.port_name + "\", using " + std::to_string(t.port);
    }
  }
  t.labels = pod.labels;
  auto role = pod.labels.find(config.role_label);
  if (role != pod.labels.end()) t.role_label_value = role->second;
  t.labelled_role = MapRoleLabel(t.role_label_value, config.role_values);
  t.pod_ready = pod.ready;
  t.sentinel_for = rule.sentinel_for;
  mapping.target = DiscoveredTarget{std::move(t), rule.credentials};
  return mapping;
}

PodStore::PodStore(const KubernetesConfig* config, std::vector<std::size_t> stream_rules)
    : config_(config), stream_rules_(std::move(stream_rules)), pods_(stream_rules_.size()) {}

std::map<std::string, PodInfo> PodStore::Replace(std::size_t stream, std::vector<PodInfo> pods) {
  MutexLock lock(&mutex_);
  std::map<std::string, PodInfo> fresh;
  for (PodInfo& pod : pods) {
    std::string key = pod.Key();
    fresh[std::move(key)] = std::move(pod);
  }
  std::swap(fresh, pods_.at(stream));
  RebuildLocked();
  return fresh;
}

std::optional<PodInfo> PodStore::Upsert(std::size_t stream, PodInfo pod) {
  MutexLock lock(&mutex_);
  auto& pods = pods_.at(stream);
  std::optional<PodInfo> previous;
  const std::string key = pod.Key();
  auto it = pods.find(key);
  if (it != pods.end()) {
    previous = std::move(it->second);
    it->second = std::move(pod);
  } else {
    pods.emplace(key, std::move(pod));
  }
  RebuildLocked();
  return previous;
}

std::optional<PodInfo> PodStore::Remove(std::size_t stream, const std::string& pod_key) {
  MutexLock lock(&mutex_);
  auto& pods = pods_.at(stream);
  auto it = pods.find(pod_key);
  if (it == pods.end()) return std::nullopt;
  std::optional<PodInfo> previous = std::move(it->second);
  pods.erase(it);
  RebuildLocked();
  return previous;
}

std::vector<DiscoveredTarget> PodStore::Targets() const {
  MutexLock lock(&mutex_);
  return targets_;
}

std::size_t PodStore::PodCount(std::size_t stream) const {
  MutexLock lock(&mutex_);
  return pods_.at(stream).size();
}

void PodStore::RebuildLocked() {
  std::vector<DiscoveredTarget> targets;
  std::set<std::string> seen_pods;
  for (std::size_t stream = 0; stream < pods_.size(); ++stream) {
    const KubernetesDiscoverRule& rule = config_->discover.at(stream_rules_.at(stream));
    for (const auto& [key, pod] : pods_[stream]) {
      if (seen_pods.contains(key)) continue;  // Selected by an earlier rule too.
      PodMapping mapping = PodToTarget(pod, rule, *config_);
      if (!mapping.target) continue;
      seen_pods.insert(key);
      targets.push_back(std::move(*mapping.target));
    }
  }
  targets_ = std::move(targets);
}

}  // namespace dbtopo::kube
