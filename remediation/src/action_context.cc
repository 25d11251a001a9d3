#include <thread>

#include "actions.h"

namespace dbtopo::remediation {

std::chrono::milliseconds ActionContext::Remaining() const {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.deadline - Clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

bool ActionContext::Step(const std::string& name, const std::string& pod, StepKind kind,
                         const std::string& plan,
                         const std::function<bool(std::string* detail)>& fn) {
  RemediationStep step;
  step.name = name;
  step.pod = pod;
  if (options_.dry_run && kind != StepKind::kRead) {
    step.status = "planned";
    step.detail = plan;
    steps_.push_back(step);
    if (options_.log_step) options_.log_step(step);
    return true;
  }
  if (options_.on_step) options_.on_step(name, pod);
  const Clock::time_point start = Clock::now();
  bool ok = false;
  if (Expired() && kind != StepKind::kCleanup) {
    step.detail = "timeout: remediation.switchover.timeout passed before this step could run";
  } else {
    if (kind != StepKind::kRead) changed_ = true;
    ok = fn(&step.detail);
  }
  step.status = ok ? "ok" : "failed";
  step.duration_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  steps_.push_back(step);
  if (!ok && failed_step_.empty()) {
    failed_step_ = name;
    failed_detail_ = step.detail;
  }
  if (options_.log_step) options_.log_step(step);
  return ok;
}

std::string ActionContext::WaitFor(const std::function<std::string(const UnitView&)>& check) {
  std::string problem = "no fresh read of the unit";
  while (true) {
    if (options_.reread) {
      if (std::optional<UnitView> unit = options_.reread()) {
        problem = check(*unit);
        if (problem.empty()) return "";
      } else {
        problem = "the unit is no longer discovered";
      }
    }
    if (Remaining() <= options_.poll_interval) {
      // One last look would overrun the deadline.
      if (Expired()) return problem;
      std::this_thread::sleep_for(Remaining());
      continue;
    }
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

bool VerifySwitchoverStep(const std::string& candidate, ActionContext& ctx) {
  return ctx.Step(
      // kChange only so that a dry run lists it as planned; it reads.
      "verify", "", StepKind::kChange,
      "would re-read the unit until " + candidate +
          " is the only primary and the others "
          "replicate from it",
      [&](std::string* detail) {
        const std::string problem =
            ctx.WaitFor([&](const UnitView& unit) { return VerifySwitchover(unit, candidate); });
        if (problem.empty()) {
          *detail = candidate +
                    " is the only writable member; every other member replicates "
                    "from it with its link up";
          return true;
        }
        *detail = "timeout: after remediation.switchover.timeout: " + problem;
        return false;
      });
}

ActionOutcome RunExternalSwitchover(const ExternalSwitchover& external, ActionContext& ctx) {
  ActionOutcome out;
  if (!ctx.Step(external.step, "", StepKind::kChange, external.plan, external.hand_over)) {
    out.summary = ctx.failed_detail();
    out.recovery = external.recovery;
    return out;
  }
  const std::string& who = external.who;
  const std::string& candidate = external.candidate;
  out.ok = VerifySwitchoverStep(candidate, ctx);
  out.summary = out.ok ? who + " switched over to " + candidate : ctx.failed_detail();
  if (!out.ok) {
    out.recovery = who + " accepted the switchover but the unit did not converge on " + candidate +
                   " within the timeout";
  }
  return out;
}

}  // namespace dbtopo::remediation
