#pragma once

// Per-engine hooks that Analyze() calls. Internal to analysis/.
//
// Analyze() groups members into UnitViews, then for each unit:
//   1. sets MemberView::observed_role with the engine's ObservedRole,
//   2. runs the common detectors (target_down, primaries, role labels; see
//      common_detectors.h),
//   3. runs the engine's detectors.
// A new engine adds one file with its two functions and one case in
// analyze.cc.

#include <vector>

#include "dbtopo/analysis/analysis.h"

namespace dbtopo::detail {

/// MySQL/MariaDB observed role: a server with a replication channel is a
/// replica; a writable server that does not replicate is a primary; a
/// read-only server that does not replicate (or a down one) is unknown.
Role MysqlObservedRole(const Observation& observation);

/// MySQL detectors: replication_broken, replication_lagging, wrong_source,
/// server_id_conflict, version_skew, writable_replica. Also fills
/// ChannelView::source_valid / source_pod and UnitView::server_id_conflicts.
void DetectMysql(UnitView& unit, const AnalysisOptions& options, std::vector<Finding>* findings);

}  // namespace dbtopo::detail
