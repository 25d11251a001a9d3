#pragma once

#include <string>

#include "snapshot.h"

namespace dbtopo {

/// Version string reported in dbtopo_exporter_build_info.
extern const char kExporterVersion[];

/// Renders a snapshot's topology and exporter figures as Prometheus text
/// (the metric names of the exporter's contract). Unknown values are left out, never
/// written as 0; a down pod has only dbtopo_up, dbtopo_probe_duration_seconds,
/// dbtopo_role{role="unknown"} and its label series.
std::string RenderMetrics(const Snapshot& snapshot);

}  // namespace dbtopo
