// Switchover of a Redis unit that sentinels watch: through Sentinel, never
// behind its back. A REPLICAOF the sentinels did not order is undone by them
// (+convert-to-slave) or leaves clients asking them for the old master;
// SENTINEL FAILOVER makes them promote a replica, re-point the others and
// publish the new master together.

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "actions.h"
#include "redis_admin.h"

namespace dbtopo::remediation {
namespace {

using redis_admin::RunOn;

// "" when every sentinel names `old` for one master name and can reach its
// quorum; else what is wrong.
std::string SentinelsReady(const std::vector<SentinelView>& sentinels, const std::string& old) {
  std::set<std::string> names;
  for (const SentinelView& v : sentinels) {
    names.insert(v.master_name);
    if (v.master_pod != old) {
      return v.sentinel_pod + " names " + v.master_address + " as master " + v.master_name +
             ", not " + old + ": resolve the sentinels' disagreement first";
    }
    if (v.quorum_ok != true) {
      return v.sentinel_pod + " cannot reach its quorum (SENTINEL CKQUORUM " + v.master_name +
             "): no failover can be authorized";
    }
  }
  if (names.size() != 1) return "the sentinels monitor this unit under several master names";
  return "";
}

// "" when `cand` is the only master by the databases, every other member
// replicates from it with its link up, and every sentinel names it with no
// failover under way.
std::string Converged(const UnitView& unit, const std::string& cand) {
  if (std::string problem = VerifySwitchover(unit, cand); !problem.empty()) return problem;
  if (unit.sentinel_views.empty()) return "no sentinel of the unit answers";
  for (const SentinelView& v : unit.sentinel_views) {
    if (v.master_pod != cand) return v.sentinel_pod + " still names " + v.master_address;
    for (const std::string& flag : v.flags) {
      if (flag == "failover_in_progress") return v.sentinel_pod + " reports the failover under way";
    }
  }
  return "";
}

// min-replicas-to-write no master can satisfy: the old master refuses
// writes (NOREPLICAS) instead of acknowledging writes the promoted replica
// would never see. A refusal is an error a client retries; an acknowledged
// write that vanishes is lost data.
constexpr char kNoWrites[] = "1000000";

// Steps 2 and 3: refuse writes on `old`, then wait until every replica has
// its whole stream. `*prior` gets the setting to restore.
bool FenceAndCatchUp(const UnitView& unit, const std::string& old, const MemberMap& members,
                     std::string* prior, bool* fenced, ActionContext& ctx) {
  if (!ctx.Step("refuse_writes", old, StepKind::kChange,
                "would run CONFIG SET min-replicas-to-write " + std::string(kNoWrites) + " on " +
                    old + " (writes fail with NOREPLICAS until the failover)",
                [&](std::string* detail) {
                  auto admin = redis_admin::Open(members, old, ctx);
                  if (!admin) return (*detail = admin.error().message, false);
                  auto value = (*admin)->ConfigGet("min-replicas-to-write");
                  if (!value) return (*detail = value.error().message, false);
                  *prior = *value;
                  *fenced = true;
                  return RunOn(members, old, {"CONFIG", "SET", "min-replicas-to-write", kNoWrites},
                               ctx, detail);
                })) {
    return false;
  }
  for (const MemberView& m : unit.members) {
    if (m.target.pod == old) continue;
    if (!ctx.Step("wait_catch_up", m.target.pod, StepKind::kChange,
                  "would wait until " + m.target.pod + "'s offset matches " + old + "'s",
                  [&](std::string* detail) {
                    return redis_admin::WaitCatchUp(members, old, m.target.pod, ctx, detail);
                  })) {
      return false;
    }
  }
  return true;
}

// "" when the asked sentinel reports replica-priority 0 for every replica
// in `others` and a positive one for `cand`; else what it still reports.
std::string SentinelSeesPriorities(const SentinelView& asked, const MemberMap& members,
                                   const std::string& cand, const std::vector<std::string>& others,
                                   ActionContext& ctx) {
  auto admin = redis_admin::Open(members, asked.sentinel_pod, ctx);
  if (!admin) return admin.error().message;
  auto reply = (*admin)->RunReply({"SENTINEL", "REPLICAS", asked.master_name}, "");
  if (!reply) return reply.error().message;
  const auto peers = redis::PeersFromReply(reply->get());
  if (!peers) return asked.sentinel_pod + ": SENTINEL REPLICAS gave no list";
  auto priority = [&](const std::string& pod) -> std::optional<int> {
    const Target& t = members.at(pod).target;
    for (const SentinelPeer& p : *peers) {
      if (p.host == t.host && p.port == t.port) return p.replica_priority;
    }
    return std::nullopt;
  };
  if (priority(cand).value_or(0) <= 0) {
    return asked.sentinel_pod + " does not see " + cand + " as a replica it may promote";
  }
  for (const std::string& pod : others) {
    if (priority(pod) != 0) return asked.sentinel_pod + " still sees " + pod + " as promotable";
  }
  return "";
}

// Step: only the candidate may be promoted. Sentinel picks by
// replica-priority first, so the other replicas get priority 0 until the
// asked sentinel has read it (it reads replicas' INFO every 10 s).
bool SteerToCandidate(const UnitView& unit, const std::string& old, const std::string& cand,
                      const SentinelView& asked, const MemberMap& members,
                      std::map<std::string, std::string>* priors, ActionContext& ctx) {
  std::vector<std::string> others;
  for (const MemberView& m : unit.members) {
    if (m.target.pod != old && m.target.pod != cand) others.push_back(m.target.pod);
  }
  return ctx.Step(
      "steer_to_candidate", cand, StepKind::kChange,
      "would set replica-priority 0 on the replicas other than " + cand +
          " until the sentinel sees it, so that Sentinel promotes " + cand,
      [&](std::string* detail) {
        for (const std::string& pod : others) {
          auto admin = redis_admin::Open(members, pod, ctx);
          if (!admin) return (*detail = admin.error().message, false);
          auto value = (*admin)->ConfigGet("replica-priority");
          if (!value) return (*detail = value.error().message, false);
          (*priors)[pod] = *value;
          if (!RunOn(members, pod, {"CONFIG", "SET", "replica-priority", "0"}, ctx, detail)) {
            return false;
          }
        }
        std::string problem;
        while (!(problem = SentinelSeesPriorities(asked, members, cand, others, ctx)).empty() &&
               !ctx.Expired()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        *detail = problem.empty() ? asked.sentinel_pod + " will promote only " + cand
                                  : "timeout: " + problem;
        return problem.empty();
      });
}

// Steps 4 and 5: SENTINEL FAILOVER on `asked`, then wait until the
// databases and every sentinel agree on `cand`.
bool FailOver(const std::string& cand, const SentinelView& asked, const MemberMap& members,
              ActionContext& ctx) {
  const std::string& name = asked.master_name;
  if (!ctx.Step(
          "sentinel_failover", asked.sentinel_pod, StepKind::kChange,
          "would run SENTINEL FAILOVER " + name + " on " + asked.sentinel_pod +
              " (Sentinel chooses the replica to promote)",
          [&](std::string* detail) {
            return RunOn(members, asked.sentinel_pod, {"SENTINEL", "FAILOVER", name}, ctx, detail);
          })) {
    return false;
  }
  return ctx.Step(
      "wait_sentinels_agree", "", StepKind::kChange,
      "would re-read the unit and its sentinels until " + cand + " is the master by all",
      [&](std::string* detail) {
        const std::string problem =
            ctx.WaitFor([&](const UnitView& unit) { return Converged(unit, cand); });
        *detail = problem.empty() ? cand +
                                        " is the master by the databases and by every sentinel; "
                                        "the others replicate from it"
                                  : "timeout: after remediation.switchover.timeout: " + problem;
        return problem.empty();
      });
}

}  // namespace

ActionOutcome SentinelSwitchover(const SwitchoverPlan& plan, const UnitView& unit,
                                 const MemberMap& members, ActionContext& ctx) {
  ActionOutcome out;
  const std::string& old = plan.old_primary;
  const std::vector<SentinelView>& sentinels = unit.sentinel_views;
  DBTOPO_ASSERT(!sentinels.empty(), "a Sentinel switchover needs the unit's sentinels");
  const SentinelView& asked = sentinels.front();
  std::vector<std::string> pods = {asked.sentinel_pod};
  for (const MemberView& m : unit.members) pods.push_back(m.target.pod);
  if (!ctx.Step("check_sentinels", "", StepKind::kRead, "",
                [&](std::string* detail) {
                  *detail = SentinelsReady(sentinels, old);
                  if (!detail->empty()) return false;
                  *detail = std::to_string(sentinels.size()) + " sentinel view(s) name " + old +
                            " as master " + asked.master_name + " and reach their quorum";
                  return true;
                }) ||
      !redis_admin::Preflight(members, pods, ctx)) {
    out.summary = ctx.failed_detail();
    return out;
  }
  const std::string& cand = plan.candidate;
  std::string prior;
  std::map<std::string, std::string> priorities;
  bool fenced = false;
  const bool ok = FenceAndCatchUp(unit, old, members, &prior, &fenced, ctx) &&
                  SteerToCandidate(unit, old, cand, asked, members, &priorities, ctx) &&
                  FailOver(cand, asked, members, ctx);
  if (fenced || !priorities.empty()) {
    ctx.Step("restore_settings", old, StepKind::kCleanup, "", [&](std::string* detail) {
      // On whatever the old master is now (a replica after the failover).
      bool restored =
          !fenced ||
          RunOn(members, old, {"CONFIG", "SET", "min-replicas-to-write", prior}, ctx, detail);
      for (const auto& [pod, value] : priorities) {
        std::string one;
        restored &= RunOn(members, pod, {"CONFIG", "SET", "replica-priority", value}, ctx, &one);
        *detail += (detail->empty() ? "" : "; ") + pod + ": " + one;
      }
      return restored;
    });
  }
  out.ok = ok && ctx.failed_step().empty();
  if (!out.ok) {
    out.summary = ctx.failed_detail();
    out.recovery =
        "replica-priority and min-replicas-to-write are restored; check SENTINEL "
        "MASTER " +
        asked.master_name +
        " on the sentinels and their logs "
        "(+switch-master, -failover-abort-*) for who is master now";
    return out;
  }
  out.summary = cand + " is the master, promoted by Sentinel (SENTINEL FAILOVER " +
                asked.master_name + " on " + asked.sentinel_pod + ")";
  return out;
}

}  // namespace dbtopo::remediation
