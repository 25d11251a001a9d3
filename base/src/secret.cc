#include "dbtopo/base/secret.h"

#include <set>

#include "dbtopo/base/mutex.h"

namespace dbtopo::secrets {
namespace {

constexpr std::size_t kMinLength = 4;
constexpr char kMask[] = "<secret>";

// Every secret the process holds, for Redact().
struct Registry {
  Mutex mu;
  std::set<std::string> values DBTOPO_GUARDED_BY(mu);
};

Registry& Secrets() {
  static Registry registry;
  return registry;
}

int ReplaceAll(std::string& text, const std::string& secret) {
  int n = 0;
  for (std::size_t pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos + sizeof kMask - 1)) {
    text.replace(pos, secret.size(), kMask);
    ++n;
  }
  return n;
}

// The longest end of `text` that begins `secret` (and is not all of it).
int ReplaceTrailingPrefix(std::string& text, const std::string& secret) {
  const std::size_t longest = std::min(secret.size() - 1, text.size());
  for (std::size_t k = longest; k >= kMinLength; --k) {
    if (text.compare(text.size() - k, k, secret, 0, k) == 0) {
      text.replace(text.size() - k, k, kMask);
      return 1;
    }
  }
  return 0;
}

}  // namespace

void Register(const std::string& value) {
  if (value.size() < kMinLength) return;
  Registry& r = Secrets();
  MutexLock lock(&r.mu);
  r.values.insert(value);
}

int Redact(std::string& text) {
  if (text.size() < kMinLength) return 0;
  Registry& r = Secrets();
  MutexLock lock(&r.mu);
  int n = 0;
  for (const std::string& secret : r.values) n += ReplaceAll(text, secret);
  for (const std::string& secret : r.values) n += ReplaceTrailingPrefix(text, secret);
  return n;
}

}  // namespace dbtopo::secrets
