// The switchover policy: which candidate, whether it may be promoted now,
// what the switchover will do, and when it is done.

#include <map>
#include <set>

#include "dbtopo/analysis/engines.h"
#include "dbtopo/base/duration.h"
#include "engine_actions.h"
#include "policy_views.h"

namespace dbtopo::remediation {
namespace {

// The lag checks of a candidate's link; "" when within the limits.
std::string LagProblem(Engine engine, const MemberView& candidate, const ChannelView& cv,
                       const SwitchoverLimits& limits) {
  const ReplicationChannel& c = cv.channel;
  const double max_s = std::chrono::duration<double>(limits.max_lag).count();
  if (ActionsOf(engine).lag_limit == LagLimit::kSeconds) {
    if (!c.lag_seconds) {
      return "candidate " + candidate.target.pod +
             " has unknown lag (Seconds_Behind_Master is NULL)";
    }
    if (*c.lag_seconds > max_s) {
      return "candidate " + candidate.target.pod + " is " + Number(*c.lag_seconds) +
             "s behind, more than max_lag " + FormatDuration(limits.max_lag);
    }
    return "";
  }
  if (!c.lag_bytes) {
    return "candidate " + candidate.target.pod +
           " has unknown lag (replication offsets not comparable)";
  }
  if (*c.lag_bytes > limits.max_lag_bytes) {
    return "candidate " + candidate.target.pod + " is " + std::to_string(*c.lag_bytes) +
           " bytes behind, more than " + std::to_string(limits.max_lag_bytes);
  }
  // master_last_io_seconds_ago is no lag measure: an idle master only pings
  // every repl-ping-replica-period (10 s). The offsets are.
  return "";
}

// Checks the candidate's link to its source: up, within limits.
// The candidate's link to the member it replicates from, when it is up and
// within the lag limit.
Result<const ChannelView*, Refusal> CandidateLink(const UnitView& unit, const MemberView& cand,
                                                  const SwitchoverLimits& limits) {
  const ChannelView* cv = MemberChannel(cand);
  if (cv == nullptr) {
    if (cand.channels.empty()) {
      return Refuse(RemediationCode::kRefused,
                    "candidate " + cand.target.pod +
                        " does not replicate from any member (it is not a replica)");
    }
    return Refuse(RemediationCode::kRefused, "candidate " + cand.target.pod + " replicates from " +
                                                 SourceOf(cand.channels.front().channel) +
                                                 ", which is not a member of unit " +
                                                 UnitName(unit.unit));
  }
  if (cv->source_pod == cand.target.pod) {
    return Refuse(RemediationCode::kRefused,
                  "candidate " + cand.target.pod + " replicates from itself");
  }
  if (!cv->link_up) {
    return Refuse(RemediationCode::kRefused, "candidate " + cand.target.pod +
                                                 "'s replication link to " + cv->source_pod +
                                                 " is broken (" + LinkText(cv->channel) + ")");
  }
  if (std::string lag = LagProblem(unit.engine, cand, *cv, limits); !lag.empty()) {
    return Refuse(RemediationCode::kRefused, lag);
  }
  return cv;
}

double LagKey(const MemberView& m) {
  const ChannelView* cv = MemberChannel(m);
  if (cv == nullptr) return 1e300;
  if (cv->channel.lag_seconds) return *cv->channel.lag_seconds;
  if (cv->channel.lag_bytes) return static_cast<double>(*cv->channel.lag_bytes);
  return 1e299;
}

// ---------------------------------------------------------------- switchover

// The channel a member's re-point re-uses: `cv` when given, else its first.
std::string ChannelToReuse(const MemberView& m, const ChannelView* cv) {
  if (cv != nullptr) return cv->channel.name;
  return m.channels.empty() ? "" : m.channels.front().channel.name;
}

// What refuses any switchover of the unit to `cand`, whatever its role: a
// member down, errant GTIDs on the candidate, more than one primary.
BasicStatus<Refusal> CheckSwitchable(const UnitView& unit, const MemberView& cand,
                                     const std::vector<std::string>& writable) {
  if (auto up = CheckAllUp(unit); !up) return up.error();
  // The others cannot follow a candidate that holds transactions the
  // primary lacks: they would never receive them, or stop on them.
  if (cand.errant_gtid == true) {
    return Refuse(RemediationCode::kRefused, "candidate " + cand.target.pod + " has errant GTIDs " +
                                                 cand.errant_gtids + " (transactions the primary " +
                                                 unit.primary_pod +
                                                 " does not have): remove or replay them first");
  }
  if (!OnePrimaryPerShard(unit.engine) && writable.size() > 1) {
    return Refuse(RemediationCode::kRefused, "more than one member accepts writes (" +
                                                 Join(writable) +
                                                 "): fence the stray primary first");
  }
  if (OnePrimaryPerShard(unit.engine) && unit.dual_primary) {
    return Refuse(RemediationCode::kRefused,
                  "two masters claim the same slots in unit " + UnitName(unit.unit));
  }
  return {};
}

// The member a half-done switchover left behind: the one the others still
// follow, else the one labelled primary, else a read-only member that
// replicates from nobody.
std::string HalfDoneOldPrimary(const UnitView& unit, const MemberView& cand) {
  std::map<std::string, int> followed;
  for (const MemberView& m : unit.members) {
    if (&m == &cand) continue;
    if (const ChannelView* cv = MemberChannel(m);
        cv != nullptr && cv->source_pod != cand.target.pod) {
      ++followed[cv->source_pod];
    }
  }
  std::string old;
  int best = 0;
  for (const auto& [pod, votes] : followed) {
    if (votes > best) old = pod, best = votes;
  }
  if (!old.empty()) return old;
  // The last such member, as listed.
  for (const MemberView& m : unit.members) {
    if (&m != &cand && m.target.labelled_role == Role::kPrimary) old = m.target.pod;
  }
  if (!old.empty()) return old;
  for (const MemberView& m : unit.members) {
    if (&m != &cand && m.channels.empty()) old = m.target.pod;
  }
  return old;
}

// The candidate already is the only primary: finish a switchover that half
// happened by re-pointing the members that do not follow it yet.
Result<SwitchoverPlan, Refusal> PlanResume(const UnitView& unit, const MemberView& cand) {
  const std::string& candidate = cand.target.pod;
  std::vector<std::string> not_following;
  for (const MemberView& m : unit.members) {
    if (&m == &cand) continue;
    const ChannelView* cv = ChannelTo(m, candidate);
    if (cv == nullptr || !cv->link_up) not_following.push_back(m.target.pod);
  }
  if (not_following.empty()) {
    return Refuse(
        RemediationCode::kRefused,
        "candidate " + candidate + " is already the primary and every member replicates from it");
  }
  if (OnePrimaryPerShard(unit.engine)) {
    return Refuse(RemediationCode::kRefused, "candidate " + candidate + " is already a master");
  }
  SwitchoverPlan plan;
  plan.candidate = candidate;
  plan.old_primary = HalfDoneOldPrimary(unit, cand);
  plan.resume = true;
  plan.old_primary_was_read_only = true;
  for (const MemberView& m : unit.members) {
    if (&m == &cand || m.target.pod == plan.old_primary) continue;
    plan.others[m.target.pod] = ChannelToReuse(m, MemberChannel(m));
  }
  return plan;
}

// The candidate is a replica: it takes over from the member it replicates
// from, which must be the top of the chain and the only writable member.
Result<SwitchoverPlan, Refusal> PlanFromReplica(const UnitView& unit, const MemberView& cand,
                                                const std::vector<std::string>& writable,
                                                const SwitchoverLimits& limits) {
  const std::string& candidate = cand.target.pod;
  if (Writable(cand)) {
    return Refuse(RemediationCode::kRefused,
                  "candidate " + candidate +
                      " accepts writes while it replicates (writable replica): fence it "
                      "first");
  }
  if (OnePrimaryPerShard(unit.engine) && cand.observed_role != Role::kReplica) {
    return Refuse(RemediationCode::kRefused, "candidate " + candidate + " is not a replica (role " +
                                                 RoleName(cand.observed_role) + ")");
  }
  auto link = CandidateLink(unit, cand, limits);
  if (!link) return link.error();
  const MemberView* old = FindMember(unit, (*link)->source_pod);
  if (old == nullptr) {
    return Refuse(RemediationCode::kRefused, "candidate " + candidate + "'s source " +
                                                 (*link)->source_pod +
                                                 " is not a member of the unit");
  }
  if (HasLinkUp(*old)) {
    return Refuse(RemediationCode::kRefused,
                  "candidate " + candidate + "'s source " + old->target.pod +
                      " is itself a replica: switch over at the top of the chain");
  }
  for (const std::string& pod : writable) {
    if (pod != old->target.pod) {
      return Refuse(RemediationCode::kRefused, pod + " accepts writes but candidate " + candidate +
                                                   " replicates from " + old->target.pod);
    }
  }
  SwitchoverPlan plan;
  plan.candidate = candidate;
  plan.old_primary = old->target.pod;
  plan.candidate_channel = (*link)->channel.name;
  plan.old_primary_was_read_only = !Writable(*old);
  for (const MemberView& m : unit.members) {
    if (&m == &cand || &m == old) continue;
    const ChannelView* cv = ChannelTo(m, old->target.pod);
    plan.others[m.target.pod] = ChannelToReuse(m, cv != nullptr ? cv : MemberChannel(m));
  }
  return plan;
}

}  // namespace

Result<SwitchoverPlan, Refusal> PlanSwitchover(const UnitView& unit, const std::string& candidate,
                                               const SwitchoverLimits& limits) {
  if (!HasPrimaries(unit.engine)) {
    return Refuse(RemediationCode::kRefused, ActionsOf(unit.engine).no_fence_reason);
  }
  const MemberView* cand = FindMember(unit, candidate);
  if (cand == nullptr) {
    return Refuse(RemediationCode::kNotFound, "unknown candidate \"" + candidate + "\" in unit " +
                                                  UnitName(unit.unit) +
                                                  " (members: " + Join(Pods(unit)) + ")");
  }
  std::vector<std::string> writable;
  for (const MemberView& m : unit.members) {
    if (Writable(m)) writable.push_back(m.target.pod);
  }
  if (auto switchable = CheckSwitchable(unit, *cand, writable); !switchable) {
    return switchable.error();
  }
  if (Writable(*cand) && cand->channels.empty()) return PlanResume(unit, *cand);
  return PlanFromReplica(unit, *cand, writable, limits);
}

Result<std::string, Refusal> ChooseCandidate(const UnitView& unit, const SwitchoverLimits& limits) {
  if (!HasPrimaries(unit.engine)) {
    return Refuse(RemediationCode::kRefused, ActionsOf(unit.engine).no_fence_reason);
  }
  if (auto up = CheckAllUp(unit); !up) return up.error();
  std::string primary = unit.primary_pod;
  if (primary.empty() && unit.primaries == 0) {
    // No writable primary (a half-done switchover: the old one was demoted and nobody
    // promoted): switch over from the member most replicas still follow.
    std::map<std::string, int> followed;
    for (const MemberView& m : unit.members) {
      if (const ChannelView* cv = MemberChannel(m)) ++followed[cv->source_pod];
    }
    int best = 0;
    for (const auto& [pod, votes] : followed) {
      if (votes > best) primary = pod, best = votes;
    }
  }
  if (primary.empty()) {
    return Refuse(RemediationCode::kRefused, "unit " + UnitName(unit.unit) +
                                                 " has no single primary to switch over from (" +
                                                 std::to_string(unit.primaries) + " primaries)");
  }
  std::vector<const MemberView*> replicas;
  for (const MemberView& m : unit.members) {
    if (ChannelTo(m, primary) != nullptr) replicas.push_back(&m);
  }
  std::sort(replicas.begin(), replicas.end(), [](const MemberView* a, const MemberView* b) {
    const double la = LagKey(*a), lb = LagKey(*b);
    if (la != lb) return la < lb;
    return a->target.pod < b->target.pod;
  });
  std::vector<std::string> reasons;
  for (const MemberView* m : replicas) {
    auto plan = PlanSwitchover(unit, m->target.pod, limits);
    if (plan) return m->target.pod;
    reasons.push_back(plan.error().reason);
  }
  if (reasons.empty()) {
    return Refuse(RemediationCode::kRefused,
                  "no replica of " + primary + " in unit " + UnitName(unit.unit));
  }
  return Refuse(RemediationCode::kRefused, "no replica qualifies as candidate: " + Join(reasons));
}

std::string VerifySwitchover(const UnitView& unit, const std::string& candidate) {
  const MemberView* cand = FindMember(unit, candidate);
  if (cand == nullptr) return "candidate " + candidate + " is no longer a member";
  std::vector<std::string> problems;
  if (!cand->observation.up) {
    problems.push_back(candidate + " is down (" + cand->observation.error + ")");
  } else if (!Writable(*cand) || !cand->channels.empty()) {
    problems.push_back(candidate + " is not the primary yet (writable " +
                       std::string(cand->observation.writable == true ? "yes" : "no") +
                       ", replication channels " + std::to_string(cand->channels.size()) + ")");
  }
  for (const MemberView& m : unit.members) {
    if (&m == cand) continue;
    if (!m.observation.up) {
      problems.push_back(m.target.pod + " is down (" + m.observation.error + ")");
      continue;
    }
    if (Writable(m)) problems.push_back(m.target.pod + " still accepts writes");
    const ChannelView* cv = ChannelTo(m, candidate);
    if (cv == nullptr) {
      problems.push_back(m.target.pod + " does not replicate from " + candidate + " yet");
    } else if (!cv->link_up) {
      problems.push_back(m.target.pod + "'s link to " + candidate + " is not up (" +
                         LinkText(cv->channel) + ")");
    }
  }
  return Join(problems);
}

}  // namespace dbtopo::remediation
