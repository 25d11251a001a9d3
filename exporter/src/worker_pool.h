#pragma once

// A fixed set of threads that runs one batch of tasks at a time. Probes block
// on network I/O, so the pool bounds how many servers are talked to at once
// (`max_concurrency`) without creating threads per round.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dbtopo {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Runs every task and returns when all have finished. Tasks must not throw.
  void RunAll(std::vector<std::function<void()>> tasks);

 private:
  void Work();

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable batch_done_;
  std::deque<std::function<void()>> queue_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace dbtopo
