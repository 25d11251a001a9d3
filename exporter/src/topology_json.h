#pragma once

#include <string>

#include "snapshot.h"

namespace dbtopo {

/// Renders GET /api/v1/topology: {"round", "timestamp_seconds", "clusters":
/// [{namespace, db_cluster, component, engine, primaries, labelled_primaries,
/// dual_primary, primary_pod, members: [{pod, address, up, error,
/// observed_role, labelled_role, role_label, ..., depth (hops below the
/// primary: 0 primary, null when it reaches none), co_primary, errant_gtid,
/// errant_gtids, channels: [{name, source, source_pod (member the source
/// resolves to, "" if none), source_valid, ..., configured_delay_seconds}]}],
/// findings: [...]}]}. Unknown values are JSON null. Never holds a secret:
/// Target and Observation carry none.
std::string RenderTopologyJson(const Snapshot& snapshot);

}  // namespace dbtopo
