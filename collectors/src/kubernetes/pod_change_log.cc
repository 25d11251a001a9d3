#include "kubernetes/pod_change_log.h"

#include "kubernetes/pod_store.h"

namespace dbtopo::kube {

void LogPodChange(const log::Sink& log, const KubernetesDiscoverRule& rule,
                  const KubernetesConfig& config, const std::optional<PodInfo>& before,
                  const std::optional<PodInfo>& after, bool quiet) {
  auto Log = [&log](log::Level level, const std::string& msg, const log::KeyValues& fields) {
    log::To(log, level, msg, fields);
  };
  auto describe = [&](const PodInfo& pod) {
    PodMapping m = PodToTarget(pod, rule, config);
    auto role = pod.labels.find(config.role_label);
    return log::KeyValues{
        {"pod", pod.Key()},
        {"phase", pod.phase},
        {"ip", pod.pod_ip},
        {"ready", pod.ready ? "true" : "false"},
        {"role_label", role == pod.labels.end() ? "" : role->second},
        {"target", m.target ? m.target->target.Address() : "no: " + m.skip_reason}};
  };
  const log::Level level = quiet ? log::Level::kDebug : log::Level::kInfo;
  if (!before && after) {
    Log(level, "kubernetes pod added", describe(*after));
    const auto mapping = PodToTarget(*after, rule, config);
    if (!mapping.warning.empty()) {
      Log(log::Level::kWarn, "kubernetes pod port",
          {{"pod", after->Key()}, {"problem", mapping.warning}});
    }
  } else if (before && !after) {
    Log(level, "kubernetes pod removed", {{"pod", before->Key()}});
  } else if (before && after) {
    log::KeyValues b = describe(*before), a = describe(*after);
    std::string changes;
    for (std::size_t f = 1; f < a.size(); ++f) {
      if (a[f].second == b[f].second) continue;
      if (!changes.empty()) changes += ", ";
      changes += a[f].first + " " + b[f].second + " -> " + a[f].second;
    }
    if (changes.empty()) return;
    a.push_back({"changes", changes});
    Log(level, "kubernetes pod changed", a);
  }
}

}  // namespace dbtopo::kube
