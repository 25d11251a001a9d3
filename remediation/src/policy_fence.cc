// The fence policy: which members are stray primaries and which is the
// legitimate one, and when fencing is done.

#include <map>
#include <set>

#include "dbtopo/analysis/engines.h"
#include "dbtopo/base/duration.h"
#include "engine_actions.h"
#include "policy_views.h"

namespace dbtopo::remediation {

// ---------------------------------------------------------------- fence

Result<FencePlan, Refusal> PlanFence(const UnitView& unit, const std::string& only_pod) {
  if (const EngineActions& actions = ActionsOf(unit.engine); actions.fence == nullptr) {
    return Refuse(RemediationCode::kRefused, actions.no_fence_reason);
  }
  if (!only_pod.empty() && FindMember(unit, only_pod) == nullptr) {
    return Refuse(RemediationCode::kNotFound, "unknown pod \"" + only_pod + "\" in unit " +
                                                  UnitName(unit.unit) +
                                                  " (members: " + Join(Pods(unit)) + ")");
  }
  if (auto up = CheckAllUp(unit); !up) return up.error();
  std::vector<const MemberView*> writable;
  for (const MemberView& m : unit.members) {
    if (Writable(m)) writable.push_back(&m);
  }
  if (writable.size() <= 1) {
    return Refuse(RemediationCode::kRefused,
                  writable.empty() ? "nothing to fence: no member accepts writes"
                                   : "nothing to fence: only " + writable.front()->target.pod +
                                         " accepts writes");
  }
  // Votes: replicas whose link resolves to each writable member.
  std::map<std::string, int> votes;
  int replicas = 0;
  for (const MemberView& m : unit.members) {
    const ChannelView* cv = MemberChannel(m);
    if (cv == nullptr) continue;
    ++replicas;
    ++votes[cv->source_pod];
  }
  std::vector<const MemberView*> legit;
  std::vector<std::string> why;
  for (const MemberView* w : writable) {
    const std::string& pod = w->target.pod;
    const int v = votes[pod];
    std::string no;
    if (w->target.labelled_role != Role::kPrimary) {
      no = "not labelled primary";
    } else if (HasLinkUp(*w)) {
      no = "replicates from another member";
    } else if (replicas > 0 && v * 2 <= replicas) {
      no = "followed by " + std::to_string(v) + " of " + std::to_string(replicas) + " replicas";
    }
    if (no.empty()) {
      legit.push_back(w);
      why.push_back(pod + ": labelled primary, followed by " + std::to_string(v) + " of " +
                    std::to_string(replicas) + " replicas");
    } else {
      why.push_back(pod + ": " + no);
    }
  }
  if (legit.size() != 1) {
    return Refuse(RemediationCode::kRefused,
                  "cannot identify exactly one legitimate primary among the writable "
                  "members (" +
                      Join(why) + "); refusing to fence");
  }
  FencePlan plan;
  plan.legit_primary = legit.front()->target.pod;
  for (const MemberView* w : writable) {
    if (w == legit.front()) continue;
    if (!only_pod.empty() && w->target.pod != only_pod) continue;
    plan.strays.push_back(w->target.pod);
  }
  if (!only_pod.empty() && plan.strays.empty()) {
    if (only_pod == plan.legit_primary) {
      return Refuse(RemediationCode::kRefused, only_pod + " is the legitimate primary (" +
                                                   Join(why) + "); refusing to fence it");
    }
    return Refuse(RemediationCode::kRefused,
                  "nothing to fence: " + only_pod + " does not accept writes");
  }
  return plan;
}

std::string VerifyFence(const UnitView& unit, const std::vector<std::string>& fenced) {
  std::vector<std::string> problems;
  for (const std::string& pod : fenced) {
    const MemberView* m = FindMember(unit, pod);
    if (m == nullptr) {
      problems.push_back(pod + " is no longer a member");
    } else if (!m->observation.up) {
      problems.push_back(pod + " is down (" + m->observation.error + ")");
    } else if (m->observation.writable != false) {
      problems.push_back(pod + " still accepts writes");
    }
  }
  return Join(problems);
}

}  // namespace dbtopo::remediation
