#include "dbtopo/analysis/gtid.h"

#include <algorithm>
#include <charconv>
#include <system_error>

namespace dbtopo::gtid {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// 8-4-4-4-12 hex digits, as MySQL prints server_uuid.
bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsHex(s[i])) return false;
  }
  return true;
}

// A GTID tag: a letter or underscore, then letters, digits, underscores; at
// most 32 characters.
bool IsTag(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s.front())) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

std::optional<std::uint64_t> ParseNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// "5" or "1-5"; transaction numbers start at 1.
std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseInterval(std::string_view s) {
  const std::size_t dash = s.find('-');
  const auto first = ParseNumber(s.substr(0, dash));
  const auto last = dash == std::string_view::npos ? first : ParseNumber(s.substr(dash + 1));
  if (!first || !last || *first == 0 || *last < *first) return std::nullopt;
  return std::make_pair(*first, *last);
}

// Servers break long GTID lists over lines; whitespace carries no meaning.
std::string WithoutWhitespace(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') out += c;
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t pos = s.find(sep);
    parts.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) return parts;
    s.remove_prefix(pos + 1);
  }
}

}  // namespace

void MysqlGtidSet::Add(const Key& key, std::uint64_t first, std::uint64_t last) {
  Intervals& intervals = sets_[key];
  intervals.emplace_back(first, last);
  std::sort(intervals.begin(), intervals.end());
  Intervals merged;
  for (const auto& iv : intervals) {
    if (!merged.empty() && iv.first <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, iv.second);
    } else {
      merged.push_back(iv);
    }
  }
  intervals = std::move(merged);
}

std::optional<MysqlGtidSet> MysqlGtidSet::Parse(std::string_view text) {
  const std::string compact = WithoutWhitespace(text);
  MysqlGtidSet set;
  if (compact.empty()) return set;
  for (std::string_view uuid_set : Split(compact, ',')) {
    const std::vector<std::string_view> parts = Split(uuid_set, ':');
    if (parts.size() < 2 || !IsUuid(parts[0])) return std::nullopt;
    Key key{Lower(parts[0]), ""};
    bool pending_tag = false;  // A tag must be followed by an interval.
    for (std::size_t i = 1; i < parts.size(); ++i) {
      if (IsTag(parts[i])) {
        if (pending_tag) return std::nullopt;
        key.second = Lower(parts[i]);
        pending_tag = true;
        continue;
      }
      const auto interval = ParseInterval(parts[i]);
      if (!interval) return std::nullopt;
      set.Add(key, interval->first, interval->second);
      pending_tag = false;
    }
    if (pending_tag) return std::nullopt;
  }
  return set;
}

MysqlGtidSet MysqlGtidSet::Subtract(const MysqlGtidSet& other) const {
  MysqlGtidSet out;
  for (const auto& [key, mine] : sets_) {
    auto it = other.sets_.find(key);
    for (auto [first, last] : mine) {
      if (it != other.sets_.end()) {
        for (const auto& [o_first, o_last] : it->second) {
          if (o_last < first || o_first > last) continue;
          if (o_first > first) out.Add(key, first, o_first - 1);
          first = o_last + 1;
          if (o_last >= last) break;
        }
      }
      if (first <= last && first != 0) out.Add(key, first, last);
    }
  }
  return out;
}

void MysqlGtidSet::EraseUuid(std::string_view uuid) {
  const std::string lower = Lower(uuid);
  std::erase_if(sets_, [&](const auto& entry) { return entry.first.first == lower; });
}

std::string MysqlGtidSet::ToString() const {
  std::string out;
  std::string current_uuid;
  for (const auto& [key, intervals] : sets_) {
    if (key.first != current_uuid) {
      if (!out.empty()) out += ',';
      out += key.first;
      current_uuid = key.first;
    }
    if (!key.second.empty()) out += ':' + key.second;
    for (const auto& [first, last] : intervals) {
      out += ':' + std::to_string(first);
      if (last != first) out += '-' + std::to_string(last);
    }
  }
  return out;
}

std::optional<MariadbGtidState> ParseMariadbGtidState(std::string_view text) {
  const std::string compact = WithoutWhitespace(text);
  MariadbGtidState state;
  if (compact.empty()) return state;
  for (std::string_view entry : Split(compact, ',')) {
    const std::vector<std::string_view> parts = Split(entry, '-');
    if (parts.size() != 3) return std::nullopt;
    const auto domain = ParseNumber(parts[0]);
    const auto server = ParseNumber(parts[1]);
    const auto seq = ParseNumber(parts[2]);
    if (!domain || !server || !seq || *domain > UINT32_MAX || *server > UINT32_MAX) {
      return std::nullopt;
    }
    std::uint64_t& slot =
        state[{static_cast<std::uint32_t>(*domain), static_cast<std::uint32_t>(*server)}];
    slot = std::max(slot, *seq);
  }
  return state;
}

std::string MariadbErrant(const MariadbGtidState& replica, const MariadbGtidState& primary,
                          std::uint32_t primary_server_id) {
  std::string out;
  for (const auto& [key, seq] : replica) {
    if (key.second == primary_server_id) continue;
    auto it = primary.find(key);
    if (it != primary.end() && it->second >= seq) continue;
    if (!out.empty()) out += ',';
    out += std::to_string(key.first) + '-' + std::to_string(key.second) + '-' + std::to_string(seq);
  }
  return out;
}

}  // namespace dbtopo::gtid
