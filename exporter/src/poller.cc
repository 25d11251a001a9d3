#include "poller.h"

#include <malloc.h>

#include <condition_variable>
#include <mutex>

#include "dbtopo/base/log.h"
#include "dbtopo/base/mutex.h"
#include "dbtopo/base/secret.h"
#include "dbtopo/base/utf8.h"
#include "dbtopo/collectors/probe_round.h"
#include "metrics_text.h"

namespace dbtopo {
namespace {

std::string Fingerprint(const DiscoveredTarget& t) {
  // The credentials pointer changes only when config is reloaded.
  return std::string(EngineName(t.target.engine)) + "|" + t.target.Address() + "|" +
         std::to_string(reinterpret_cast<std::uintptr_t>(t.credentials.get()));
}

std::string FindingKey(const Finding& f) {
  return f.kind + "|" + f.unit.ns + "/" + f.unit.db_cluster + "/" + f.unit.component + "|" + f.pod +
         "|" + f.channel;
}

double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

Poller::Poller(PollerOptions options, Discovery* discovery, ProbeFactory factory,
               SnapshotStore* store)
    : options_(options),
      discovery_(discovery),
      factory_(std::move(factory)),
      store_(store),
      pool_(static_cast<std::size_t>(options.max_concurrency)) {}

void Poller::ReconcileProbes(const std::vector<DiscoveredTarget>& targets) {
  std::set<std::string> live;
  for (const DiscoveredTarget& t : targets) {
    const std::string key = t.target.Key();
    live.insert(key);
    const std::string fingerprint = Fingerprint(t);
    ProbeSlot& slot = probes_[key];
    if (slot.probe && slot.fingerprint == fingerprint) continue;
    if (slot.probe) log::Info("target changed, reconnecting", {{"target", key}});
    slot.fingerprint = fingerprint;
    slot.probe = factory_(t.target, *t.credentials, ProbeOptions{options_.probe_timeout});
  }
  for (auto it = probes_.begin(); it != probes_.end();) {
    if (live.contains(it->first)) {
      ++it;
    } else {
      log::Info("target removed", {{"target", it->first}});
      last_up_.erase(it->first);
      it = probes_.erase(it);
    }
  }
}

void Poller::Publish(const std::shared_ptr<Snapshot>& snapshot) {
  MutexLock lock(&publish_mutex_);
  // The latest status: an action may have ended while the round ran.
  if (remediation_status_) snapshot->remediation = remediation_status_();
  snapshot->metrics_text = RenderMetrics(*snapshot);
  store_->Set(snapshot);
}

void Poller::RefreshRemediation() {
  MutexLock lock(&publish_mutex_);
  const std::shared_ptr<const Snapshot> current = store_->Get();
  if (!remediation_status_ || current == nullptr) return;  // The first round shows it.
  auto next = std::make_shared<Snapshot>(*current);
  next->remediation = remediation_status_();
  next->metrics_text = RenderMetrics(*next);
  store_->Set(std::move(next));
}

std::shared_ptr<const Snapshot> Poller::RunRound() {
  const auto started = std::chrono::steady_clock::now();
  const std::vector<DiscoveredTarget> targets = discovery_->Targets();
  ReconcileProbes(targets);
  // A switchover in flight at the start or the end of the probes may have
  // been seen half-way.
  AnalysisOptions analysis = options_.analysis;
  auto note_switchovers = [&](const RemediationStatus& status) {
    for (const auto& [unit, action] : status.in_flight) {
      if (action == "switchover") analysis.switchovers_in_progress.push_back(unit);
    }
  };
  if (remediation_status_) note_switchovers(remediation_status_());

  std::vector<Target> probed;
  std::vector<Probe*> probes;
  for (const DiscoveredTarget& t : targets) {
    probed.push_back(t.target);
    probes.push_back(probes_[t.target.Key()].probe.get());
  }
  auto snapshot = std::make_shared<Snapshot>();
  auto observe = [&](std::size_t i) {
    if (probes[i] != nullptr) return probes[i]->Collect();
    Observation none;
    none.error = std::string("no probe for engine ") + EngineName(probed[i].engine);
    return none;
  };
  auto options_after_probes = [&] {
    if (remediation_status_) {
      snapshot->remediation = remediation_status_();
      note_switchovers(snapshot->remediation);
    }
    return analysis;
  };
  ProbeRound round = ProbeAndAnalyze(pool_, probed, observe, options_after_probes);
  counters_.invalid_utf8_replacements += round.utf8_replacements;
  const std::vector<Member>& members = round.members;
  snapshot->topology = std::move(round.topology);
  if (shard_) snapshot->shard = shard_();
  ++counters_.rounds;
  for (const Member& m : members) counters_.probe_failures += m.observation.up ? 0 : 1;
  snapshot->round = counters_.rounds;
  snapshot->poll_interval_seconds = std::chrono::duration<double>(options_.poll_interval).count();
  snapshot->counters = counters_;
  snapshot->timestamp_seconds = UnixSeconds(std::chrono::system_clock::now());
  snapshot->poll_duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  LogChanges(snapshot->topology);
  Publish(snapshot);
  if (on_snapshot_) on_snapshot_(snapshot);

  std::size_t up = 0;
  for (const Member& m : members) up += m.observation.up;
  log::Write(snapshot->round == 1 ? log::Level::kInfo : log::Level::kDebug, "poll round done",
             {{"round", std::to_string(snapshot->round)},
              {"targets", std::to_string(members.size())},
              {"up", std::to_string(up)},
              {"findings", std::to_string(snapshot->topology.findings.size())},
              {"duration_seconds", std::to_string(snapshot->poll_duration_seconds)}});
  // The round's transient memory (rendering builds every sample's labels
  // before serializing them) goes back to the kernel: glibc keeps freed heap
  // in its arenas, which at 10,000 targets doubled the resident size.
  malloc_trim(0);
  return snapshot;
}

// Logs what changed since the last round, so the log reads as a timeline of
// incidents rather than a repeat of every round.
void Poller::LogChanges(const Topology& topology) {
  for (const UnitView& unit : topology.units) {
    for (const MemberView& m : unit.members) {
      const std::string key = m.target.Key();
      auto it = last_up_.find(key);
      const bool was_up = it != last_up_.end() && it->second;
      if (m.observation.up && (it == last_up_.end() || !was_up)) {
        log::Info("target up", {{"target", key},
                                {"address", m.target.Address()},
                                {"role", RoleName(m.observed_role)},
                                {"version", m.observation.version}});
      } else if (!m.observation.up && (it == last_up_.end() || was_up)) {
        log::Warn("target down",
                  {{"target", key}, {"address", m.target.Address()}, {"err", m.observation.error}});
      }
      last_up_[key] = m.observation.up;
    }
  }
  std::set<std::string> current;
  for (const Finding& f : topology.findings) {
    const std::string key = FindingKey(f);
    current.insert(key);
    if (!last_findings_.contains(key)) {
      log::Write(f.severity == Severity::kInfo ? log::Level::kInfo : log::Level::kWarn,
                 "finding raised",
                 {{"kind", f.kind},
                  {"severity", SeverityName(f.severity)},
                  {"db_cluster", f.unit.db_cluster},
                  {"component", f.unit.component},
                  {"namespace", f.unit.ns},
                  {"pod", f.pod},
                  {"channel", f.channel},
                  {"detail", f.message}});
    }
  }
  for (const std::string& key : last_findings_) {
    if (!current.contains(key)) log::Info("finding cleared", {{"finding", key}});
  }
  last_findings_ = std::move(current);
}

void Poller::Run(std::stop_token stop) {
  // Only a sleep that a stop request cuts short: no state is guarded.
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    const auto next = std::chrono::steady_clock::now() + options_.poll_interval;
    RunRound();
    std::unique_lock lock(mutex);
    wake.wait_until(lock, stop, next, [] { return false; });
  }
}

}  // namespace dbtopo
