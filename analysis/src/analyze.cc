// Analyze(): a round of members -> units -> observed roles -> findings.
//
// The flow per unit is fixed (see detectors.h): the engine's hook for the
// observed role, common detectors, the engine's unit detectors; then each
// engine's round detectors once. Findings are sorted at the end so
// the output does not depend on the order discovery yielded the targets.

#include <algorithm>
#include <map>

#include "common_detectors.h"
#include "dbtopo/analysis/analysis.h"
#include "dbtopo/analysis/engines.h"
#include "detectors.h"

namespace dbtopo {
namespace {

MemberView MakeMemberView(const Member& member) {
  MemberView view;
  view.target = member.target;
  view.observation = member.observation;
  // One ChannelView per channel, same order, for every engine; the engine
  // detectors decide link_up and source_valid.
  for (const ReplicationChannel& channel : member.observation.channels) {
    ChannelView cv;
    cv.channel = channel;
    view.channels.push_back(std::move(cv));
  }
  return view;
}

// Units sorted by UnitId, members by pod. Stable, so duplicate pod names (a
// config error) keep input order instead of shuffling between rounds.
std::vector<UnitView> GroupIntoUnits(const std::vector<Member>& members) {
  std::map<UnitId, std::vector<const Member*>> by_unit;
  for (const Member& m : members) by_unit[m.target.unit].push_back(&m);

  std::vector<UnitView> units;
  units.reserve(by_unit.size());
  for (auto& [id, unit_members] : by_unit) {
    std::stable_sort(
        unit_members.begin(), unit_members.end(),
        [](const Member* a, const Member* b) { return a->target.pod < b->target.pod; });
    UnitView unit;
    unit.unit = id;
    // All members of a unit come from one cluster config / discover rule, so
    // they share an engine; the first one decides.
    unit.engine = unit_members.front()->target.engine;
    for (const Member* m : unit_members) unit.members.push_back(MakeMemberView(*m));
    units.push_back(std::move(unit));
  }
  return units;
}

}  // namespace

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kCritical:
      return "critical";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "unknown";
}

Topology Analyze(const std::vector<Member>& members, const AnalysisOptions& options) {
  Topology topology;
  topology.units = GroupIntoUnits(members);
  for (UnitView& unit : topology.units) {
    const detail::EngineHooks& hooks = detail::HooksOf(unit.engine);
    hooks.assign_roles(unit);
    detail::RunCommonDetectors(unit, &topology.findings);
    hooks.unit_detectors(unit, options, &topology.findings);
  }
  for (Engine engine : AllEngines()) {
    detail::HooksOf(engine).round_detectors(topology.units, options, &topology.findings);
  }
  std::erase_if(topology.findings, [&](const Finding& f) {
    const bool transient = f.kind == finding::kNoPrimary || f.kind == finding::kDualPrimary;
    return transient &&
           std::find(options.switchovers_in_progress.begin(), options.switchovers_in_progress.end(),
                     f.unit) != options.switchovers_in_progress.end();
  });
  detail::SortFindings(&topology.findings);
  return topology;
}

}  // namespace dbtopo
