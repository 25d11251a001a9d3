#pragma once

// The Remediator's state and its decisions, shared by the files that
// implement them: remediator.cc (construction, rounds, status, the automatic
// loop), remediator_alerts.cc (Alertmanager notifications),
// remediator_decisions.cc (switchover and fence) and remediator_units.cc
// (unit locks, cooldowns, history and fresh re-reads).

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "actions.h"
#include "alert_claims.h"
#include "dbtopo/base/assert.h"
#include "dbtopo/base/duration.h"
#include "dbtopo/base/mutex.h"
#include "dbtopo/collectors/probe.h"
#include "dbtopo/remediation/remediator.h"
#include "engine_actions.h"
#include "held_back.h"
#include "policy.h"

namespace dbtopo {
namespace remediation {

/// Now as Unix time, seconds.
inline double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace remediation

using remediation::ActionContext;
using remediation::ActionOutcome;
using remediation::Clock;
using remediation::FencePlan;
using remediation::MemberAccess;
using remediation::MemberMap;
using remediation::Refusal;
using remediation::SwitchoverPlan;
using remediation::UnitName;
using remediation::UnixNow;

class Remediator::Impl {
 public:
  using Fields = log::KeyValues;

  const RemediationConfig& config() const { return opt_.config; }

  Leadership CurrentLeadership() const {
    return opt_.leadership ? opt_.leadership() : Leadership{};
  }

  // Workers of the fresh re-reads when the options bring none.
  static constexpr std::size_t kOwnPoolThreads = 16;

  explicit Impl(RemediatorOptions options) : opt_(std::move(options)) {
    if (opt_.pool == nullptr) {
      own_pool_ = std::make_unique<WorkerPool>(kOwnPoolThreads);
      opt_.pool = own_pool_.get();
    }
    for (const char* action : {remediation_action::kSwitchover, remediation_action::kFence}) {
      for (const char* result : {remediation_result::kSuccess, remediation_result::kFailure,
                                 remediation_result::kDryRun, remediation_result::kRefused}) {
        counters_[{action, result}] = 0;
      }
    }
    Log(log::Level::kInfo, "remediation hook ready",
        {{"enabled", opt_.config.enabled ? "true" : "false"},
         {"dry_run", opt_.config.enabled ? "false" : "true"},
         {"switchover_action", opt_.config.switchover.action},
         {"fence_stray_primaries", opt_.config.fence_stray_primaries ? "true" : "false"},
         {"cooldown", FormatDuration(opt_.config.cooldown)},
         {"token", opt_.config.token.empty() ? "none (POST endpoints answer 401)" : "set"}});
    monitor_ = std::thread([this] { MonitorLoop(); });
  }

  ~Impl();

  // ------------------------------------------------------------ inputs

  void OnTopology(std::shared_ptr<const Topology> topology);

  RemediationStatus Status() const;

  // ------------------------------------------------------------ alerts

  std::vector<AlertDecision> OnAlerts(const std::vector<Alert>& alerts);

  // The request an alert makes: the unit its labels name, and the findings
  // it claims (to be confirmed by the fresh read).
  template <typename Request>
  static Request AlertRequest(const Alert& alert, const AlertDecision& d) {
    Request r;
    r.confirm_kinds = remediation::AlertClaims(d.alertname, d.action);
    r.ns = d.ns;
    r.ns_set = alert.labels.contains("namespace");
    r.db_cluster = d.db_cluster;
    r.component = d.component;
    r.component_set = alert.labels.contains("component");
    return r;
  }

  // The action an alert asks for, as a call to run on its own thread.
  std::function<RemediationRecord()> AlertRun(const Alert& alert, const AlertDecision& d);

  // ------------------------------------------------------------ decisions

  RemediationRecord RunSwitchover(const SwitchoverRequest& request, const std::string& trigger,
                                  bool automatic);

  RemediationRecord RunFence(const FenceRequest& request, const std::string& trigger,
                             bool automatic);

 private:
  // The safety rail every action goes through: resolve the unit (refuse
  // unknown or ambiguous), take its lock (refuse when another action is in
  // flight or, for automatic triggers, in cooldown), act, release, record.
  template <typename Request, typename Act>
  RemediationRecord Locked(RemediationRecord r, const Request& request, bool automatic,
                           Clock::time_point start, Act act) {
    std::vector<DiscoveredTarget> targets;
    UnitId unit;
    if (auto resolved = Resolve({request.ns, request.ns_set, request.db_cluster, request.component,
                                 request.component_set},
                                &unit, &targets);
        !resolved) {
      return Finish(Refuse(std::move(r), resolved.error()), start);
    }
    r.unit = unit;
    if (auto acquired = Acquire(unit, r.action, automatic); !acquired) {
      return Finish(Refuse(std::move(r), acquired.error()), start);
    }
    RemediationRecord done = act(std::move(r), unit, targets);
    Release(unit, automatic, done);
    return Finish(std::move(done), start);
  }

  // ------------------------------------------------------------ helpers

  void Log(log::Level level, const std::string& msg, const Fields& fields) const {
    log::To(opt_.log, level, msg, fields);
  }

  static RemediationRecord Refuse(RemediationRecord r, const Refusal& refusal);

  // Resolves the unit against discovery's current targets; fills the unit's
  // targets.
  BasicStatus<Refusal> Resolve(const remediation::UnitSelector& selector, UnitId* unit,
                               std::vector<DiscoveredTarget>* unit_targets) const;

  // Takes the unit's lock (and, for automatic actions, checks the cooldown).
  BasicStatus<Refusal> Acquire(const UnitId& unit, const std::string& action, bool automatic);

  // The time left in the cooldown of `action` on `unit`, if it is in one.
  // Cooldowns are per action: they separate two fences (or two
  // switchovers) of one unit, while a fence after a switchover (a stray
  // primary it left, say) is idempotent and must not wait.
  std::optional<std::chrono::milliseconds> CooldownLeft(const UnitId& unit,
                                                        const std::string& action) const
      DBTOPO_REQUIRES(mu_);

  // Releases the lock and starts the cooldown: after any decision of an
  // automatic trigger, and after an API action that changed something.
  void Release(const UnitId& unit, bool automatic, const RemediationRecord& record);

  RemediationRecord Finish(RemediationRecord r, Clock::time_point start);

  // Tells the exporter that Status() changed; call holding no lock.
  void StatusChanged() DBTOPO_EXCLUDES(mu_) {
    if (opt_.on_status_change) opt_.on_status_change();
  }

  Observation ProbeOnce(const DiscoveredTarget& t) const;

  // The fresh read a decision is made on, or why not: the unit vanished, or
  // the read does not show what the trigger claimed (then r.unconfirmed).
  Result<UnitView, Refusal> ConfirmedReRead(RemediationRecord& r,
                                            const std::vector<std::string>& confirm_kinds,
                                            const UnitId& unit,
                                            const std::vector<DiscoveredTarget>& targets) const;

  // Fresh probes of every target of the unit (in parallel), analysed.
  std::optional<UnitView> ReRead(const UnitId& unit, const std::vector<DiscoveredTarget>& targets,
                                 std::vector<Finding>* findings = nullptr) const;

  std::vector<DiscoveredTarget> CurrentTargets(const UnitId& unit) const;
  /// Of `all`, the targets of `unit` and of every sentinel that may watch it
  /// (same namespace, sentinel_for empty or the unit's db_cluster).
  static std::vector<DiscoveredTarget> TargetsOfUnit(const std::vector<DiscoveredTarget>& all,
                                                     const UnitId& unit);

  std::shared_ptr<const Topology> WaitTopology(
      const std::function<bool(const Topology&)>& predicate, Clock::time_point deadline);

  ActionContext MakeContext(const UnitId& unit, const std::string& action, bool dry_run);

  /// Access to the members of `unit` and to the sentinels that watch it.
  static MemberMap Members(const std::vector<DiscoveredTarget>& targets, const UnitView& unit);
  /// "sentinel-0, sentinel-1": the pods of unit.sentinel_views.
  static std::string SentinelPods(const UnitView& unit);

  // Applies an action's outcome to the record.
  static void Conclude(RemediationRecord& r, ActionContext& ctx, const ActionOutcome& outcome,
                       bool dry_run);

  RemediationRecord Switchover(RemediationRecord r, const SwitchoverRequest& request,
                               const UnitId& unit, const std::vector<DiscoveredTarget>& targets);

  RemediationRecord Fence(RemediationRecord r, const FenceRequest& request, const UnitId& unit,
                          const std::vector<DiscoveredTarget>& targets);

  // The remediator's own thread: automatic fencing from each round's
  // findings (persistence, cooldown, lock, fresh re-read, dry run).
  void MonitorLoop();

  // True when the unit's lock or the action's cooldown holds `action` back;
  // the first time, the wait is logged and shown in the status until the
  // problem clears or the action runs.
  bool HoldBack(const UnitId& unit, const std::string& action, const std::string& trigger);

  RemediatorOptions opt_;
  std::unique_ptr<WorkerPool> own_pool_;  // Only when opt_.pool was null.
  mutable Mutex mu_;
  CondVar cv_;
  CondVar jobs_cv_;
  std::shared_ptr<const Topology> latest_ DBTOPO_GUARDED_BY(mu_);
  std::uint64_t topology_seq_ DBTOPO_GUARDED_BY(mu_) = 0;
  std::uint64_t processed_seq_ DBTOPO_GUARDED_BY(mu_) = 0;
  bool stop_ DBTOPO_GUARDED_BY(mu_) = false;
  int running_jobs_ DBTOPO_GUARDED_BY(mu_) = 0;
  std::map<UnitId, std::string> in_flight_ DBTOPO_GUARDED_BY(mu_);
  // (unit, action) -> when it last ran.
  std::map<std::pair<UnitId, std::string>, Clock::time_point> last_action_ DBTOPO_GUARDED_BY(mu_);
  remediation::HeldBackLedger held_back_ DBTOPO_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, std::uint64_t> counters_ DBTOPO_GUARDED_BY(mu_);
  std::deque<RemediationRecord> recent_ DBTOPO_GUARDED_BY(mu_);
  std::uint64_t next_id_ DBTOPO_GUARDED_BY(mu_) = 1;
  remediation::Persistence persistence_;  // Monitor thread only.
  std::thread monitor_;
};

}  // namespace dbtopo
