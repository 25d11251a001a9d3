// Switchover and fence: a fresh re-read, the policy's plan, the engine's
// native action (or kubeblocks, exec, webhook), the record.

#include "remediator_impl.h"

namespace dbtopo {

RemediationRecord Remediator::Impl::RunSwitchover(const SwitchoverRequest& request,
                                                  const std::string& trigger, bool automatic) {
  const Clock::time_point start = Clock::now();
  RemediationRecord r;
  r.action = remediation_action::kSwitchover;
  r.method = opt_.config.switchover.action;
  r.trigger = trigger;
  r.started_unix = UnixNow();
  r.candidate = request.candidate;
  r.unit = {request.ns, request.db_cluster, request.component};

  return Locked(
      std::move(r), request, automatic, start,
      [&](RemediationRecord rec, const UnitId& unit, const std::vector<DiscoveredTarget>& targets) {
        return Switchover(std::move(rec), request, unit, targets);
      });
}

RemediationRecord Remediator::Impl::RunFence(const FenceRequest& request,
                                             const std::string& trigger, bool automatic) {
  const Clock::time_point start = Clock::now();
  RemediationRecord r;
  r.action = remediation_action::kFence;
  r.method = "native";
  r.trigger = trigger;
  r.started_unix = UnixNow();
  r.unit = {request.ns, request.db_cluster, request.component};
  return Locked(
      std::move(r), request, automatic, start,
      [&](RemediationRecord rec, const UnitId& unit, const std::vector<DiscoveredTarget>& targets) {
        return Fence(std::move(rec), request, unit, targets);
      });
}

Result<UnitView, Refusal> Remediator::Impl::ConfirmedReRead(
    RemediationRecord& r, const std::vector<std::string>& confirm_kinds, const UnitId& unit,
    const std::vector<DiscoveredTarget>& targets) const {
  std::vector<Finding> findings;
  std::optional<UnitView> fresh = ReRead(unit, targets, &findings);
  if (!fresh)
    return Refusal{RemediationCode::kUnavailable, "the unit vanished while re-reading it"};
  if (std::string why = remediation::UnconfirmedClaim(confirm_kinds, findings, r.trigger);
      !why.empty()) {
    r.unconfirmed = true;
    return Refusal{RemediationCode::kRefused, why};
  }
  return std::move(*fresh);
}

RemediationRecord Remediator::Impl::Switchover(RemediationRecord r,
                                               const SwitchoverRequest& request, const UnitId& unit,
                                               const std::vector<DiscoveredTarget>& targets) {
  auto read = ConfirmedReRead(r, request.confirm_kinds, unit, targets);
  if (!read) return Refuse(std::move(r), read.error());
  const UnitView* fresh = &*read;
  const remediation::SwitchoverLimits limits{opt_.config.switchover.max_lag,
                                             opt_.analysis.max_replication_lag_bytes};
  std::string candidate = request.candidate;
  if (candidate.empty()) {
    auto chosen = remediation::ChooseCandidate(*fresh, limits);
    if (!chosen) return Refuse(std::move(r), chosen.error());
    candidate = *chosen;
    r.candidate = candidate;
  }
  auto planned = remediation::PlanSwitchover(*fresh, candidate, limits);
  if (!planned) return Refuse(std::move(r), planned.error());
  const SwitchoverPlan& plan = *planned;
  r.old_primary = plan.old_primary;
  const std::string& method = opt_.config.switchover.action;
  if (plan.resume && method != "native") {
    return Refuse(std::move(r),
                  {RemediationCode::kRefused, "candidate " + candidate +
                                                  " already accepts writes; only the native action "
                                                  "finishes a half-done switchover"});
  }
  std::shared_ptr<const Credentials> replication;
  const remediation::EngineActions& native = remediation::ActionsOf(fresh->engine);
  if (method == "native" && native.needs_replication_user) {
    if (opt_.replication_credentials) replication = opt_.replication_credentials(unit);
    if (replication == nullptr) {
      return Refuse(
          std::move(r),
          {RemediationCode::kRefused,
           "clusters[].replication_credentials is not configured for unit " + UnitName(unit) +
               ": needed to re-point replicas (CHANGE MASTER ... MASTER_USER)"});
    }
  }
  if (method == "kubeblocks") {
    if (unit.ns.empty()) {
      return Refuse(std::move(r),
                    {RemediationCode::kRefused, "the kubeblocks action needs a namespace; unit " +
                                                    UnitName(unit) + " has none"});
    }
    if (opt_.kube == nullptr) {
      return Refuse(std::move(r), {RemediationCode::kUnavailable,
                                   "no Kubernetes API client is configured for the "
                                   "kubeblocks action"});
    }
  }
  const bool dry_run = !opt_.config.enabled || request.dry_run;
  ActionContext ctx = MakeContext(unit, r.action, dry_run);
  const MemberMap members = Members(targets, *fresh);
  ActionOutcome outcome;
  if (method == "native" && !fresh->sentinel_views.empty()) {
    // Sentinel decides failovers for this unit: ask it, never act behind it.
    outcome = remediation::SentinelSwitchover(plan, *fresh, members, ctx);
  } else if (method == "kubeblocks") {
    outcome = remediation::KubeblocksSwitchover(unit, plan, opt_.kube.get(), ctx);
  } else if (method == "exec") {
    outcome = remediation::ExecSwitchover(unit, plan, opt_.config.switchover.command, ctx);
  } else if (method == "webhook") {
    outcome = remediation::WebhookSwitchover(unit, plan, opt_.config.switchover.url, ctx);
  } else {
    outcome = native.switchover(plan, members, replication.get(), ctx);
  }
  Conclude(r, ctx, outcome, dry_run);
  if (r.result == remediation_result::kDryRun) {
    r.reason = std::string("dry run (") +
               (request.dry_run ? "requested" : "remediation.enabled is false") +
               "): would switch " + UnitName(unit) + " over from " + plan.old_primary + " to " +
               candidate + (plan.resume ? " (finishing a half-done switchover)" : "");
  }
  return r;
}

RemediationRecord Remediator::Impl::Fence(RemediationRecord r, const FenceRequest& request,
                                          const UnitId& unit,
                                          const std::vector<DiscoveredTarget>& targets) {
  auto read = ConfirmedReRead(r, request.confirm_kinds, unit, targets);
  if (!read) return Refuse(std::move(r), read.error());
  const UnitView* fresh = &*read;
  if (!fresh->sentinel_views.empty() && !opt_.config.fence_behind_sentinel) {
    return Refuse(std::move(r),
                  {RemediationCode::kRefused,
                   "unit " + UnitName(unit) + " is watched by sentinels (" + SentinelPods(*fresh) +
                       "): they turn a stray master back into a replica themselves; set "
                       "remediation.fence_behind_sentinel to fence anyway"});
  }
  auto planned = remediation::PlanFence(*fresh, request.pod);
  if (!planned) return Refuse(std::move(r), planned.error());
  const FencePlan& plan = *planned;
  r.old_primary = plan.legit_primary;
  r.fenced = plan.strays;
  const bool dry_run = !opt_.config.enabled || request.dry_run;
  ActionContext ctx = MakeContext(unit, r.action, dry_run);
  const MemberMap members = Members(targets, *fresh);
  const remediation::EngineActions::FenceFn fence = remediation::ActionsOf(fresh->engine).fence;
  DBTOPO_ASSERT(fence != nullptr, "PlanFence refuses engines without a fence");
  const ActionOutcome outcome = fence(plan, members, ctx);
  Conclude(r, ctx, outcome, dry_run);
  if (r.result == remediation_result::kDryRun) {
    std::string pods;
    for (const std::string& p : plan.strays) pods += (pods.empty() ? "" : ", ") + p;
    r.reason = std::string("dry run (") +
               (request.dry_run ? "requested" : "remediation.enabled is false") +
               "): would fence " + pods + "; legitimate primary " + plan.legit_primary;
  }
  return r;
}

ActionContext Remediator::Impl::MakeContext(const UnitId& unit, const std::string& action,
                                            bool dry_run) {
  ActionContext::Options o;
  o.deadline = Clock::now() + opt_.config.switchover.timeout;
  o.dry_run = dry_run;
  o.statement_timeout = opt_.probe_timeout;
  o.poll_interval = opt_.verify_interval;
  o.reread = [this, unit] { return ReRead(unit, CurrentTargets(unit)); };
  o.wait_topology = [this](const std::function<bool(const Topology&)>& predicate,
                           Clock::time_point deadline) {
    return WaitTopology(predicate, deadline);
  };
  o.on_step = opt_.on_step;
  o.log_step = [this, unit, action](const RemediationStep& step) {
    Log(step.status == "failed" ? log::Level::kWarn : log::Level::kInfo, "remediation step",
        {{"action", action},
         {"namespace", unit.ns},
         {"db_cluster", unit.db_cluster},
         {"component", unit.component},
         {"step", step.name},
         {"pod", step.pod},
         {"status", step.status},
         {"detail", step.detail}});
  };
  return ActionContext(std::move(o));
}

MemberMap Remediator::Impl::Members(const std::vector<DiscoveredTarget>& targets,
                                    const UnitView& unit) {
  std::set<std::string> sentinels;
  for (const SentinelView& v : unit.sentinel_views) sentinels.insert(v.sentinel_pod);
  MemberMap members;
  for (const DiscoveredTarget& t : targets) {
    // The unit's members, and the sentinels that watch it; a sentinel of
    // another unit read along with it is no member of its actions.
    if (t.target.unit != unit.unit && sentinels.count(t.target.pod) == 0) continue;
    members[t.target.pod] = MemberAccess{t.target, t.credentials};
  }
  return members;
}

std::string Remediator::Impl::SentinelPods(const UnitView& unit) {
  std::set<std::string> pods;
  for (const SentinelView& v : unit.sentinel_views) pods.insert(v.sentinel_pod);
  std::string out;
  for (const std::string& p : pods) out += (out.empty() ? "" : ", ") + p;
  return out;
}

void Remediator::Impl::Conclude(RemediationRecord& r, ActionContext& ctx,
                                const ActionOutcome& outcome, bool dry_run) {
  r.steps = ctx.steps();
  if (!ctx.changed() && !outcome.ok) {
    // Only read steps ran (preflight, position check): nothing changed.
    r.result = remediation_result::kRefused;
    r.code = RemediationCode::kRefused;
    r.reason = outcome.summary;
    r.failed_step = ctx.failed_step();
  } else if (dry_run) {
    r.result = remediation_result::kDryRun;
  } else if (outcome.ok) {
    r.result = remediation_result::kSuccess;
    r.reason = outcome.summary;
  } else {
    r.result = remediation_result::kFailure;
    r.code = RemediationCode::kFailed;
    r.reason = outcome.summary;
    r.failed_step = ctx.failed_step();
    r.recovery = outcome.recovery;
  }
}

}  // namespace dbtopo
