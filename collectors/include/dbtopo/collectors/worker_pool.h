#pragma once

// A fixed set of threads that runs batches of tasks. Probes block on network
// I/O, so the pool bounds how many servers are talked to at once
// (`max_concurrency`) without creating threads per round. The poll loop and
// remediation's fresh re-reads share one pool: a batch queued while another
// runs waits for free workers, first queued first run.

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "dbtopo/base/mutex.h"

namespace dbtopo {

class WorkerPool {
 public:
  /// `threads` workers (at least 1), started now.
  explicit WorkerPool(std::size_t threads);
  /// Lets the queued tasks finish, then joins the workers.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Runs every task and returns when all of them have finished; batches of
  /// other threads may run at the same time. Tasks must not throw. Not from a
  /// task of this pool (it would wait for itself).
  void RunAll(std::vector<std::function<void()>> tasks) DBTOPO_EXCLUDES(mutex_);

  std::size_t threads() const { return threads_.size(); }

 private:
  // The tasks of one RunAll call still queued or running.
  struct Batch {
    std::size_t left = 0;  // Guarded by the pool's mutex_.
    CondVar done;
  };
  struct Task {
    std::function<void()> run;
    Batch* batch;
  };
  void Work() DBTOPO_EXCLUDES(mutex_);

  Mutex mutex_;
  CondVar work_ready_;
  std::deque<Task> queue_ DBTOPO_GUARDED_BY(mutex_);
  bool stopping_ DBTOPO_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace dbtopo
