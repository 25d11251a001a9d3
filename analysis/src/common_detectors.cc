#include "common_detectors.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace dbtopo::detail {
namespace {

Finding UnitFinding(const UnitView& unit, const char* kind, Severity severity,
                    std::string message) {
  Finding f;
  f.kind = kind;
  f.severity = severity;
  f.unit = unit.unit;
  f.message = std::move(message);
  return f;
}

Finding PodFinding(const UnitView& unit, const MemberView& member, const char* kind,
                   Severity severity, std::string message) {
  Finding f = UnitFinding(unit, kind, severity, std::move(message));
  f.pod = member.target.pod;
  return f;
}

std::vector<const MemberView*> MembersWhere(const UnitView& unit, auto predicate) {
  std::vector<const MemberView*> out;
  for (const MemberView& m : unit.members) {
    if (predicate(m)) out.push_back(&m);
  }
  return out;
}

bool IsPrimaryOrReplica(Role role) { return role == Role::kPrimary || role == Role::kReplica; }

}  // namespace

std::string JoinPods(const std::vector<const MemberView*>& members) {
  std::string out;
  for (const MemberView* m : members) {
    if (!out.empty()) out += ", ";
    out += m->target.pod;
  }
  return out;
}

void DetectTargetDown(const UnitView& unit, std::vector<Finding>* findings) {
  for (const MemberView& m : unit.members) {
    if (m.observation.up) continue;
    std::string message = "probe of " + m.target.Address() + " failed";
    if (!m.observation.error.empty()) message += ": " + m.observation.error;
    findings->push_back(PodFinding(unit, m, finding::kTargetDown, Severity::kWarning, message));
  }
}

void CountPrimaries(UnitView& unit) {
  const auto primaries =
      MembersWhere(unit, [](const MemberView& m) { return m.observed_role == Role::kPrimary; });
  unit.primaries = static_cast<int>(primaries.size());
  // A Redis Cluster has one master per shard; "the" primary of the unit is
  // meaningless there.
  if (unit.engine == Engine::kRedisCluster) return;
  unit.primary_pod = primaries.size() == 1 ? primaries.front()->target.pod : "";
}

void DetectDualPrimary(UnitView& unit, std::vector<Finding>* findings) {
  if (unit.engine == Engine::kRedisCluster) return;
  const auto primaries =
      MembersWhere(unit, [](const MemberView& m) { return m.observed_role == Role::kPrimary; });
  // Two servers that accept writes and do not replicate: split brain, writes
  // on either side are lost to the other.
  unit.dual_primary = primaries.size() > 1;
  if (!unit.dual_primary) return;
  findings->push_back(UnitFinding(
      unit, finding::kDualPrimary, Severity::kCritical,
      std::to_string(primaries.size()) + " members report primary: " + JoinPods(primaries)));
}

void DetectNoPrimary(const UnitView& unit, std::vector<Finding>* findings) {
  if (unit.engine == Engine::kRedisCluster) return;
  if (unit.primaries > 0) return;
  // A dead primary is exactly the incident this catches, so down members do
  // not excuse it; name them to point at the likely cause.
  std::string message = "no member reports primary";
  const auto down = MembersWhere(unit, [](const MemberView& m) { return !m.observation.up; });
  if (!down.empty()) message += " (down: " + JoinPods(down) + ")";
  findings->push_back(UnitFinding(unit, finding::kNoPrimary, Severity::kCritical, message));
}

void DetectLabelledDualPrimary(UnitView& unit, std::vector<Finding>* findings) {
  const auto labelled = MembersWhere(
      unit, [](const MemberView& m) { return m.target.labelled_role == Role::kPrimary; });
  unit.labelled_primaries = static_cast<int>(labelled.size());
  // Services and operators route writes by this label: two labelled primaries
  // send writes to both, whatever the databases think.
  if (labelled.size() <= 1) return;
  findings->push_back(UnitFinding(
      unit, finding::kLabelledDualPrimary, Severity::kCritical,
      std::to_string(labelled.size()) + " pods labelled primary: " + JoinPods(labelled)));
}

void DetectRoleLabelMismatch(UnitView& unit, std::vector<Finding>* findings) {
  for (MemberView& m : unit.members) {
    // Unknown on either side (no label, pod down, undecidable) is not
    // evidence of a mismatch.
    const std::optional<Role> label = m.target.labelled_role;
    m.role_label_mismatch = label.has_value() && IsPrimaryOrReplica(*label) &&
                            IsPrimaryOrReplica(m.observed_role) && *label != m.observed_role;
    if (!m.role_label_mismatch) continue;
    std::string message = std::string("labelled ") + RoleName(*label);
    // The raw value helps when it is not the role name ("secondary", "leader").
    const std::string& raw = m.target.role_label_value;
    if (!raw.empty() && raw != RoleName(*label)) message += " (" + raw + ")";
    message += std::string(" but the database reports ") + RoleName(m.observed_role);
    findings->push_back(
        PodFinding(unit, m, finding::kRoleLabelMismatch, Severity::kWarning, message));
  }
}

void RunCommonDetectors(UnitView& unit, std::vector<Finding>* findings) {
  DetectTargetDown(unit, findings);
  CountPrimaries(unit);
  DetectDualPrimary(unit, findings);
  DetectNoPrimary(unit, findings);
  DetectLabelledDualPrimary(unit, findings);
  DetectRoleLabelMismatch(unit, findings);
}

void SortFindings(std::vector<Finding>* findings) {
  std::sort(findings->begin(), findings->end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.unit, a.pod, a.kind, a.channel, a.message) <
           std::tie(b.unit, b.pod, b.kind, b.channel, b.message);
  });
}

}  // namespace dbtopo::detail
