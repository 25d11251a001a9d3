#include "worker_pool.h"

namespace dbtopo {

WorkerPool::WorkerPool(std::size_t threads) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void WorkerPool::RunAll(std::vector<std::function<void()>> tasks) {
  std::unique_lock lock(mutex_);
  // Wake one worker per task, not the whole pool: with 16 workers and 3
  // targets, notify_all costs a quarter of the exporter's CPU (bench/).
  for (auto& task : tasks) {
    queue_.push_back(std::move(task));
    work_ready_.notify_one();
  }
  batch_done_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
}

void WorkerPool::Work() {
  std::unique_lock lock(mutex_);
  while (true) {
    work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_ && queue_.empty()) return;
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    task();
    lock.lock();
    --running_;
    if (queue_.empty() && running_ == 0) batch_done_.notify_all();
  }
}

}  // namespace dbtopo
