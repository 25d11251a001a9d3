#pragma once

// A mutex, its scoped lock and a condition variable that clang's thread
// safety analysis understands, in the manner of Abseil's Mutex: a field
// declared `DBTOPO_GUARDED_BY(mu_)` can only be read or written while `mu_`
// is held, and a function declared `DBTOPO_REQUIRES(mu_)` only called so.
// The clang builds (sanitizers, fuzzers) compile with -Wthread-safety and
// make its findings errors; with gcc the annotations compile to nothing.
//
// libstdc++'s std::mutex carries no annotations, which is why this thin
// wrapper exists: it adds nothing at run time.

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define DBTOPO_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define DBTOPO_THREAD_ANNOTATION(x)
#endif

#define DBTOPO_CAPABILITY(name) DBTOPO_THREAD_ANNOTATION(capability(name))
#define DBTOPO_SCOPED_CAPABILITY DBTOPO_THREAD_ANNOTATION(scoped_lockable)
#define DBTOPO_GUARDED_BY(mu) DBTOPO_THREAD_ANNOTATION(guarded_by(mu))
#define DBTOPO_PT_GUARDED_BY(mu) DBTOPO_THREAD_ANNOTATION(pt_guarded_by(mu))
#define DBTOPO_REQUIRES(...) DBTOPO_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define DBTOPO_EXCLUDES(...) DBTOPO_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define DBTOPO_ACQUIRE(...) DBTOPO_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define DBTOPO_RELEASE(...) DBTOPO_THREAD_ANNOTATION(release_capability(__VA_ARGS__))

namespace dbtopo {

class CondVar;
class MutexLock;

/// A non-recursive mutex. Lock it with MutexLock.
class DBTOPO_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() DBTOPO_ACQUIRE() { mu_.lock(); }
  void Unlock() DBTOPO_RELEASE() { mu_.unlock(); }

 private:
  friend class MutexLock;
  std::mutex mu_;
};

/// Holds `mu` from construction to destruction.
class DBTOPO_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) DBTOPO_ACQUIRE(mu) : lock_(mu->mu_) {}
  ~MutexLock() DBTOPO_RELEASE() = default;
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  /// Lets go early (e.g. before a slow call); Lock() takes it again.
  void Unlock() DBTOPO_RELEASE() { lock_.unlock(); }
  void Lock() DBTOPO_ACQUIRE() { lock_.lock(); }

 private:
  friend class CondVar;
  std::unique_lock<std::mutex> lock_;
};

/// A condition variable waited on under a MutexLock. The predicate runs
/// with the mutex held; a lambda that reads guarded fields says so:
///   cv_.WaitFor(lock, timeout, [this]() DBTOPO_REQUIRES(mu_) { return stop_; });
class CondVar {
 public:
  template <typename Predicate>
  void Wait(MutexLock& lock, Predicate done) {
    cv_.wait(lock.lock_, done);
  }
  /// False when `timeout` passed with `done` still false.
  template <typename Rep, typename Period, typename Predicate>
  bool WaitFor(MutexLock& lock, std::chrono::duration<Rep, Period> timeout, Predicate done) {
    return cv_.wait_for(lock.lock_, timeout, done);
  }
  /// False when `deadline` passed with `done` still false.
  template <typename Clock, typename Duration, typename Predicate>
  bool WaitUntil(MutexLock& lock, std::chrono::time_point<Clock, Duration> deadline,
                 Predicate done) {
    return cv_.wait_until(lock.lock_, deadline, done);
  }
  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace dbtopo
