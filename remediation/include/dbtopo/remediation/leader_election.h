#pragma once

// Leader election on a coordination.k8s.io/v1 Lease, as client-go's
// leaderelection does it, so that of several exporter replicas exactly one
// remediates. Every replica keeps polling and exporting; only the holder of
// the Lease acts.
//
// Every retry_period a candidate reads the Lease and
//  * creates it (POST) when there is none,
//  * renews it (PUT, a new renewTime) when it holds it,
//  * takes it over (PUT, itself as holder) when it is released (no holder)
//    or when lease_duration has passed on its own clock since it last saw
//    the record change,
//  * else follows the holder it names.
// Every write carries the resourceVersion it was based on: of two candidates
// racing, the API server accepts one and answers 409 Conflict to the other.
//
// A leader that cannot renew for renew_deadline stops being leader (IsLeader
// false) before anyone else can take over (renew_deadline < lease_duration),
// so two replicas never both act. Stop() releases a held lease (no holder,
// a one-second duration) so that a clean shutdown hands over at once.
//
// RBAC: get, create and update on leases.coordination.k8s.io in the Lease's
// namespace.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "dbtopo/base/mutex.h"
#include "dbtopo/remediation/remediator.h"

namespace dbtopo {

struct LeaseRecord;

class LeaderElector {
 public:
  /// Does not start: call Start(). `kube` is required.
  LeaderElector(LeaderElectionConfig config, std::shared_ptr<KubeApi> kube, log::Sink log);
  /// Stop().
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  /// Starts the election thread (the first try runs at once).
  void Start();
  /// Stops the thread and, when leader, releases the Lease. Idempotent.
  void Stop();
  /// One try (read, then create, renew or take over); true when this replica
  /// holds the lease afterwards. Called by the thread; public for tests.
  bool TryAcquireOrRenew();

  /// Thread-safe; never waits on the API server. `elected` is true.
  Leadership Current() const;

 private:
  void Run();
  void Release();
  void SetLeader(bool leader, const std::string& holder);
  void KeepUntilRenewDeadline();
  void LogProblem(const std::string& problem);
  std::string LeasePath() const;

  const LeaderElectionConfig config_;
  const std::shared_ptr<KubeApi> kube_;
  const log::Sink log_;

  // Touched by the election thread only (and by Stop() after it is joined).
  std::unique_ptr<LeaseRecord> observed_;  // null: none read yet, or 404
  std::chrono::steady_clock::time_point observed_at_;
  std::string last_problem_;

  mutable Mutex mutex_;
  CondVar wake_;
  bool stopping_ DBTOPO_GUARDED_BY(mutex_) = false;
  // Leader until then (last renewal + renew_deadline).
  std::chrono::steady_clock::time_point leader_until_ DBTOPO_GUARDED_BY(mutex_);
  bool leader_ DBTOPO_GUARDED_BY(mutex_) = false;  // as last logged
  std::string holder_ DBTOPO_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace dbtopo
