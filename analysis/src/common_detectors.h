#pragma once

// Detectors that apply to every engine. Internal to analysis/.
//
// Each one reads the MemberViews of one unit (observed_role already set by
// the engine hook), may fill a UnitView/MemberView field the metrics need,
// and appends Findings. None of them reads a clock or does I/O.

#include <string>
#include <vector>

#include "dbtopo/analysis/analysis.h"

namespace dbtopo::detail {

/// target_down (warning, per pod): the probe of the pod failed this round.
void DetectTargetDown(const UnitView& unit, std::vector<Finding>* findings);

/// Counts observed primaries into UnitView::primaries and, when exactly one,
/// sets UnitView::primary_pod. For redis-cluster only the count is kept:
/// many masters are normal there, and dual_primary/primary_pod are decided
/// by the Redis Cluster detectors (two masters claiming one slot).
void CountPrimaries(UnitView& unit);

/// dual_primary (critical, unit): more than one member reports primary.
/// Sets UnitView::dual_primary. Skipped for redis-cluster.
void DetectDualPrimary(UnitView& unit, std::vector<Finding>* findings);

/// no_primary (critical, unit): no member reports primary, including when
/// the primary is down. Skipped for redis-cluster.
void DetectNoPrimary(const UnitView& unit, std::vector<Finding>* findings);

/// labelled_dual_primary (critical, unit): more than one pod labelled
/// primary. Sets UnitView::labelled_primaries.
void DetectLabelledDualPrimary(UnitView& unit, std::vector<Finding>* findings);

/// role_label_mismatch (warning, per pod): label and observed role are both
/// primary/replica and differ. Sets MemberView::role_label_mismatch.
void DetectRoleLabelMismatch(UnitView& unit, std::vector<Finding>* findings);

/// Runs every common detector above, in order.
void RunCommonDetectors(UnitView& unit, std::vector<Finding>* findings);

/// "pod-0, pod-1": pod names of members, for messages.
std::string JoinPods(const std::vector<const MemberView*>& members);

/// Orders findings by (unit, pod, kind, channel, message) so that output,
/// metrics and tests do not depend on input order.
void SortFindings(std::vector<Finding>* findings);

}  // namespace dbtopo::detail
