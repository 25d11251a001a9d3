// The policy: which unit a request names, and the automatic triggers
// (persistence over rounds, cooldown). Switchover and fence plans are in
// policy_switchover.cc and policy_fence.cc.

#include "policy.h"

#include <set>

#include "dbtopo/analysis/engines.h"
#include "dbtopo/base/duration.h"
#include "engine_actions.h"
#include "policy_views.h"

namespace dbtopo::remediation {

// ---------------------------------------------------------------- units

std::string UnitName(const UnitId& unit) {
  return (unit.ns.empty() ? std::string("-") : unit.ns) + "/" + unit.db_cluster + "/" +
         unit.component;
}

Result<UnitId, Refusal> ResolveUnit(const std::vector<UnitId>& known,
                                    const UnitSelector& selector) {
  if (selector.db_cluster.empty())
    return Refuse(RemediationCode::kBadRequest, "db_cluster is required");
  std::vector<UnitId> matches;
  for (const UnitId& u : known) {
    if (u.db_cluster != selector.db_cluster) continue;
    if (selector.ns_set && u.ns != selector.ns) continue;
    if (selector.component_set && u.component != selector.component) continue;
    if (std::find(matches.begin(), matches.end(), u) == matches.end()) matches.push_back(u);
  }
  if (matches.size() == 1) return matches.front();
  std::string wanted = "db_cluster \"" + selector.db_cluster + "\"";
  if (selector.ns_set) wanted += " namespace \"" + selector.ns + "\"";
  if (selector.component_set) wanted += " component \"" + selector.component + "\"";
  if (matches.empty())
    return Refuse(RemediationCode::kNotFound, "unknown unit: no discovered target has " + wanted);
  std::vector<std::string> names;
  for (const UnitId& u : matches) names.push_back(UnitName(u));
  return Refuse(RemediationCode::kBadRequest, wanted + " is ambiguous (" + Join(names) +
                                                  "): add \"namespace\" and/or \"component\"");
}

// ---------------------------------------------------------------- automatic

bool IsFenceTrigger(const std::string& kind) {
  return kind == finding::kDualPrimary || kind == finding::kWritableReplica;
}

std::vector<std::pair<UnitId, std::string>> Persistence::Observe(const Topology& topology,
                                                                 int rounds) {
  std::set<UnitId> fenceable;
  for (const UnitView& u : topology.units) {
    if (ActionsOf(u.engine).fence != nullptr) fenceable.insert(u.unit);
  }
  std::map<UnitId, std::string> present;
  for (const Finding& f : topology.findings) {
    if (IsFenceTrigger(f.kind) && fenceable.contains(f.unit)) present.emplace(f.unit, f.kind);
  }
  for (auto it = counts_.begin(); it != counts_.end();) {
    it = present.contains(it->first) ? std::next(it) : counts_.erase(it);
  }
  std::vector<std::pair<UnitId, std::string>> due;
  for (const auto& [unit, kind] : present) {
    const int count = ++counts_[unit];
    if (count >= rounds) due.emplace_back(unit, kind);
  }
  return due;
}

bool InCooldown(std::optional<std::chrono::steady_clock::time_point> last,
                std::chrono::steady_clock::time_point now, std::chrono::milliseconds cooldown) {
  return last.has_value() && now - *last < cooldown;
}

}  // namespace dbtopo::remediation
