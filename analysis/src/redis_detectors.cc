// Redis replication (engine `redis`): observed role, replica links and the
// replication-set detectors. Also the link checks shared with redis-cluster.
//
// Reads the Observation fields the Redis probe fills (redis, channels; see
// collectors/src/redis_info_parser.h). Unknown values (link status missing,
// offsets missing, member down) never raise a finding.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common_detectors.h"
#include "detectors.h"
#include "source_graph.h"

namespace dbtopo::detail {
namespace {

// A master_replid2 of all zeros means "no previous history".
bool IsRealReplid(const std::string& replid) {
  return !replid.empty() && replid.find_first_not_of('0') != std::string::npos;
}

bool IsUpMaster(const MemberView& m) {
  return m.observation.up && m.observation.redis.has_value() &&
         m.observation.redis->role == "master";
}

// Bytes the replica is behind its source, from both servers' own
// master_repl_offset this round. Only meaningful when both share one
// replication history (the replica's master_replid is the source's).
std::optional<std::int64_t> LagFromSource(const MemberView& replica, const MemberView& source) {
  if (!IsUpMaster(source) || !replica.observation.redis) return std::nullopt;
  const RedisReplicationInfo& r = *replica.observation.redis;
  const RedisReplicationInfo& s = *source.observation.redis;
  if (r.master_replid.empty() || r.master_replid != s.master_replid) return std::nullopt;
  if (!r.master_repl_offset || !s.master_repl_offset) return std::nullopt;
  return std::max<std::int64_t>(0, *s.master_repl_offset - *r.master_repl_offset);
}

// After a promotion the new master keeps the old history's replid as
// master_replid2. When the old master is still up as a master too, say which
// one was promoted in the (already raised) dual_primary finding.
void ExplainDualPrimary(const UnitView& unit, std::vector<Finding>* findings) {
  if (!unit.dual_primary) return;
  std::string detail;
  for (const MemberView& promoted : unit.members) {
    if (!IsUpMaster(promoted) || !IsRealReplid(promoted.observation.redis->master_replid2)) {
      continue;
    }
    for (const MemberView& old : unit.members) {
      if (&old == &promoted || !IsUpMaster(old)) continue;
      if (old.observation.redis->master_replid != promoted.observation.redis->master_replid2) {
        continue;
      }
      if (!detail.empty()) detail += "; ";
      detail += promoted.target.pod + " was promoted from the history of " + old.target.pod +
                " (master_replid2), which still runs as a master";
    }
  }
  if (detail.empty()) return;
  for (Finding& f : *findings) {
    if (f.kind == finding::kDualPrimary && f.unit == unit.unit && f.pod.empty()) {
      f.message += ": " + detail;
    }
  }
}

}  // namespace

Role RedisObservedRole(const Observation& observation) {
  if (!observation.up || !observation.redis.has_value()) return Role::kUnknown;
  if (observation.redis->role == "master") return Role::kPrimary;
  if (observation.redis->role == "slave") return Role::kReplica;
  return Role::kUnknown;
}

void DetectRedisLinks(UnitView& unit, const std::vector<const MemberView*>& candidates,
                      const AnalysisOptions& options, std::vector<Finding>* findings) {
  for (MemberView& m : unit.members) {
    m.channels.clear();
    for (const ReplicationChannel& c : m.observation.channels) {
      ChannelView cv;
      cv.channel = c;
      cv.link_up = m.observation.up && c.io_running == true;
      if (m.observation.up) {
        if (const MemberView* source = ResolveSource(c, m, candidates); source != nullptr) {
          cv.source_pod = source->target.pod;
          if (const auto lag = LagFromSource(m, *source)) cv.channel.lag_bytes = lag;
        }
      }
      m.channels.push_back(std::move(cv));
    }
    if (!m.observation.up) continue;
    for (const ChannelView& cv : m.channels) {
      const ReplicationChannel& c = cv.channel;
      if (c.io_running == false) {
        std::string message = "master_link_status " + (c.io_state.empty() ? "down" : c.io_state) +
                              ", source " + SourceAddress(c);
        if (!cv.source_pod.empty()) message += " (" + cv.source_pod + ")";
        Finding f = MemberFinding(unit, m, finding::kReplicationBroken, Severity::kCritical,
                                  std::move(message));
        f.channel = c.name;
        findings->push_back(std::move(f));
      }
      if (c.lag_bytes && *c.lag_bytes > options.max_replication_lag_bytes) {
        Finding f =
            MemberFinding(unit, m, finding::kReplicationLagging, Severity::kWarning,
                          "replication lag " + std::to_string(*c.lag_bytes) + " bytes exceeds " +
                              std::to_string(options.max_replication_lag_bytes) + " bytes");
        f.channel = c.name;
        findings->push_back(std::move(f));
      }
    }
  }
}

void DetectRedis(UnitView& unit, const AnalysisOptions& options, std::vector<Finding>* findings) {
  std::vector<const MemberView*> candidates;
  for (const MemberView& m : unit.members) candidates.push_back(&m);
  DetectRedisLinks(unit, candidates, options, findings);
  DetectWrongSource(unit, candidates, findings);
  ExplainDualPrimary(unit, findings);
}

void AssignRedisRoles(UnitView& unit) {
  for (MemberView& m : unit.members) m.observed_role = RedisObservedRole(m.observation);
}

}  // namespace dbtopo::detail
