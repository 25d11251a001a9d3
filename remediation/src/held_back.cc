#include "held_back.h"

#include <ctime>

namespace dbtopo::remediation {

std::string FormatUnixTime(double unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

bool HeldBackLedger::Hold(HeldBackAction entry) {
  const Key key{entry.unit, entry.action};
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    entries_.emplace(key, std::move(entry));
    return true;
  }
  entry.since_unix = it->second.since_unix;
  it->second = std::move(entry);
  return false;
}

void HeldBackLedger::Clear(const UnitId& unit, const std::string& action) {
  entries_.erase({unit, action});
}

void HeldBackLedger::KeepOnly(const std::set<Key>& still_wanted) {
  std::erase_if(entries_, [&](const auto& e) { return !still_wanted.contains(e.first); });
}

std::vector<HeldBackAction> HeldBackLedger::All() const {
  std::vector<HeldBackAction> out;
  for (const auto& [key, entry] : entries_) out.push_back(entry);
  return out;
}

}  // namespace dbtopo::remediation
