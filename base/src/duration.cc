#include "dbtopo/base/duration.h"

#include <charconv>
#include <limits>
#include <string_view>

namespace dbtopo {
namespace {

// Milliseconds per unit; longest suffixes first so "ms" is not read as "m".
struct Unit {
  const char* suffix;
  long long millis;
};
constexpr Unit kUnits[] = {
    {"ms", 1}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"d", 86'400'000}};

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const char* p = text.data();
  const char* end = p + text.size();
  long long total = 0;
  bool bare_number_allowed = true;  // "5" means 5s, but "5s3" is an error
  while (p < end) {
    long long value = 0;
    auto [next, ec] = std::from_chars(p, end, value);
    if (ec != std::errc() || value < 0) return std::nullopt;
    p = next;
    long long millis = 0;
    if (p == end) {
      if (!bare_number_allowed) return std::nullopt;
      millis = 1000;
    } else {
      for (const Unit& unit : kUnits) {
        std::string_view suffix(unit.suffix);
        if (std::string_view(p, end - p).starts_with(suffix)) {
          millis = unit.millis;
          p += suffix.size();
          break;
        }
      }
      if (millis == 0) return std::nullopt;
    }
    bare_number_allowed = false;
    if (value > (std::numeric_limits<long long>::max() - total) / millis) return std::nullopt;
    total += value * millis;
  }
  return std::chrono::milliseconds(total);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  long long ms = duration.count();
  if (ms == 0) return "0s";
  std::string out;
  auto emit = [&](long long unit, const char* suffix) {
    if (ms >= unit) {
      out += std::to_string(ms / unit) + suffix;
      ms %= unit;
    }
  };
  emit(3'600'000, "h");
  emit(60'000, "m");
  emit(1000, "s");
  emit(1, "ms");
  return out;
}

}  // namespace dbtopo
