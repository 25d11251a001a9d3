#pragma once

// The log lines of pod changes seen by Kubernetes discovery.

#include <optional>

#include "dbtopo/base/log.h"
#include "dbtopo/collectors/kubernetes_discovery.h"
#include "kubernetes/pod_parser.h"

namespace dbtopo::kube {

/// Logs to `log` what changed about a pod that matters to the exporter:
/// added (with its phase, IP, readiness, role label and target, or why it
/// is no target; a warning for a port problem), removed, or which of those
/// fields changed ("phase Pending -> Running"; nothing when none did).
/// `quiet` (a stream's first list) logs at debug instead of info.
void LogPodChange(const log::Sink& log, const KubernetesDiscoverRule& rule,
                  const KubernetesConfig& config, const std::optional<PodInfo>& before,
                  const std::optional<PodInfo>& after, bool quiet);

}  // namespace dbtopo::kube
