#pragma once

// The automatic actions that are waiting, one entry per (unit, action), so
// that a decision not taken is reported once and stays visible while it
// waits. Not thread-safe: the remediator guards it with its own mutex.

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dbtopo/remediation/status.h"

namespace dbtopo::remediation {

/// Unix seconds as RFC 3339 UTC, e.g. "2026-12-02T20:55:00Z" (for logs).
std::string FormatUnixTime(double unix_seconds);

class HeldBackLedger {
 public:
  using Key = std::pair<UnitId, std::string>;  // (unit, action)

  /// Records `entry`; true when its (unit, action) was not waiting before
  /// (the caller logs it then). An entry already waiting keeps its
  /// since_unix and takes the new reason and blocked_until.
  bool Hold(HeldBackAction entry);
  /// The action ran (or is no longer wanted).
  void Clear(const UnitId& unit, const std::string& action);
  /// Drops every entry whose key is not in `still_wanted` (problem cleared).
  void KeepOnly(const std::set<Key>& still_wanted);
  std::vector<HeldBackAction> All() const;

 private:
  std::map<Key, HeldBackAction> entries_;
};

}  // namespace dbtopo::remediation
