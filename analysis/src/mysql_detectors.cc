// MySQL/MariaDB: observed role and the replication detectors.
//
// Everything here reads the Observation fields the MySQL probe fills
// (read_only, server_id, server_uuid, version, SHOW REPLICA STATUS channels)
// and never assumes a value the server did not report: an unknown
// io_running, lag or source does not raise a finding.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common_detectors.h"
#include "dbtopo/base/strings.h"
#include "detectors.h"
#include "source_graph.h"

namespace dbtopo::detail {
namespace {

// The server accepts writes. Prefers the probe's `writable` verdict; falls
// back to read_only/super_read_only when only those were read.
std::optional<bool> MysqlWritable(const Observation& o) {
  if (o.writable.has_value()) return o.writable;
  if (o.read_only.has_value()) return !*o.read_only && !o.super_read_only.value_or(false);
  return std::nullopt;
}

// "120", "0.5": no trailing zeros, enough digits for any realistic lag.
std::string FormatNumber(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", value);
  return buf;
}

// Rebuilds one ChannelView per channel (same order) and decides link_up.
// A down member's channels are stale or absent: they stay not-up and
// unjudged (source_valid unknown).
void BuildChannelViews(UnitView& unit) {
  for (MemberView& m : unit.members) {
    m.channels.clear();
    for (const ReplicationChannel& c : m.observation.channels) {
      ChannelView cv;
      cv.channel = c;
      cv.link_up = m.observation.up && c.io_running == true && c.sql_running == true;
      m.channels.push_back(std::move(cv));
    }
  }
}

// replication_broken: a thread the server reports as not running. A field
// the server did not report (nullopt) is not evidence of a broken link.
void DetectReplicationBroken(const UnitView& unit, std::vector<Finding>* findings) {
  for (const MemberView& m : unit.members) {
    if (!m.observation.up) continue;
    for (const ChannelView& cv : m.channels) {
      const ReplicationChannel& c = cv.channel;
      std::string message;
      if (c.io_running == false) {
        message = "IO thread not running (" + (c.io_state.empty() ? "No" : c.io_state) +
                  ", source " + SourceAddress(c) + ")";
        if (c.last_io_errno != 0) {
          message += ": error " + std::to_string(c.last_io_errno) + ": " + c.last_io_error;
        }
      }
      if (c.sql_running == false) {
        if (!message.empty()) message += "; ";
        message += "SQL thread stopped";
        if (c.last_sql_errno != 0) {
          message += ": error " + std::to_string(c.last_sql_errno) + ": " + c.last_sql_error;
        }
      }
      if (message.empty()) continue;
      findings->push_back(ChannelFinding(unit, m, cv, finding::kReplicationBroken,
                                         Severity::kCritical, std::move(message)));
    }
  }
}

// replication_lagging: known lag, less the delay the replica was told to
// keep (SQL_Delay: Seconds_Behind_Master of a delayed replica includes it),
// above the threshold. NULL Seconds_Behind_Master means unknown (thread
// stopped, not connected), which replication_broken covers; it is never
// treated as lag or as 0.
void DetectReplicationLagging(const UnitView& unit, const AnalysisOptions& options,
                              std::vector<Finding>* findings) {
  for (const MemberView& m : unit.members) {
    if (!m.observation.up) continue;
    for (const ChannelView& cv : m.channels) {
      const std::optional<double> lag = cv.channel.lag_seconds;
      if (!lag.has_value()) continue;
      const double delay = cv.channel.configured_delay_seconds.value_or(0);
      if (*lag - delay <= options.max_replication_lag_seconds) continue;
      std::string message = "replication lag " + FormatNumber(*lag) + "s";
      if (delay > 0) {
        message += " (" + FormatNumber(*lag - delay) + "s beyond the configured delay of " +
                   FormatNumber(delay) + "s)";
      }
      message += " exceeds " + FormatNumber(options.max_replication_lag_seconds) + "s";
      findings->push_back(ChannelFinding(unit, m, cv, finding::kReplicationLagging,
                                         Severity::kWarning, std::move(message)));
    }
  }
}

// server_id_conflict: two servers with one server_id (or server_uuid) break
// replication in confusing ways: the source drops one replica when the other
// connects, and events can be skipped as "own". A wrong-source incident derives server_id
// from the pod ordinal across templates, so this happens in practice.
void DetectServerIdConflicts(UnitView& unit, std::vector<Finding>* findings) {
  std::map<std::uint32_t, std::vector<size_t>> by_id;
  std::map<std::string, std::vector<size_t>> by_uuid;
  for (size_t i = 0; i < unit.members.size(); ++i) {
    const Observation& o = unit.members[i].observation;
    if (!o.up) continue;
    if (o.server_id.has_value()) by_id[*o.server_id].push_back(i);
    if (!o.server_uuid.empty()) by_uuid[o.server_uuid].push_back(i);
  }

  std::vector<std::string> reasons(unit.members.size());
  auto note = [&](const std::vector<size_t>& group, const std::string& what) {
    if (group.size() < 2) return;
    for (size_t i : group) {
      std::string others;
      for (size_t j : group) {
        if (j == i) continue;
        if (!others.empty()) others += ", ";
        others += unit.members[j].target.pod;
      }
      if (!reasons[i].empty()) reasons[i] += "; ";
      reasons[i] += what + " shared with " + others;
    }
  };
  for (const auto& [id, group] : by_id) note(group, "server_id " + std::to_string(id));
  for (const auto& [uuid, group] : by_uuid) note(group, "server_uuid " + uuid);

  unit.server_id_conflicts = 0;
  for (size_t i = 0; i < unit.members.size(); ++i) {
    if (reasons[i].empty()) continue;
    ++unit.server_id_conflicts;
    findings->push_back(MemberFinding(unit, unit.members[i], finding::kServerIdConflict,
                                      Severity::kCritical, reasons[i]));
  }
}

// "10.11.19-MariaDB-0+deb12u1" -> "10.11.19", "8.0.36-log" -> "8.0.36":
// packaging and build suffixes are not a version difference.
std::string BaseVersion(const std::string& version) { return version.substr(0, version.find('-')); }

// version_skew (info): members of one unit on different server versions
// (pods from different instance templates). Replication across
// versions works in one direction only and hides behaviour differences.
void DetectVersionSkew(const UnitView& unit, std::vector<Finding>* findings) {
  std::map<std::string, std::vector<const MemberView*>> by_version;
  for (const MemberView& m : unit.members) {
    if (!m.observation.up) continue;
    const std::string base = BaseVersion(m.observation.version);
    if (!base.empty()) by_version[base].push_back(&m);
  }
  if (by_version.size() <= 1) return;
  std::string message = "members run different versions:";
  bool first = true;
  for (const auto& [version, members] : by_version) {
    message += (first ? " " : ", ") + version + " (" + JoinPods(members) + ")";
    first = false;
  }
  Finding f;
  f.kind = finding::kVersionSkew;
  f.severity = Severity::kInfo;
  f.unit = unit.unit;
  f.message = std::move(message);
  findings->push_back(std::move(f));
}

// writable_replica: a replica (a running replication thread) with
// read_only=0. Writes sent to it diverge from the source and
// later break replication (1062 and friends). The writable half of
// co-primaries is the primary, not a writable replica.
void DetectWritableReplicas(const UnitView& unit, std::vector<Finding>* findings) {
  for (const MemberView& m : unit.members) {
    if (!m.observation.up || m.observed_role != Role::kReplica) continue;
    if (MysqlWritable(m.observation) != true) continue;
    findings->push_back(MemberFinding(unit, m, finding::kWritableReplica, Severity::kWarning,
                                      "replica accepts writes (read_only=0)"));
  }
}

// detached_replica: an up, read-only member with no replication configured
// while the unit has one primary: what `RESET SLAVE ALL` in a half-done
// switchover leaves. It serves reads that age without bound. Without a
// primary this is no_primary's business.
void DetectDetachedReplicas(const UnitView& unit, std::vector<Finding>* findings) {
  if (unit.primaries != 1) return;
  for (const MemberView& m : unit.members) {
    if (!m.observation.up || !m.observation.channels.empty()) continue;
    if (MysqlWritable(m.observation) != false) continue;
    findings->push_back(
        MemberFinding(unit, m, finding::kDetachedReplica, Severity::kWarning,
                      "read-only and replicates from nobody (no replication configured) while " +
                          unit.primary_pod + " is the primary"));
  }
}

}  // namespace

bool HasRunningThread(const ReplicationChannel& c) {
  return c.io_running == true || EqualsIgnoreCase(c.io_state, "Connecting") ||
         c.sql_running == true;
}

Role MysqlObservedRole(const Observation& observation) {
  if (!observation.up) return Role::kUnknown;
  // A running thread means the server is being fed by a source; a server
  // whose channels are all stopped (by STOP SLAVE, by an error, or never
  // started) receives nothing, so if it takes writes those writes are a
  // second, independent history: it is a primary.
  if (std::any_of(observation.channels.begin(), observation.channels.end(), HasRunningThread)) {
    return Role::kReplica;
  }
  if (MysqlWritable(observation) == true) return Role::kPrimary;
  // Read-only with replication configured but stopped: a replica whose
  // replication is broken (replication_broken says so).
  if (!observation.channels.empty()) return Role::kReplica;
  // Read-only and not replicating: a fenced ex-primary or a detached
  // replica. Neither is a primary, and calling it a replica would be a guess.
  return Role::kUnknown;
}

void AssignMysqlRoles(UnitView& unit) {
  for (MemberView& m : unit.members) m.observed_role = MysqlObservedRole(m.observation);
  // Co-primaries: two members replicating from each other. Each writable
  // one is a primary (one: active/passive; both: split brain).
  const std::vector<const MemberView*> all = MemberPointers(unit);
  auto follows = [&](const MemberView& a, const MemberView& b) {
    return std::any_of(a.observation.channels.begin(), a.observation.channels.end(),
                       [&](const ReplicationChannel& c) { return ResolveSource(c, a, all) == &b; });
  };
  for (MemberView& a : unit.members) {
    if (!a.observation.up) continue;
    for (MemberView& b : unit.members) {
      if (&a == &b || !b.observation.up || !follows(a, b) || !follows(b, a)) continue;
      a.co_primary = true;
      if (MysqlWritable(a.observation) == true) a.observed_role = Role::kPrimary;
    }
  }
}

void DetectMysql(UnitView& unit, const AnalysisOptions& options, std::vector<Finding>* findings) {
  BuildChannelViews(unit);
  DetectReplicationBroken(unit, findings);
  DetectReplicationLagging(unit, options, findings);
  DetectWrongSource(unit, MemberPointers(unit), findings);
  DetectServerIdConflicts(unit, findings);
  DetectVersionSkew(unit, findings);
  DetectWritableReplicas(unit, findings);
  DetectDetachedReplicas(unit, findings);
  DetectErrantGtids(unit, findings);
}

}  // namespace dbtopo::detail
