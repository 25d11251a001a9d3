#pragma once

// The dbtopo_sentinel_* metrics of one sentinel. Internal to exporter/.

#include "dbtopo/analysis/analysis.h"
#include "metric_families.h"

namespace dbtopo::metrics {

/// Writes, for an up member with Observation::sentinel: dbtopo_sentinel_tilt
/// (when INFO sentinel said), and per monitored master (labels `pod` plus
/// `master_name`) dbtopo_sentinel_master_info{master_address},
/// dbtopo_sentinel_master_status{flag} for sdown, odown,
/// failover_in_progress and disconnected, dbtopo_sentinel_quorum_ok,
/// dbtopo_sentinel_known_sentinels, dbtopo_sentinel_known_replicas and
/// dbtopo_sentinel_config_epoch, each only when known.
void RenderSentinel(FamilySet& out, const Labels& pod, const MemberView& member);

}  // namespace dbtopo::metrics
