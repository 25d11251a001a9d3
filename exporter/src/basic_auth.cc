#include "basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <chrono>
#include <memory>
#include <vector>

namespace dbtopo {
namespace {

constexpr std::chrono::seconds kBcryptWait{2};

std::string DecodeBase64(const std::string& in) {
  if (in.empty() || in.size() % 4 != 0) return "";
  std::vector<unsigned char> out(in.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return "";
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts '=' padding as zero bytes.
  if (in.ends_with("=="))
    len -= 2;
  else if (in.ends_with("="))
    len -= 1;
  return std::string(reinterpret_cast<char*>(out.data()), len);
}

// SHA-256 of "user\0password": the cache key, so no password is stored.
std::string Digest(const std::string& user_colon_password) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(user_colon_password.data(), user_colon_password.size(), md, &len, EVP_sha256(),
             nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

}  // namespace

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {}

bool BasicAuth::Bcrypt(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  const char* hashed = crypt_r(password.c_str(), hash.c_str(), data.get());
  if (hashed == nullptr || hashed[0] == '*') return false;
  const std::string computed(hashed);
  return computed.size() == hash.size() &&
         CRYPTO_memcmp(computed.data(), hash.data(), computed.size()) == 0;
}

BasicAuth::Verdict BasicAuth::Check(const std::string& header) {
  if (users_.empty()) return Verdict::kAllowed;
  if (!header.starts_with("Basic ")) return Verdict::kDenied;
  const std::string decoded = DecodeBase64(header.substr(6));
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return Verdict::kDenied;
  const auto user = users_.find(decoded.substr(0, colon));
  if (user == users_.end()) return Verdict::kDenied;
  const std::string digest = Digest(decoded);
  MutexLock lock(&cache_mutex_);
  const auto cached = [&]() DBTOPO_REQUIRES(cache_mutex_) {
    return valid_.contains(digest) || invalid_.contains(digest);
  };
  // Known credentials never wait; others wait for the slot, and may find
  // theirs verified meanwhile by a request with the same header.
  const bool ready =
      cached() || slot_freed_.WaitFor(lock, kBcryptWait, [&]() DBTOPO_REQUIRES(cache_mutex_) {
        return !bcrypt_running_ || cached();
      });
  if (!ready) return Verdict::kBusy;
  if (cached()) return valid_.contains(digest) ? Verdict::kAllowed : Verdict::kDenied;
  bcrypt_running_ = true;
  lock.Unlock();
  const bool ok = Bcrypt(decoded.substr(colon + 1), user->second);
  lock.Lock();
  bcrypt_running_ = false;
  slot_freed_.NotifyAll();
  ++bcrypt_runs_;
  std::set<std::string>& cache = ok ? valid_ : invalid_;
  // Bounded: when full, start over (entries are re-verified on next use).
  if (cache.size() >= (ok ? kMaxValidEntries : kMaxInvalidEntries)) cache.clear();
  cache.insert(digest);
  return ok ? Verdict::kAllowed : Verdict::kDenied;
}

std::uint64_t BasicAuth::bcrypt_runs() const {
  MutexLock lock(&cache_mutex_);
  return bcrypt_runs_;
}

}  // namespace dbtopo
