#include "dbtopo/remediation/remediator.h"

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
#include "dbtopo/collectors/probe.h"
#include "engine_actions.h"
#include "held_back.h"
#include "policy.h"

namespace dbtopo {

using remediation::ActionContext;
using remediation::ActionOutcome;
using remediation::Clock;
using remediation::FencePlan;
using remediation::MemberAccess;
using remediation::MemberMap;
using remediation::Refusal;
using remediation::SwitchoverPlan;
using remediation::UnitName;

namespace {

using Fields = log::KeyValues;

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

class Remediator::Impl {
 public:
  const RemediationConfig& config() const { return opt_.config; }

  Leadership CurrentLeadership() const {
    return opt_.leadership ? opt_.leadership() : Leadership{};
  }

  explicit Impl(RemediatorOptions options) : opt_(std::move(options)) {
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

  ~Impl() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    monitor_.join();
    std::unique_lock lock(mu_);
    jobs_cv_.wait(lock, [this] { return running_jobs_ == 0; });
  }

  // ------------------------------------------------------------ inputs

  void OnTopology(std::shared_ptr<const Topology> topology) {
    {
      std::lock_guard lock(mu_);
      latest_ = std::move(topology);
      ++topology_seq_;
    }
    cv_.notify_all();
  }

  RemediationStatus Status() const {
    RemediationStatus status;
    status.present = true;
    status.enabled = opt_.config.enabled;
    status.fence_stray_primaries = opt_.config.fence_stray_primaries;
    status.switchover_action = opt_.config.switchover.action;
    status.leadership = CurrentLeadership();
    std::lock_guard lock(mu_);
    status.actions_total = counters_;
    for (const auto& [unit, action] : in_flight_) status.in_flight.emplace_back(unit, action);
    status.recent.assign(recent_.begin(), recent_.end());
    status.held_back = held_back_.All();
    return status;
  }

  // ------------------------------------------------------------ alerts

  std::vector<AlertDecision> OnAlerts(const std::vector<Alert>& alerts) {
    struct Job {
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      RemediationRecord record;
    };
    std::vector<std::pair<AlertDecision, std::shared_ptr<Job>>> entries;
    std::set<std::string> started;  // action|unit selector, to skip duplicates
    for (const Alert& alert : alerts) {
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
        std::lock_guard lock(mu_);
        ++running_jobs_;
      }
      std::thread([this, job, run] {
        RemediationRecord record = run();
        {
          std::lock_guard lock(job->mu);
          job->record = std::move(record);
          job->done = true;
        }
        job->cv.notify_all();
        std::lock_guard lock(mu_);
        --running_jobs_;
        jobs_cv_.notify_all();
      }).detach();
      entries.emplace_back(std::move(d), job);
    }
    const auto until = Clock::now() + opt_.alert_reply_wait;
    std::vector<AlertDecision> out;
    for (auto& [d, job] : entries) {
      if (job != nullptr) {
        std::unique_lock lock(job->mu);
        if (job->cv.wait_until(lock, until, [&] { return job->done; })) {
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
  std::function<RemediationRecord()> AlertRun(const Alert& alert, const AlertDecision& d) {
    const std::string trigger = "alert:" + d.alertname;
    if (d.action == "switchover") {
      SwitchoverRequest r = AlertRequest<SwitchoverRequest>(alert, d);
      return [this, r, trigger] { return RunSwitchover(r, trigger, /*automatic=*/true); };
    }
    FenceRequest r = AlertRequest<FenceRequest>(alert, d);
    r.pod = d.pod;
    return [this, r, trigger] { return RunFence(r, trigger, /*automatic=*/true); };
  }

  // ------------------------------------------------------------ decisions

  RemediationRecord RunSwitchover(const SwitchoverRequest& request, const std::string& trigger,
                                  bool automatic) {
    const Clock::time_point start = Clock::now();
    RemediationRecord r;
    r.action = remediation_action::kSwitchover;
    r.method = opt_.config.switchover.action;
    r.trigger = trigger;
    r.started_unix = UnixNow();
    r.candidate = request.candidate;
    r.unit = {request.ns, request.db_cluster, request.component};

    return Locked(std::move(r), request, automatic, start,
                  [&](RemediationRecord rec, const UnitId& unit,
                      const std::vector<DiscoveredTarget>& targets) {
                    return Switchover(std::move(rec), request, unit, targets);
                  });
  }

  RemediationRecord RunFence(const FenceRequest& request, const std::string& trigger,
                             bool automatic) {
    const Clock::time_point start = Clock::now();
    RemediationRecord r;
    r.action = remediation_action::kFence;
    r.method = "native";
    r.trigger = trigger;
    r.started_unix = UnixNow();
    r.unit = {request.ns, request.db_cluster, request.component};
    return Locked(std::move(r), request, automatic, start,
                  [&](RemediationRecord rec, const UnitId& unit,
                      const std::vector<DiscoveredTarget>& targets) {
                    return Fence(std::move(rec), request, unit, targets);
                  });
  }

 private:
  // The safety rail every action goes through: resolve the unit (refuse
  // unknown or ambiguous), take its lock (refuse when another action is in
  // flight or, for automatic triggers, in cooldown), act, release, record.
  template <typename Request, typename Act>
  RemediationRecord Locked(RemediationRecord r, const Request& request, bool automatic,
                           Clock::time_point start, Act act) {
    std::vector<DiscoveredTarget> targets;
    UnitId unit;
    if (auto refused = Resolve({request.ns, request.ns_set, request.db_cluster, request.component,
                                request.component_set},
                               &unit, &targets)) {
      return Finish(Refuse(std::move(r), *refused), start);
    }
    r.unit = unit;
    if (std::optional<Refusal> busy = Acquire(unit, r.action, automatic)) {
      return Finish(Refuse(std::move(r), *busy), start);
    }
    RemediationRecord done = act(std::move(r), unit, targets);
    Release(unit, automatic, done);
    return Finish(std::move(done), start);
  }

  // ------------------------------------------------------------ helpers

  void Log(log::Level level, const std::string& msg, const Fields& fields) const {
    log::To(opt_.log, level, msg, fields);
  }

  static RemediationRecord Refuse(RemediationRecord r, const Refusal& refusal) {
    r.result = remediation_result::kRefused;
    r.reason = refusal.reason;
    r.code = refusal.code;
    return r;
  }

  // Resolves the unit against discovery's current targets; fills the unit's
  // targets.
  std::optional<Refusal> Resolve(const remediation::UnitSelector& selector, UnitId* unit,
                                 std::vector<DiscoveredTarget>* unit_targets) const {
    if (opt_.discovery == nullptr)
      return Refusal{RemediationCode::kUnavailable, "no discovery wired into remediation"};
    const std::vector<DiscoveredTarget> all = opt_.discovery->Targets();
    if (all.empty()) return Refusal{RemediationCode::kUnavailable, "no target discovered yet"};
    std::vector<UnitId> known;
    for (const DiscoveredTarget& t : all) known.push_back(t.target.unit);
    auto resolved = remediation::ResolveUnit(known, selector);
    if (auto* refusal = std::get_if<Refusal>(&resolved)) return *refusal;
    *unit = std::get<UnitId>(resolved);
    for (const DiscoveredTarget& t : all) {
      if (t.target.unit == *unit) unit_targets->push_back(t);
    }
    return std::nullopt;
  }

  // Takes the unit's lock (and, for automatic actions, checks the cooldown).
  std::optional<Refusal> Acquire(const UnitId& unit, const std::string& action, bool automatic) {
    // Leadership may have moved since the request was let in.
    if (const Leadership l = CurrentLeadership(); !l.leader)
      return Refusal{RemediationCode::kUnavailable, NotLeaderReason(l)};
    std::lock_guard lock(mu_);
    if (auto it = in_flight_.find(unit); it != in_flight_.end()) {
      return Refusal{RemediationCode::kBusy,
                     "another action (" + it->second + ") is in flight on unit " + UnitName(unit)};
    }
    if (automatic) {
      if (auto left = CooldownLeft(unit, action)) {
        return Refusal{RemediationCode::kCoolingDown,
                       "unit " + UnitName(unit) + " is in its " + action + " cooldown (" +
                           FormatDuration(opt_.config.cooldown) + " after the last " + action +
                           "; " + FormatDuration(*left) + " left)"};
      }
    }
    in_flight_[unit] = action;
    return std::nullopt;
  }

  // The time left in the cooldown of `action` on `unit`, if it is in one.
  // Cooldowns are per action: they separate two fences (or two
  // switchovers) of one unit, while a fence after a switchover (a stray
  // primary it left, say) is idempotent and must not wait. Requires mu_.
  std::optional<std::chrono::milliseconds> CooldownLeft(const UnitId& unit,
                                                        const std::string& action) const {
    auto last = last_action_.find({unit, action});
    const auto now = Clock::now();
    if (last == last_action_.end() ||
        !remediation::InCooldown(last->second, now, opt_.config.cooldown)) {
      return std::nullopt;
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(opt_.config.cooldown -
                                                                 (now - last->second));
  }

  // Releases the lock and starts the cooldown: after any decision of an
  // automatic trigger, and after an API action that changed something.
  void Release(const UnitId& unit, bool automatic, const RemediationRecord& record) {
    std::lock_guard lock(mu_);
    in_flight_.erase(unit);
    const bool acted = record.result == remediation_result::kSuccess ||
                       record.result == remediation_result::kFailure;
    if ((automatic && !record.unconfirmed) || acted) {
      last_action_[{unit, record.action}] = Clock::now();
    }
  }

  RemediationRecord Finish(RemediationRecord r, Clock::time_point start) {
    r.duration_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    {
      std::lock_guard lock(mu_);
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

  Observation ProbeOnce(const DiscoveredTarget& t) const {
    static const Credentials kNone;
    const Credentials& credentials = t.credentials ? *t.credentials : kNone;
    if (opt_.probe) return opt_.probe(t.target, credentials, opt_.probe_timeout);
    std::unique_ptr<Probe> probe =
        MakeProbe(t.target, credentials, ProbeOptions{opt_.probe_timeout});
    if (probe == nullptr) {
      Observation o;
      o.error = std::string("no probe for engine ") + EngineName(t.target.engine);
      return o;
    }
    return probe->Collect();
  }

  // Fresh probes of every target of the unit (in parallel), analysed.
  std::optional<UnitView> ReRead(const UnitId& unit, const std::vector<DiscoveredTarget>& targets,
                                 std::vector<Finding>* findings = nullptr) const {
    std::vector<Member> members(targets.size());
    {
      std::vector<std::thread> threads;
      threads.reserve(targets.size());
      for (std::size_t i = 0; i < targets.size(); ++i) {
        threads.emplace_back([&, i] {
          members[i].target = targets[i].target;
          members[i].observation = ProbeOnce(targets[i]);
        });
      }
      for (std::thread& t : threads) t.join();
    }
    Topology topology = Analyze(members, opt_.analysis);
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

  std::vector<DiscoveredTarget> CurrentTargets(const UnitId& unit) const {
    std::vector<DiscoveredTarget> out;
    for (DiscoveredTarget& t : opt_.discovery->Targets()) {
      if (t.target.unit == unit) out.push_back(std::move(t));
    }
    return out;
  }

  std::shared_ptr<const Topology> WaitTopology(
      const std::function<bool(const Topology&)>& predicate, Clock::time_point deadline) {
    std::unique_lock lock(mu_);
    std::shared_ptr<const Topology> last = latest_;
    while (true) {
      last = latest_;
      if (last != nullptr && predicate(*last)) return last;
      const std::uint64_t seen = topology_seq_;
      if (!cv_.wait_until(lock, deadline, [&] { return stop_ || topology_seq_ != seen; })) {
        return latest_;
      }
      if (stop_) return latest_;
    }
  }

  ActionContext MakeContext(const UnitId& unit, const std::string& action, bool dry_run) {
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

  static MemberMap Members(const std::vector<DiscoveredTarget>& targets) {
    MemberMap members;
    for (const DiscoveredTarget& t : targets) {
      members[t.target.pod] = MemberAccess{t.target, t.credentials};
    }
    return members;
  }

  // Applies an action's outcome to the record.
  static void Conclude(RemediationRecord& r, ActionContext& ctx, const ActionOutcome& outcome,
                       bool dry_run) {
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

  RemediationRecord Switchover(RemediationRecord r, const SwitchoverRequest& request,
                               const UnitId& unit, const std::vector<DiscoveredTarget>& targets) {
    std::vector<Finding> findings;
    std::optional<UnitView> fresh = ReRead(unit, targets, &findings);
    if (!fresh)
      return Refuse(std::move(r),
                    {RemediationCode::kUnavailable, "the unit vanished while re-reading it"});
    if (std::string why = remediation::UnconfirmedClaim(request.confirm_kinds, findings, r.trigger);
        !why.empty()) {
      r.unconfirmed = true;
      return Refuse(std::move(r), {RemediationCode::kRefused, why});
    }
    const remediation::SwitchoverLimits limits{opt_.config.switchover.max_lag,
                                               opt_.analysis.max_replication_lag_bytes};
    std::string candidate = request.candidate;
    if (candidate.empty()) {
      auto chosen = remediation::ChooseCandidate(*fresh, limits);
      if (auto* refusal = std::get_if<Refusal>(&chosen)) return Refuse(std::move(r), *refusal);
      candidate = std::get<std::string>(chosen);
      r.candidate = candidate;
    }
    auto planned = remediation::PlanSwitchover(*fresh, candidate, limits);
    if (auto* refusal = std::get_if<Refusal>(&planned)) return Refuse(std::move(r), *refusal);
    const SwitchoverPlan& plan = std::get<SwitchoverPlan>(planned);
    r.old_primary = plan.old_primary;
    const std::string& method = opt_.config.switchover.action;
    if (plan.resume && method != "native") {
      return Refuse(std::move(r), {RemediationCode::kRefused,
                                   "candidate " + candidate +
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
    const MemberMap members = Members(targets);
    ActionOutcome outcome;
    if (method == "kubeblocks") {
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

  RemediationRecord Fence(RemediationRecord r, const FenceRequest& request, const UnitId& unit,
                          const std::vector<DiscoveredTarget>& targets) {
    std::vector<Finding> findings;
    std::optional<UnitView> fresh = ReRead(unit, targets, &findings);
    if (!fresh)
      return Refuse(std::move(r),
                    {RemediationCode::kUnavailable, "the unit vanished while re-reading it"});
    if (std::string why = remediation::UnconfirmedClaim(request.confirm_kinds, findings, r.trigger);
        !why.empty()) {
      r.unconfirmed = true;
      return Refuse(std::move(r), {RemediationCode::kRefused, why});
    }
    auto planned = remediation::PlanFence(*fresh, request.pod);
    if (auto* refusal = std::get_if<Refusal>(&planned)) return Refuse(std::move(r), *refusal);
    const FencePlan& plan = std::get<FencePlan>(planned);
    r.old_primary = plan.legit_primary;
    r.fenced = plan.strays;
    const bool dry_run = !opt_.config.enabled || request.dry_run;
    ActionContext ctx = MakeContext(unit, r.action, dry_run);
    const MemberMap members = Members(targets);
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

  // The remediator's own thread: automatic fencing from each round's
  // findings (persistence, cooldown, lock, fresh re-read, dry run).
  void MonitorLoop() {
    while (true) {
      std::shared_ptr<const Topology> topology;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || topology_seq_ != processed_seq_; });
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
      std::lock_guard lock(mu_);
      held_back_.KeepOnly(wanted);
    }
  }

  // True when the unit's lock or the action's cooldown holds `action` back;
  // the first time, the wait is logged and shown in the status until the
  // problem clears or the action runs.
  bool HoldBack(const UnitId& unit, const std::string& action, const std::string& trigger) {
    HeldBackAction held{unit, action, trigger, "", UnixNow(), 0};
    const Leadership leadership = CurrentLeadership();
    {
      std::lock_guard lock(mu_);
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

  RemediatorOptions opt_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable jobs_cv_;
  std::shared_ptr<const Topology> latest_;
  std::uint64_t topology_seq_ = 0;
  std::uint64_t processed_seq_ = 0;
  bool stop_ = false;
  int running_jobs_ = 0;
  std::map<UnitId, std::string> in_flight_;
  std::map<std::pair<UnitId, std::string>, Clock::time_point> last_action_;  // (unit, action)
  remediation::HeldBackLedger held_back_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> counters_;
  std::deque<RemediationRecord> recent_;
  std::uint64_t next_id_ = 1;
  remediation::Persistence persistence_;  // Monitor thread only.
  std::thread monitor_;
};

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
