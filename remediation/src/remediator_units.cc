// Units: resolving a request to one unit, its lock and cooldown, the record
// history, and the fresh re-read every decision is made on.

#include "dbtopo/analysis/engines.h"
#include "dbtopo/collectors/probe_round.h"
#include "remediator_impl.h"

namespace dbtopo {

RemediationRecord Remediator::Impl::Refuse(RemediationRecord r, const Refusal& refusal) {
  r.result = remediation_result::kRefused;
  r.reason = refusal.reason;
  r.code = refusal.code;
  return r;
}

BasicStatus<Refusal> Remediator::Impl::Resolve(const remediation::UnitSelector& selector,
                                               UnitId* unit,
                                               std::vector<DiscoveredTarget>* unit_targets) const {
  if (opt_.discovery == nullptr)
    return Refusal{RemediationCode::kUnavailable, "no discovery wired into remediation"};
  const std::vector<DiscoveredTarget> all = opt_.discovery->Targets();
  if (all.empty()) return Refusal{RemediationCode::kUnavailable, "no target discovered yet"};
  // Sentinels hold no data: a db_cluster with a Redis and a sentinel
  // component names the Redis unit.
  std::vector<UnitId> known;
  for (const DiscoveredTarget& t : all) {
    if (HasPrimaries(t.target.engine)) known.push_back(t.target.unit);
  }
  auto resolved = remediation::ResolveUnit(known, selector);
  if (!resolved) return resolved.error();
  *unit = *resolved;
  *unit_targets = TargetsOfUnit(all, *unit);
  return {};
}

BasicStatus<Refusal> Remediator::Impl::Acquire(const UnitId& unit, const std::string& action,
                                               bool automatic) {
  // Leadership may have moved since the request was let in.
  if (const Leadership l = CurrentLeadership(); !l.leader)
    return Refusal{RemediationCode::kUnavailable, NotLeaderReason(l)};
  MutexLock lock(&mu_);
  if (auto it = in_flight_.find(unit); it != in_flight_.end()) {
    return Refusal{RemediationCode::kBusy,
                   "another action (" + it->second + ") is in flight on unit " + UnitName(unit)};
  }
  if (automatic) {
    if (auto left = CooldownLeft(unit, action)) {
      return Refusal{RemediationCode::kCoolingDown,
                     "unit " + UnitName(unit) + " is in its " + action + " cooldown (" +
                         FormatDuration(opt_.config.cooldown) + " after the last " + action + "; " +
                         FormatDuration(*left) + " left)"};
    }
  }
  in_flight_[unit] = action;
  lock.Unlock();
  StatusChanged();
  return {};
}

std::optional<std::chrono::milliseconds> Remediator::Impl::CooldownLeft(
    const UnitId& unit, const std::string& action) const {
  auto last = last_action_.find({unit, action});
  const auto now = Clock::now();
  if (last == last_action_.end() ||
      !remediation::InCooldown(last->second, now, opt_.config.cooldown)) {
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(opt_.config.cooldown -
                                                               (now - last->second));
}

void Remediator::Impl::Release(const UnitId& unit, bool automatic,
                               const RemediationRecord& record) {
  MutexLock lock(&mu_);
  in_flight_.erase(unit);
  const bool acted = record.result == remediation_result::kSuccess ||
                     record.result == remediation_result::kFailure;
  if ((automatic && !record.unconfirmed) || acted) {
    last_action_[{unit, record.action}] = Clock::now();
  }
}

RemediationRecord Remediator::Impl::Finish(RemediationRecord r, Clock::time_point start) {
  r.duration_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  {
    MutexLock lock(&mu_);
    r.id = next_id_++;
    ++counters_[{r.action, r.result}];
    recent_.push_back(r);
    // Keep at most history_per_unit records per unit.
    std::size_t same = 0;
    for (const RemediationRecord& x : recent_) same += x.unit == r.unit;
    if (same > opt_.history_per_unit) {
      for (auto it = recent_.begin(); it != recent_.end(); ++it) {
        if (it->unit == r.unit) {
          recent_.erase(it);
          break;
        }
      }
    }
  }
  StatusChanged();
  std::string pods = r.candidate;
  for (const std::string& p : r.fenced) pods += (pods.empty() ? "" : ",") + p;
  const log::Level level =
      r.result == remediation_result::kSuccess || r.result == remediation_result::kDryRun
          ? log::Level::kInfo
          : log::Level::kWarn;
  Log(level, "remediation decision",
      {{"action", r.action},
       {"result", r.result},
       {"trigger", r.trigger},
       {"method", r.method},
       {"namespace", r.unit.ns},
       {"db_cluster", r.unit.db_cluster},
       {"component", r.unit.component},
       {"pods", pods},
       {"failed_step", r.failed_step},
       {"reason", r.reason}});
  return r;
}

Observation Remediator::Impl::ProbeOnce(const DiscoveredTarget& t) const {
  static const Credentials kNone;
  const Credentials& credentials = t.credentials ? *t.credentials : kNone;
  if (opt_.probe) return opt_.probe(t.target, credentials, opt_.probe_timeout);
  std::unique_ptr<Probe> probe = MakeProbe(t.target, credentials, ProbeOptions{opt_.probe_timeout});
  if (probe == nullptr) {
    Observation o;
    o.error = std::string("no probe for engine ") + EngineName(t.target.engine);
    return o;
  }
  return probe->Collect();
}

std::optional<UnitView> Remediator::Impl::ReRead(const UnitId& unit,
                                                 const std::vector<DiscoveredTarget>& targets,
                                                 std::vector<Finding>* findings) const {
  std::vector<Target> probed;
  for (const DiscoveredTarget& t : targets) probed.push_back(t.target);
  ProbeRound round = ProbeAndAnalyze(
      *opt_.pool, probed, [&](std::size_t i) { return ProbeOnce(targets[i]); },
      [this] { return opt_.analysis; });
  Topology& topology = round.topology;
  if (findings != nullptr) {
    for (Finding& f : topology.findings) {
      if (f.unit == unit) findings->push_back(std::move(f));
    }
  }
  for (UnitView& u : topology.units) {
    if (u.unit == unit) return std::move(u);
  }
  return std::nullopt;
}

std::vector<DiscoveredTarget> Remediator::Impl::CurrentTargets(const UnitId& unit) const {
  return TargetsOfUnit(opt_.discovery->Targets(), unit);
}

std::vector<DiscoveredTarget> Remediator::Impl::TargetsOfUnit(
    const std::vector<DiscoveredTarget>& all, const UnitId& unit) {
  std::vector<DiscoveredTarget> out;
  for (const DiscoveredTarget& t : all) {
    // With the unit, every sentinel that may watch it (its namespace, tied
    // to its db_cluster or by address): a fresh read must show what they
    // believe too.
    const bool sentinel =
        !HasPrimaries(t.target.engine) && t.target.unit.ns == unit.ns &&
        (t.target.sentinel_for.empty() || t.target.sentinel_for == unit.db_cluster);
    if (t.target.unit == unit || sentinel) out.push_back(t);
  }
  return out;
}

std::shared_ptr<const Topology> Remediator::Impl::WaitTopology(
    const std::function<bool(const Topology&)>& predicate, Clock::time_point deadline) {
  MutexLock lock(&mu_);
  std::shared_ptr<const Topology> last = latest_;
  while (true) {
    last = latest_;
    if (last != nullptr && predicate(*last)) return last;
    const std::uint64_t seen = topology_seq_;
    if (!cv_.WaitUntil(lock, deadline,
                       [&]() DBTOPO_REQUIRES(mu_) { return stop_ || topology_seq_ != seen; })) {
      return latest_;
    }
    if (stop_) return latest_;
  }
}

}  // namespace dbtopo
