#pragma once

// The HTTP server's connection workers. cpp-httplib gives each connection a
// worker for its whole life, so a fixed pool is starved by as many slow or
// idle clients as it has threads. This pool keeps `core` threads and adds one
// whenever a connection would otherwise wait, up to `max`; the added threads
// stay for reuse. Only beyond `max` concurrent connections does a new one
// wait for a free worker.

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "dbtopo/base/mutex.h"

namespace dbtopo {

class ConnectionPool : public httplib::TaskQueue {
 public:
  ConnectionPool(std::size_t core, std::size_t max);
  ~ConnectionPool() override;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  /// Runs the queued connections to their end, then joins every thread.
  void shutdown() override;

  /// Threads started so far (core plus added).
  std::size_t threads() const;

 private:
  void Work();
  void StartThread() DBTOPO_REQUIRES(mutex_);

  const std::size_t max_;
  mutable Mutex mutex_;
  CondVar cond_;
  std::deque<std::function<void()>> jobs_ DBTOPO_GUARDED_BY(mutex_);
  std::vector<std::thread> threads_ DBTOPO_GUARDED_BY(mutex_);
  std::size_t idle_ DBTOPO_GUARDED_BY(mutex_) = 0;  // threads waiting
  bool shutdown_ DBTOPO_GUARDED_BY(mutex_) = false;
};

}  // namespace dbtopo
