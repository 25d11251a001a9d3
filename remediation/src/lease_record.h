#pragma once

// A coordination.k8s.io/v1 Lease as leader election reads and writes it, and
// the one decision a candidate makes on each try (as client-go's
// leaderelection does): pure, no I/O, no clock of its own.
//
//   {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
//    "metadata": {"name", "namespace", "resourceVersion"},
//    "spec": {"holderIdentity", "leaseDurationSeconds", "acquireTime",
//             "renewTime", "leaseTransitions"}}
//
// Times are MicroTime: RFC 3339 UTC with microseconds. They are written for
// people reading the Lease; expiry is judged on the reader's own monotonic
// clock from when it last saw the record change, never from the writer's
// clock, so clock skew between replicas cannot shorten a lease.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "dbtopo/base/result.h"

namespace dbtopo {

struct LeaseRecord {
  std::string holder;              ///< spec.holderIdentity; "" = released or never held.
  int lease_duration_seconds = 0;  ///< spec.leaseDurationSeconds; 0 when absent.
  std::string acquire_time;        ///< spec.acquireTime (MicroTime) as read.
  std::string renew_time;          ///< spec.renewTime (MicroTime) as read.
  int transitions = 0;             ///< spec.leaseTransitions; 0 when absent.
  std::string resource_version;    ///< metadata.resourceVersion (optimistic concurrency).

  /// Same holder and renewal: nothing happened between two reads.
  bool SameRecord(const LeaseRecord& other) const {
    return holder == other.holder && renew_time == other.renew_time &&
           resource_version == other.resource_version;
  }
};

/// Parses a Lease object (a GET, POST or PUT answer). Errors: not JSON, not
/// an object, or fields of the wrong type ("spec.leaseDurationSeconds: not
/// an integer"). Absent spec fields keep their defaults.
Result<LeaseRecord> ParseLease(std::string_view json);

/// The Lease object to POST (create; `record.resource_version` empty) or
/// PUT (update; it carries the resourceVersion the update is based on).
std::string LeaseJson(const std::string& ns, const std::string& name, const LeaseRecord& record);

/// "2026-12-03T03:07:23.123456Z".
std::string FormatMicroTime(std::chrono::system_clock::time_point t);

/// What a candidate does after reading the Lease.
enum class LeaseStep {
  kCreate,    ///< no Lease yet: create it, holding it
  kRenew,     ///< we hold it: write a new renewTime
  kTakeOver,  ///< released, or expired on our clock: write ourselves as holder
  kFollow,    ///< another replica holds a live lease: wait
};

/// `current`: the Lease read now (nullopt: 404). `expired`: whether
/// lease_duration has passed on our clock since `current` last changed.
LeaseStep DecideLeaseStep(const std::optional<LeaseRecord>& current, const std::string& identity,
                          bool expired);

/// The record to write for `step` (kCreate, kRenew or kTakeOver) at `now`:
/// keeps acquireTime and leaseTransitions on a renewal, counts a transition
/// when the holder changes, carries `current`'s resourceVersion.
LeaseRecord NextLeaseRecord(const std::optional<LeaseRecord>& current, LeaseStep step,
                            const std::string& identity, int lease_duration_seconds,
                            const std::string& now);

/// The record written on release: no holder, lease of one second, so that
/// the next candidate takes over at once (as client-go's ReleaseOnCancel).
LeaseRecord ReleasedLeaseRecord(const LeaseRecord& current, const std::string& now);

}  // namespace dbtopo
