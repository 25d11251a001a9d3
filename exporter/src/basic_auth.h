#pragma once

// HTTP basic authentication against the web config's bcrypt hashes, cheap
// under a flood of wrong passwords.
//
// bcrypt costs tens of milliseconds a try by design. So that guessing cannot
// take the CPU from valid scrapes:
//  * a (user, password) pair already verified, right or wrong, is answered
//    from a cache keyed by its SHA-256 digest (no password is kept);
//  * at most one bcrypt runs at a time; a request that cannot start one
//    within kBcryptWait is answered kBusy (HTTP 429), not queued forever.
// Valid credentials, once verified, never wait for a bcrypt again.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "dbtopo/base/mutex.h"

namespace dbtopo {

class BasicAuth {
 public:
  enum class Verdict { kAllowed, kDenied, kBusy };

  /// `users`: user name -> bcrypt hash ($2a$/$2b$/$2y$). Empty = open.
  explicit BasicAuth(std::map<std::string, std::string> users);

  /// Judges an `Authorization` header value ("Basic base64(user:password)").
  /// A missing, malformed or non-Basic header is kDenied. Thread-safe.
  Verdict Check(const std::string& authorization_header);

  /// bcrypt computations so far (cache misses that got a slot).
  std::uint64_t bcrypt_runs() const;

 private:
  static constexpr std::size_t kMaxValidEntries = 64;
  static constexpr std::size_t kMaxInvalidEntries = 4096;

  bool Bcrypt(const std::string& password, const std::string& hash);

  const std::map<std::string, std::string> users_;
  mutable Mutex cache_mutex_;
  // A slot, not a std::timed_mutex: its timed lock is pthread_mutex_clocklock,
  // which ThreadSanitizer cannot see, so every unlock would be reported.
  CondVar slot_freed_;
  bool bcrypt_running_ DBTOPO_GUARDED_BY(cache_mutex_) = false;
  std::set<std::string> valid_ DBTOPO_GUARDED_BY(cache_mutex_);    // digests
  std::set<std::string> invalid_ DBTOPO_GUARDED_BY(cache_mutex_);  // digests
  std::uint64_t bcrypt_runs_ DBTOPO_GUARDED_BY(cache_mutex_) = 0;
};

}  // namespace dbtopo
