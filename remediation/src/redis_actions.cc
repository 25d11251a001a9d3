// Native Redis actions: switchover of a replication set, CLUSTER FAILOVER for
// a Redis Cluster shard, and fence.
//
// Admin connections log in with the cluster's `credentials`. Besides the
// probe's commands that user needs: +replicaof +client|pause +client|unpause
// (replication set), +cluster|failover (Redis Cluster). Replicas authenticate
// to their new master with their own `masterauth` (server config), which
// remediation never changes. See docs/remediation.md.

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "actions.h"
#include "redis_admin.h"

namespace dbtopo::remediation {
namespace {

using redis_admin::Open;
using redis_admin::Preflight;
using redis_admin::RedisAdmin;
using redis_admin::RunOn;

}  // namespace

bool redis_admin::WaitCatchUp(const MemberMap& members, const std::string& old,
                              const std::string& cand, ActionContext& ctx, std::string* detail) {
  std::string error;
  std::unique_ptr<RedisAdmin> master, replica;
  std::optional<std::string> master_offset, replica_offset, link;
  // One field into `*value`; false (with `error` set) when it cannot be read.
  auto read = [&error](RedisAdmin& admin, const char* key, std::optional<std::string>* value) {
    auto field = admin.InfoField("replication", key);
    if (!field) error = field.error().message;
    if (field) *value = *field;
    return field.ok();
  };
  auto open = [&](const std::string& pod, std::unique_ptr<RedisAdmin>* admin) {
    auto opened = Open(members, pod, ctx);
    if (!opened) error = opened.error().message;
    if (opened) *admin = std::move(opened).value();
  };
  while (true) {
    if (!master) open(old, &master);
    if (master && !replica) open(cand, &replica);
    if (master && replica) {
      if (!read(*master, "master_repl_offset", &master_offset)) {
        master.reset();
      } else if (!read(*replica, "slave_repl_offset", &replica_offset) ||
                 !read(*replica, "master_link_status", &link)) {
        replica.reset();
      } else {
        error.clear();
        if (master_offset && master_offset == replica_offset && link == "up") {
          *detail = cand + " reached offset " + *master_offset;
          return true;
        }
      }
    }
    if (ctx.Expired()) {
      *detail = "timeout: " + cand + " at offset " + replica_offset.value_or("?") + " (link " +
                link.value_or("?") + "), " + old + " at " + master_offset.value_or("?") +
                (error.empty() ? "" : "; last error: " + error);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

namespace {

using redis_admin::WaitCatchUp;

// Step 4 of a switchover: REPLICAOF the candidate on the old master (then
// `unpause` its clients) and on the others. Returns the pods it failed on.
template <typename Unpause>
std::vector<std::string> RepointAll(const SwitchoverPlan& plan, const MemberMap& members,
                                    const std::vector<std::string>& replicaof, Unpause unpause,
                                    ActionContext& ctx) {
  const std::string& old = plan.old_primary;
  const Target& ct = members.at(plan.candidate).target;
  std::vector<std::string> failed;
  const std::string plan_text =
      "would run REPLICAOF " + ct.host + " " + std::to_string(ct.port) + " on ";
  if (!old.empty()) {
    if (!ctx.Step("repoint", old, StepKind::kChange, plan_text + old, [&](std::string* detail) {
          return RunOn(members, old, replicaof, ctx, detail);
        })) {
      failed.push_back(old);
    } else {
      unpause();
    }
  }
  for (const auto& other : plan.others) {
    const std::string& pod =
        other.first;  // A named copy: lambdas cannot capture bindings in clang 14.
    if (!ctx.Step("repoint", pod, StepKind::kChange, plan_text + pod, [&](std::string* detail) {
          return RunOn(members, pod, replicaof, ctx, detail);
        })) {
      failed.push_back(pod);
    }
  }
  return failed;
}

std::string Joined(const std::vector<std::string>& pods) {
  std::string out;
  for (const std::string& p : pods) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

ActionOutcome RedisSwitchover(const SwitchoverPlan& plan, const MemberMap& members,
                              ActionContext& ctx) {
  ActionOutcome out;
  const std::string& old = plan.old_primary;
  const std::string& cand = plan.candidate;
  const Target& ct = members.at(cand).target;
  const std::vector<std::string> replicaof = {"REPLICAOF", ct.host, std::to_string(ct.port)};
  std::vector<std::string> pods;
  for (const auto& [pod, access] : members) pods.push_back(pod);
  if (!Preflight(members, pods, ctx)) {
    out.summary = ctx.failed_detail();
    return out;
  }
  bool paused = false;
  auto unpause = [&] {
    if (!paused) return;
    ctx.Step("unpause_writes", old, StepKind::kCleanup, "", [&](std::string* detail) {
      return RunOn(members, old, {"CLIENT", "UNPAUSE"}, ctx, detail);
    });
  };
  if (!plan.resume) {
    // 1. Stop writes on the old master so the candidate can catch up with a
    // final offset. The pause ends by itself at the deadline.
    if (!ctx.Step("pause_writes", old, StepKind::kChange,
                  "would run CLIENT PAUSE <timeout> WRITE on " + old, [&](std::string* detail) {
                    paused = true;
                    return RunOn(
                        members, old,
                        {"CLIENT", "PAUSE",
                         std::to_string(std::max<long long>(1, ctx.Remaining().count())), "WRITE"},
                        ctx, detail);
                  })) {
      unpause();
      out.summary = ctx.failed_detail();
      out.recovery = "nothing was changed; " + old + " accepts writes again (CLIENT UNPAUSE)";
      return out;
    }
    // 2. Wait until the candidate's offset reaches the old master's.
    if (!ctx.Step(
            "wait_catch_up", cand, StepKind::kChange,
            "would wait until " + cand + "'s replication offset matches " + old + "'s",
            [&](std::string* detail) { return WaitCatchUp(members, old, cand, ctx, detail); })) {
      unpause();
      out.summary = ctx.failed_detail();
      out.recovery = "nothing was changed on " + cand + "; " + old +
                     " accepts writes again; retry when " + cand + " can catch up";
      return out;
    }
    // 3. Promote.
    if (!ctx.Step("promote", cand, StepKind::kChange, "would run REPLICAOF NO ONE on " + cand,
                  [&](std::string* detail) {
                    return RunOn(members, cand, {"REPLICAOF", "NO", "ONE"}, ctx, detail);
                  })) {
      unpause();
      out.summary = ctx.failed_detail();
      out.recovery = "check ROLE on " + cand + "; if it is a master now, REPLICAOF " + ct.host +
                     " " + std::to_string(ct.port) + " on the others, else nothing changed";
      return out;
    }
  }
  // 4. Re-point the old master, then let its clients go (they now get
  // READONLY errors instead of hanging), then the others.
  const std::vector<std::string> failed = RepointAll(plan, members, replicaof, unpause, ctx);
  const bool verified = VerifySwitchoverStep(cand, ctx);
  out.ok = verified && failed.empty() && ctx.failed_step().empty();
  if (out.ok) {
    out.summary = cand + " is the master; the others replicate from it";
    return out;
  }
  out.summary = ctx.failed_detail();
  out.recovery = cand + " is the new master. " +
                 (failed.empty() ? std::string("")
                                 : "Run REPLICAOF " + ct.host + " " + std::to_string(ct.port) +
                                       " on " + Joined(failed) + " (" + old +
                                       " stays paused for writes until the timeout). ") +
                 "POST /api/v1/switchover again with candidate " + cand + " to finish";
  return out;
}

ActionOutcome RedisClusterFailover(const SwitchoverPlan& plan, const MemberMap& members,
                                   ActionContext& ctx) {
  ActionOutcome out;
  const std::string& cand = plan.candidate;
  if (!Preflight(members, {cand}, ctx)) {
    out.summary = ctx.failed_detail();
    return out;
  }
  if (!ctx.Step("cluster_failover", cand, StepKind::kChange,
                "would run CLUSTER FAILOVER on " + cand, [&](std::string* detail) {
                  return RunOn(members, cand, {"CLUSTER", "FAILOVER"}, ctx, detail);
                })) {
    out.summary = ctx.failed_detail();
    out.recovery = "nothing was changed (CLUSTER FAILOVER was refused)";
    return out;
  }
  if (!ctx.Step("wait_promotion", cand, StepKind::kChange,
                "would wait until ROLE on " + cand + " says master", [&](std::string* detail) {
                  auto admin = Open(members, cand, ctx);
                  if (!admin) {
                    *detail = admin.error().message;
                    return false;
                  }
                  while (true) {
                    auto ran = (*admin)->Run({"ROLE"});
                    if (!ran) {
                      *detail = ran.error().message;
                      return false;
                    }
                    const std::string& role = *ran;
                    if (role == "master") {
                      *detail = cand + " took over its master's slots (ROLE master)";
                      return true;
                    }
                    if (ctx.Expired()) {
                      *detail = "timeout: " + cand + " is still " + role +
                                " (a manual failover aborts after 5 s when the master does not "
                                "hand over)";
                      return false;
                    }
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                  }
                })) {
    out.summary = ctx.failed_detail();
    out.recovery = "check ROLE / CLUSTER NODES on " + cand + " and " + plan.old_primary +
                   "; an unfinished manual failover changes nothing and can be retried";
    return out;
  }
  out.ok = VerifySwitchoverStep(cand, ctx);
  out.summary = out.ok
                    ? cand + " is the shard's master; " + plan.old_primary + " replicates from it"
                    : ctx.failed_detail();
  if (!out.ok) {
    out.recovery = cand + " is master; CLUSTER NODES should show " + plan.old_primary +
                   " as its replica once gossip converges";
  }
  return out;
}

ActionOutcome RedisFence(const FencePlan& plan, const MemberMap& members, ActionContext& ctx) {
  ActionOutcome out;
  const Target& legit = members.at(plan.legit_primary).target;
  const std::vector<std::string> replicaof = {"REPLICAOF", legit.host, std::to_string(legit.port)};
  std::vector<std::string> failed;
  for (const std::string& pod : plan.strays) {
    if (!ctx.Step(
            "replicaof_primary", pod, StepKind::kChange,
            "would run REPLICAOF " + legit.host + " " + std::to_string(legit.port) + " on " + pod +
                " and nothing else",
            [&](std::string* detail) { return RunOn(members, pod, replicaof, ctx, detail); })) {
      failed.push_back(pod);
    }
  }
  const bool verified = ctx.Step(
      "verify", "", StepKind::kChange, "would re-read the unit until no fenced pod is a master",
      [&](std::string* detail) {
        const std::string problem =
            ctx.WaitFor([&](const UnitView& unit) { return VerifyFence(unit, plan.strays); });
        *detail = problem.empty() ? "no fenced pod is a master" : "timeout: " + problem;
        return problem.empty();
      });
  out.ok = failed.empty() && verified;
  out.summary =
      out.ok ? "fenced " + Joined(plan.strays) + " (now replicas of " + plan.legit_primary + ")"
             : ctx.failed_detail();
  if (!out.ok) {
    out.recovery = "run REPLICAOF " + legit.host + " " + std::to_string(legit.port) + " on " +
                   Joined(plan.strays) + " by hand; " + plan.legit_primary + " was not touched";
  }
  return out;
}

}  // namespace dbtopo::remediation
