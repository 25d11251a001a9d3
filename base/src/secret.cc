#include "dbtopo/base/secret.h"

#include <mutex>
#include <set>

namespace dbtopo::secrets {
namespace {

constexpr std::size_t kMinLength = 4;
constexpr char kMask[] = "<secret>";

std::mutex& Mutex() {
  static std::mutex mutex;
  return mutex;
}

std::set<std::string>& Values() {  // Guarded by Mutex().
  static std::set<std::string> values;
  return values;
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
  std::lock_guard<std::mutex> lock(Mutex());
  Values().insert(value);
}

int Redact(std::string& text) {
  if (text.size() < kMinLength) return 0;
  std::lock_guard<std::mutex> lock(Mutex());
  int n = 0;
  for (const std::string& secret : Values()) n += ReplaceAll(text, secret);
  for (const std::string& secret : Values()) n += ReplaceTrailingPrefix(text, secret);
  return n;
}

}  // namespace dbtopo::secrets
