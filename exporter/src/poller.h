#pragma once

// The poll loop: every poll_interval, discover targets, probe them all
// concurrently (bounded by max_concurrency) over persistent connections,
// analyse the round (pure), and publish one immutable Snapshot.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stop_token>
#include <string>

#include "dbtopo/analysis/analysis.h"
#include "dbtopo/collectors/discovery.h"
#include "dbtopo/collectors/probe.h"
#include "dbtopo/collectors/worker_pool.h"
#include "snapshot.h"

namespace dbtopo {

struct PollerOptions {
  std::chrono::milliseconds poll_interval{5000};
  std::chrono::milliseconds probe_timeout{2000};
  int max_concurrency = 16;
  AnalysisOptions analysis;
};

/// Makes the probe for a target; injectable so tests can fake servers.
using ProbeFactory =
    std::function<std::unique_ptr<Probe>(const Target&, const Credentials&, const ProbeOptions&)>;

class Poller {
 public:
  Poller(PollerOptions options, Discovery* discovery, ProbeFactory factory, SnapshotStore* store);

  /// One round: discover, probe all targets, analyse, publish. Returns the
  /// published snapshot.
  std::shared_ptr<const Snapshot> RunRound();

  /// Runs rounds every poll_interval (measured start to start) until `stop`.
  void Run(std::stop_token stop);

  /// The probe workers (`max_concurrency` of them), shared with
  /// remediation's fresh re-reads.
  WorkerPool& pool() { return pool_; }

  /// Remediation hooks; set before Run(). `status` is called once per round
  /// while the snapshot is built (its result goes into Snapshot::remediation,
  /// so /metrics and /api/v1/topology show it); `on_snapshot` gets every
  /// published snapshot. Both run on the poll thread and must not block.
  /// This process's shard, read once per round for dbtopo_shard_info; unset:
  /// not sharded ({0, 1}).
  void SetShard(std::function<ShardAssignment()> shard) { shard_ = std::move(shard); }
  void SetRemediationHooks(std::function<RemediationStatus()> status,
                           std::function<void(std::shared_ptr<const Snapshot>)> on_snapshot) {
    MutexLock lock(&publish_mutex_);
    remediation_status_ = std::move(status);
    on_snapshot_ = std::move(on_snapshot);
  }

  /// Publishes the latest snapshot again with the current remediation status
  /// (and /metrics rendered again), so that an action's record shows before
  /// the next round. From any thread; a round in progress publishes after
  /// it, with a status at least as new.
  void RefreshRemediation();

 private:
  struct ProbeSlot {
    std::string fingerprint;  // engine, address, credentials: a change means a new connection
    std::unique_ptr<Probe> probe;
  };

  void ReconcileProbes(const std::vector<DiscoveredTarget>& targets);
  // Takes the current remediation status, renders /metrics and stores the
  // snapshot, in one step against RefreshRemediation().
  void Publish(const std::shared_ptr<Snapshot>& snapshot);
  void LogChanges(const Topology& topology);

  PollerOptions options_;
  Discovery* discovery_;
  ProbeFactory factory_;
  SnapshotStore* store_;
  WorkerPool pool_;
  std::map<std::string, ProbeSlot> probes_;  // by Target::Key()
  ExporterCounters counters_;
  std::map<std::string, bool> last_up_;  // by Target::Key(), for log transitions
  std::set<std::string> last_findings_;  // finding keys of the previous round
  std::function<ShardAssignment()> shard_;
  // Orders the publishing of rounds and of remediation refreshes; the
  // remediation hooks are set under it (refreshes come from other threads).
  Mutex publish_mutex_;
  std::function<RemediationStatus()> remediation_status_;
  std::function<void(std::shared_ptr<const Snapshot>)> on_snapshot_;
};

}  // namespace dbtopo
