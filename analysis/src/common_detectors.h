#pragma once

// Detectors that apply to every engine. Internal to analysis/.
//
// Each one reads the MemberViews of one unit (observed_role already set by
// the engine hook), may fill a UnitView/MemberView field the metrics need,
// and appends Findings. None of them reads a clock or does I/O.

#include <optional>
#include <string>
#include <string_view>
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
/// the primary is down. Instead primary_unreachable (warning, on the down
/// pod) while some up replica still reports its IO thread (Redis: master
/// link) running to a down member. Skipped for redis-cluster.
void DetectNoPrimary(const UnitView& unit, std::vector<Finding>* findings);

/// labelled_no_primary (critical, unit): the databases show exactly one
/// primary, some pod carries a role label, and no pod is labelled primary.
/// Needs UnitView::labelled_primaries (DetectLabelledDualPrimary). Skipped
/// for redis-cluster.
void DetectLabelledNoPrimary(const UnitView& unit, std::vector<Finding>* findings);

/// labelled_dual_primary (critical, unit): more than one pod labelled
/// primary (Redis Cluster: within one shard). Sets
/// UnitView::labelled_primaries (all pods labelled primary in the unit).
void DetectLabelledDualPrimary(UnitView& unit, std::vector<Finding>* findings);

/// role_label_mismatch (warning, per pod): label and observed role are both
/// primary/replica and differ. Sets MemberView::role_label_mismatch.
void DetectRoleLabelMismatch(UnitView& unit, std::vector<Finding>* findings);

/// Runs every common detector above, in order; only DetectTargetDown for an
/// engine without primaries (HasPrimaries).
void RunCommonDetectors(UnitView& unit, std::vector<Finding>* findings);

/// A finding about one pod of `unit` (channel ""), and one about a channel.
Finding MemberFinding(const UnitView& unit, const MemberView& m, const char* kind,
                      Severity severity, std::string message);
Finding ChannelFinding(const UnitView& unit, const MemberView& m, const ChannelView& cv,
                       const char* kind, Severity severity, std::string message);

/// "source_host:source_port" of a channel.
std::string SourceAddress(const ReplicationChannel& c);

/// "pod (host:port)", for messages.
std::string Describe(const MemberView& m);

/// Pointers to every member of `unit`.
std::vector<const MemberView*> MemberPointers(const UnitView& unit);

/// Members of `unit` whose observed role is primary.
std::vector<const MemberView*> Primaries(const UnitView& unit);

/// "pod-0, pod-1": pod names of members, for messages.
std::string JoinPods(const std::vector<const MemberView*>& members);

/// Orders findings by (unit, pod, kind, channel, message) so that output,
/// metrics and tests do not depend on input order.
void SortFindings(std::vector<Finding>* findings);

}  // namespace dbtopo::detail
