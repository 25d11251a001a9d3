#include "connection_pool.h"

#include <cassert>

namespace dbtopo {

ConnectionPool::ConnectionPool(std::size_t core, std::size_t max) : max_(max) {
  assert(core > 0 && core <= max);
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < core; ++i) StartThread();
}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::StartThread() {
  threads_.emplace_back([this] { Work(); });
}

void ConnectionPool::enqueue(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  // httplib stops accepting before it shuts the queue down, so nothing comes
  // after shutdown().
  assert(!shutdown_);
  jobs_.push_back(std::move(fn));
  // Every queued connection beyond the waiting threads gets a thread of its own.
  if (jobs_.size() > idle_ && threads_.size() < max_) StartThread();
  cond_.notify_one();
}

void ConnectionPool::Work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ++idle_;
      cond_.wait(lock, [this] { return shutdown_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty()) return;  // shutdown_ and nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

void ConnectionPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    shutdown_ = true;
    threads.swap(threads_);
  }
  cond_.notify_all();
  for (std::thread& t : threads) t.join();
}

std::size_t ConnectionPool::threads() const {
  std::lock_guard lock(mutex_);
  return threads_.size();
}

}  // namespace dbtopo
