#pragma once

// One immutable snapshot per poll round. The poll loop builds it (including
// the rendered /metrics text) and swaps it in; HTTP
// handlers only read the latest one, so a scrape never waits on a database.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "dbtopo/analysis/analysis.h"
#include "dbtopo/base/mutex.h"
#include "dbtopo/collectors/shard.h"
#include "dbtopo/remediation/status.h"

namespace dbtopo {

/// Counters that live across rounds (owned by the poll loop).
struct ExporterCounters {
  std::uint64_t rounds = 0;          ///< Completed poll rounds.
  std::uint64_t probe_failures = 0;  ///< Probes that returned up=false, all rounds.
  /// Ill-formed UTF-8 sequences replaced (U+FFFD) in strings from servers,
  /// pods and the config before they reached labels, JSON or logs.
  std::uint64_t invalid_utf8_replacements = 0;
};

struct Snapshot {
  std::uint64_t round = 0;           ///< 1 for the first round.
  double timestamp_seconds = 0;      ///< Unix time the round finished, seconds.
  double poll_duration_seconds = 0;  ///< Wall time of the round, seconds.
  double poll_interval_seconds = 0;  ///< `poll_interval`, seconds (0 when unknown).
  ExporterCounters counters;
  Topology topology;
  /// Remediation counters and last decisions, copied from the remediator
  /// when the round was published (present=false without one).
  RemediationStatus remediation;
  /// The part of the units this process watched this round ({0, 1}: all).
  ShardAssignment shard;
  /// Prometheus text format 0.0.4, rendered once per round: every scrape
  /// reads it. (The topology JSON is rendered per request: it is rarely asked
  /// for, and rendering it every round cost ~11% of the exporter's CPU.)
  std::string metrics_text;

  /// metrics_text as gzip, compressed by the first scrape of the round that
  /// accepts gzip and served as is to the later ones.
  const std::string& MetricsGzip() const;

 private:
  // A copy of a snapshot starts without the compressed bytes.
  struct GzipCache {
    GzipCache() = default;
    GzipCache(const GzipCache&) {}
    GzipCache& operator=(const GzipCache&) { return *this; }
    std::once_flag once;
    std::string bytes;  // Written once, under `once`.
  };
  mutable GzipCache gzip_;
};

/// Holds the latest snapshot; many readers, one writer.
class SnapshotStore {
 public:
  /// The latest snapshot, or nullptr before the first round completed.
  std::shared_ptr<const Snapshot> Get() const {
    MutexLock lock(&mutex_);
    return latest_;
  }
  void Set(std::shared_ptr<const Snapshot> snapshot) {
    MutexLock lock(&mutex_);
    latest_ = std::move(snapshot);
  }

 private:
  mutable Mutex mutex_;
  std::shared_ptr<const Snapshot> latest_ DBTOPO_GUARDED_BY(mutex_);
};

}  // namespace dbtopo
