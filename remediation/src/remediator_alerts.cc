// Alertmanager notifications: each mapped firing alert becomes a switchover
// or fence request on its own thread; the reply waits up to alert_reply_wait.

#include "remediator_impl.h"

namespace dbtopo {
namespace {

// One alert's action running on its own thread; `done` once `record` is set.
struct Job {
  Mutex mu;
  CondVar cv;
  bool done DBTOPO_GUARDED_BY(mu) = false;
  RemediationRecord record DBTOPO_GUARDED_BY(mu);
};

// The alert's name, status and unit labels; the decision is still open.
AlertDecision DecisionFor(const Alert& alert) {
  auto label = [&](const char* key) {
    auto it = alert.labels.find(key);
    return it == alert.labels.end() ? std::string() : it->second;
  };
  AlertDecision d;
  d.alertname = label("alertname");
  d.status = alert.status;
  d.ns = label("namespace");
  d.db_cluster = label("db_cluster");
  d.component = label("component");
  d.pod = label("pod");
  return d;
}

// Each decision, with its job's result when the job finished by `until`.
std::vector<AlertDecision> Collect(
    std::vector<std::pair<AlertDecision, std::shared_ptr<Job>>>& entries, Clock::time_point until) {
  std::vector<AlertDecision> out;
  for (auto& entry : entries) {
    AlertDecision& d = entry.first;
    const std::shared_ptr<Job>& job = entry.second;
    if (job != nullptr) {
      MutexLock lock(&job->mu);
      if (job->cv.WaitUntil(lock, until, [&job]() DBTOPO_REQUIRES(job->mu) { return job->done; })) {
        d.decision = job->record.result;
        d.reason = job->record.reason;
        d.record = job->record;
      } else {
        d.decision = "in_progress";
        d.reason = "still running; its result will be in /api/v1/topology (remediation)";
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

std::vector<AlertDecision> Remediator::Impl::OnAlerts(const std::vector<Alert>& alerts) {
  std::vector<std::pair<AlertDecision, std::shared_ptr<Job>>> entries;
  std::set<std::string> started;  // action|unit selector, to skip duplicates
  for (const Alert& alert : alerts) {
    AlertDecision d = DecisionFor(alert);
    auto ignore = [&](const std::string& why) {
      d.decision = "ignored";
      d.reason = why;
      entries.emplace_back(std::move(d), nullptr);
    };
    if (alert.status != "firing") {
      ignore("alert is " + (alert.status.empty() ? std::string("not firing") : alert.status));
      continue;
    }
    auto mapped = opt_.config.alert_actions.find(d.alertname);
    if (mapped == opt_.config.alert_actions.end()) {
      ignore("no remediation.alert_actions entry for alertname \"" + d.alertname + "\"");
      continue;
    }
    d.action = mapped->second;
    const std::string key = d.action + "|" + d.ns + "|" + d.db_cluster + "|" + d.component + "|" +
                            (d.action == "fence" ? d.pod : "");
    if (!started.insert(key).second) {
      ignore("duplicate of an earlier alert in this notification");
      continue;
    }
    auto job = std::make_shared<Job>();
    std::function<RemediationRecord()> run = AlertRun(alert, d);
    {
      MutexLock lock(&mu_);
      ++running_jobs_;
    }
    std::thread([this, job, run] {
      RemediationRecord record = run();
      {
        MutexLock lock(&job->mu);
        job->record = std::move(record);
        job->done = true;
      }
      job->cv.NotifyAll();
      MutexLock lock(&mu_);
      --running_jobs_;
      jobs_cv_.NotifyAll();
    }).detach();
    entries.emplace_back(std::move(d), job);
  }
  return Collect(entries, Clock::now() + opt_.alert_reply_wait);
}

std::function<RemediationRecord()> Remediator::Impl::AlertRun(const Alert& alert,
                                                              const AlertDecision& d) {
  const std::string trigger = "alert:" + d.alertname;
  if (d.action == "switchover") {
    SwitchoverRequest r = AlertRequest<SwitchoverRequest>(alert, d);
    return [this, r, trigger] { return RunSwitchover(r, trigger, /*automatic=*/true); };
  }
  FenceRequest r = AlertRequest<FenceRequest>(alert, d);
  r.pod = d.pod;
  return [this, r, trigger] { return RunFence(r, trigger, /*automatic=*/true); };
}

}  // namespace dbtopo
