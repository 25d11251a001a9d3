#pragma once

#include <string>

#include "snapshot.h"

namespace dbtopo {

/// Renders GET /api/v1/topology: {"round", "timestamp_seconds", "clusters":
/// [{namespace, db_cluster, component, engine, primaries, labelled_primaries,
/// dual_primary, primary_pod, members: [{pod, address, up, error,
/// observed_role, labelled_role, role_label, ..., channels: [...]}],
/// findings: [...]}]}. Unknown values are JSON null. Never holds a secret:
/// Target and Observation carry none.
std::string RenderTopologyJson(const Snapshot& snapshot);

}  // namespace dbtopo
