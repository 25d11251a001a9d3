#include "connection_pool.h"

#include <cassert>

namespace dbtopo {

ConnectionPool::ConnectionPool(std::size_t core, std::size_t max) : max_(max) {
  assert(core > 0 && core <= max);
  MutexLock lock(&mutex_);
  for (std::size_t i = 0; i < core; ++i) StartThread();
}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::StartThread() {
  threads_.emplace_back([this] { Work(); });
}

void ConnectionPool::enqueue(std::function<void()> fn) {
  MutexLock lock(&mutex_);
  // httplib stops accepting before it shuts the queue down, so nothing comes
  // after shutdown().
  assert(!shutdown_);
  jobs_.push_back(std::move(fn));
  // Every queued connection beyond the waiting threads gets a thread of its own.
  if (jobs_.size() > idle_ && threads_.size() < max_) StartThread();
  cond_.NotifyOne();
}

void ConnectionPool::Work() {
  for (;;) {
    std::function<void()> job;
    {
      MutexLock lock(&mutex_);
      ++idle_;
      cond_.Wait(lock, [this]() DBTOPO_REQUIRES(mutex_) { return shutdown_ || !jobs_.empty(); });
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
    MutexLock lock(&mutex_);
    shutdown_ = true;
    threads.swap(threads_);
  }
  cond_.NotifyAll();
  for (std::thread& t : threads) t.join();
}

std::size_t ConnectionPool::threads() const {
  MutexLock lock(&mutex_);
  return threads_.size();
}

}  // namespace dbtopo
