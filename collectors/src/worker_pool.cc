#include "dbtopo/collectors/worker_pool.h"

#include "dbtopo/base/assert.h"

namespace dbtopo {

WorkerPool::WorkerPool(std::size_t threads) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() {
  {
    MutexLock lock(&mutex_);
    stopping_ = true;
  }
  work_ready_.NotifyAll();
  for (auto& thread : threads_) thread.join();
}

void WorkerPool::RunAll(std::vector<std::function<void()>> tasks) {
  if (tasks.empty()) return;
  Batch batch;
  MutexLock lock(&mutex_);
  DBTOPO_ASSERT(!stopping_, "RunAll on a pool being destroyed");
  batch.left = tasks.size();
  // Wake one worker per task, not the whole pool: with 16 workers and 3
  // targets, waking all costs a quarter of the exporter's CPU (bench/).
  for (auto& task : tasks) {
    queue_.push_back(Task{std::move(task), &batch});
    work_ready_.NotifyOne();
  }
  batch.done.Wait(lock, [this, &batch]() DBTOPO_REQUIRES(mutex_) { return batch.left == 0; });
}

void WorkerPool::Work() {
  MutexLock lock(&mutex_);
  while (true) {
    work_ready_.Wait(lock,
                     [this]() DBTOPO_REQUIRES(mutex_) { return stopping_ || !queue_.empty(); });
    if (stopping_ && queue_.empty()) return;
    Task task = std::move(queue_.front());
    queue_.pop_front();
    lock.Unlock();
    task.run();
    lock.Lock();
    if (--task.batch->left == 0) task.batch->done.NotifyAll();
  }
}

}  // namespace dbtopo
