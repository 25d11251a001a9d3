// Remediator: construction, the rounds it is handed, its status, and the
// automatic loop (persistence, hold-backs) on its own thread.

#include "remediator_impl.h"

namespace dbtopo {

Remediator::Impl::~Impl() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.NotifyAll();
  monitor_.join();
  MutexLock lock(&mu_);
  jobs_cv_.Wait(lock, [this]() DBTOPO_REQUIRES(mu_) { return running_jobs_ == 0; });
}

void Remediator::Impl::OnTopology(std::shared_ptr<const Topology> topology) {
  {
    MutexLock lock(&mu_);
    latest_ = std::move(topology);
    ++topology_seq_;
  }
  cv_.NotifyAll();
}

RemediationStatus Remediator::Impl::Status() const {
  RemediationStatus status;
  status.present = true;
  status.enabled = opt_.config.enabled;
  status.fence_stray_primaries = opt_.config.fence_stray_primaries;
  status.switchover_action = opt_.config.switchover.action;
  status.leadership = CurrentLeadership();
  MutexLock lock(&mu_);
  status.actions_total = counters_;
  for (const auto& [unit, action] : in_flight_) status.in_flight.emplace_back(unit, action);
  status.recent.assign(recent_.begin(), recent_.end());
  status.held_back = held_back_.All();
  return status;
}

void Remediator::Impl::MonitorLoop() {
  while (true) {
    std::shared_ptr<const Topology> topology;
    {
      MutexLock lock(&mu_);
      cv_.Wait(lock,
               [this]() DBTOPO_REQUIRES(mu_) { return stop_ || topology_seq_ != processed_seq_; });
      if (stop_) return;
      topology = latest_;
      processed_seq_ = topology_seq_;
    }
    if (!opt_.config.fence_stray_primaries || topology == nullptr) continue;
    std::set<remediation::HeldBackLedger::Key> wanted;
    for (const auto& [unit, kind] : persistence_.Observe(*topology, opt_.auto_rounds)) {
      wanted.insert({unit, remediation_action::kFence});
      if (HoldBack(unit, remediation_action::kFence, "auto:" + kind)) continue;
      FenceRequest request;
      request.ns = unit.ns;
      request.ns_set = true;
      request.db_cluster = unit.db_cluster;
      request.component = unit.component;
      request.component_set = true;
      RunFence(request, "auto:" + kind, /*automatic=*/true);
      persistence_.Reset(unit);
    }
    MutexLock lock(&mu_);
    held_back_.KeepOnly(wanted);
  }
}

bool Remediator::Impl::HoldBack(const UnitId& unit, const std::string& action,
                                const std::string& trigger) {
  HeldBackAction held{unit, action, trigger, "", UnixNow(), 0};
  const Leadership leadership = CurrentLeadership();
  {
    MutexLock lock(&mu_);
    if (!leadership.leader) {
      held.reason = NotLeaderReason(leadership);
    } else if (auto it = in_flight_.find(unit); it != in_flight_.end()) {
      held.reason = "another action (" + it->second + ") is in flight on the unit";
    } else if (auto left = CooldownLeft(unit, action)) {
      held.reason = "in the " + action + " cooldown (" + FormatDuration(opt_.config.cooldown) +
                    " after the last " + action + ")";
      held.blocked_until_unix = held.since_unix + std::chrono::duration<double>(*left).count();
    } else {
      held_back_.Clear(unit, action);
      return false;
    }
    if (!held_back_.Hold(held)) return true;
  }
  StatusChanged();
  Log(log::Level::kWarn, "automatic action held back",
      {{"unit", UnitName(unit)},
       {"action", action},
       {"trigger", trigger},
       {"reason", held.reason},
       {"blocked_until", held.blocked_until_unix > 0
                             ? remediation::FormatUnixTime(held.blocked_until_unix)
                         : leadership.leader ? "when the action in flight ends"
                                             : "when this replica becomes the leader"}});
  return true;
}

std::string NotLeaderReason(const Leadership& l) {
  return "this replica (" + l.identity + ") is not the remediation leader: lease " + l.lease +
         " is held by " + (l.holder.empty() ? std::string("nobody yet") : l.holder);
}

Remediator::Remediator(RemediatorOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

Remediator::~Remediator() = default;

void Remediator::OnTopology(std::shared_ptr<const Topology> topology) {
  impl_->OnTopology(std::move(topology));
}

std::vector<AlertDecision> Remediator::OnAlerts(const std::vector<Alert>& alerts) {
  return impl_->OnAlerts(alerts);
}

RemediationRecord Remediator::Switchover(const SwitchoverRequest& request,
                                         const std::string& trigger) {
  return impl_->RunSwitchover(request, trigger, /*automatic=*/false);
}

RemediationRecord Remediator::Fence(const FenceRequest& request, const std::string& trigger) {
  return impl_->RunFence(request, trigger, /*automatic=*/false);
}

RemediationStatus Remediator::Status() const { return impl_->Status(); }

Leadership Remediator::CurrentLeadership() const { return impl_->CurrentLeadership(); }

const RemediationConfig& Remediator::config() const { return impl_->config(); }

}  // namespace dbtopo
