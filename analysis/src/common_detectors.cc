#include "common_detectors.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "dbtopo/analysis/engines.h"
#include "dbtopo/base/strings.h"
#include "source_graph.h"

namespace dbtopo::detail {
namespace {

Finding UnitFinding(const UnitView& unit, const char* kind, Severity severity,
                    std::string message) {
  Finding f;
  f.kind = kind;
  f.severity = severity;
  f.unit = unit.unit;
  f.message = std::move(message);
  return f;
}

Finding PodFinding(const UnitView& unit, const MemberView& member, const char* kind,
                   Severity severity, std::string message) {
  Finding f = UnitFinding(unit, kind, severity, std::move(message));
  f.pod = member.target.pod;
  return f;
}

std::vector<const MemberView*> MembersWhere(const UnitView& unit, auto predicate) {
  std::vector<const MemberView*> out;
  for (const MemberView& m : unit.members) {
    if (predicate(m)) out.push_back(&m);
  }
  return out;
}

bool IsPrimaryOrReplica(Role role) { return role == Role::kPrimary || role == Role::kReplica; }

}  // namespace

std::string JoinPods(const std::vector<const MemberView*>& members) {
  std::string out;
  for (const MemberView* m : members) {
    if (!out.empty()) out += ", ";
    out += m->target.pod;
  }
  return out;
}

void DetectTargetDown(const UnitView& unit, std::vector<Finding>* findings) {
  for (const MemberView& m : unit.members) {
    if (m.observation.up) continue;
    std::string message = "probe of " + m.target.Address() + " failed";
    if (!m.observation.error.empty()) message += ": " + m.observation.error;
    findings->push_back(PodFinding(unit, m, finding::kTargetDown, Severity::kWarning, message));
  }
}

void CountPrimaries(UnitView& unit) {
  const auto primaries =
      MembersWhere(unit, [](const MemberView& m) { return m.observed_role == Role::kPrimary; });
  unit.primaries = static_cast<int>(primaries.size());
  // A Redis Cluster has one master per shard; "the" primary of the unit is
  // meaningless there.
  if (OnePrimaryPerShard(unit.engine)) return;
  unit.primary_pod = primaries.size() == 1 ? primaries.front()->target.pod : "";
}

void DetectDualPrimary(UnitView& unit, std::vector<Finding>* findings) {
  if (OnePrimaryPerShard(unit.engine)) return;
  const auto primaries =
      MembersWhere(unit, [](const MemberView& m) { return m.observed_role == Role::kPrimary; });
  // Two servers that accept writes and do not replicate: split brain, writes
  // on either side are lost to the other.
  unit.dual_primary = primaries.size() > 1;
  if (!unit.dual_primary) return;
  findings->push_back(UnitFinding(
      unit, finding::kDualPrimary, Severity::kCritical,
      std::to_string(primaries.size()) + " members report primary: " + JoinPods(primaries)));
}

// Down members that some up replica still reports an IO thread (Redis:
// master link) `Yes` to, with the pods that do.
std::map<const MemberView*, std::vector<const MemberView*>> StillFollowedWhileDown(
    const UnitView& unit) {
  const std::vector<const MemberView*> all = MemberPointers(unit);
  std::map<const MemberView*, std::vector<const MemberView*>> followed;
  for (const MemberView& m : unit.members) {
    if (!m.observation.up) continue;
    for (const ReplicationChannel& c : m.observation.channels) {
      if (c.io_running != true) continue;
      const MemberView* source = ResolveSource(c, m, all);
      if (source != nullptr && source != &m && !source->observation.up) {
        followed[source].push_back(&m);
      }
    }
  }
  return followed;
}

void DetectNoPrimary(const UnitView& unit, std::vector<Finding>* findings) {
  if (OnePrimaryPerShard(unit.engine)) return;
  if (unit.primaries > 0) return;
  // The exporter cannot reach a member that replicas still stream from: it
  // is alive for them, so this is the exporter's blindness (network, grants,
  // max_connections), not a dead primary.
  const auto followed = StillFollowedWhileDown(unit);
  for (const auto& [source, replicas] : followed) {
    findings->push_back(PodFinding(unit, *source, finding::kPrimaryUnreachable, Severity::kWarning,
                                   "the exporter cannot reach " + Describe(*source) + " (" +
                                       source->observation.error + ") but " + JoinPods(replicas) +
                                       " still replicate from it (IO thread running)"));
  }
  if (!followed.empty()) return;
  // A dead primary is exactly the incident this catches, so down members do
  // not excuse it; name them to point at the likely cause.
  std::string message = "no member reports primary";
  const auto down = MembersWhere(unit, [](const MemberView& m) { return !m.observation.up; });
  if (!down.empty()) message += " (down: " + JoinPods(down) + ")";
  findings->push_back(UnitFinding(unit, finding::kNoPrimary, Severity::kCritical, message));
}

void DetectLabelledNoPrimary(const UnitView& unit, std::vector<Finding>* findings) {
  // Redis Cluster shards are judged by slots; a unit without any role label
  // (a plain StatefulSet) routes writes some other way.
  if (OnePrimaryPerShard(unit.engine) || unit.primaries != 1) return;
  if (unit.labelled_primaries > 0) return;
  const bool any_label = std::any_of(unit.members.begin(), unit.members.end(), [](const auto& m) {
    return m.target.labelled_role.has_value() || !m.target.role_label_value.empty();
  });
  if (!any_label) return;
  findings->push_back(UnitFinding(
      unit, finding::kLabelledNoPrimary, Severity::kCritical,
      "no pod is labelled primary while the database primary is " + unit.primary_pod +
          ": a Service selecting the primary role label has no endpoint, so writes fail"));
}

// Redis Cluster shard of a node: its own id when it is a master, its
// master's id when a replica (CLUSTER NODES `myself` line); "" when unknown.
std::string RedisClusterShard(const MemberView& m) {
  if (!m.observation.up || !m.observation.redis_cluster) return "";
  for (const RedisClusterNode& node : m.observation.redis_cluster->nodes) {
    if (!node.HasFlag("myself")) continue;
    if (node.HasFlag("master")) return node.id;
    if (node.HasFlag("slave")) return node.master_id;
  }
  return "";
}

void DetectLabelledDualPrimary(UnitView& unit, std::vector<Finding>* findings) {
  const auto labelled = MembersWhere(
      unit, [](const MemberView& m) { return m.target.labelled_role == Role::kPrimary; });
  unit.labelled_primaries = static_cast<int>(labelled.size());
  // Services and operators route writes by this label: two labelled primaries
  // send writes to both, whatever the databases think.
  std::vector<std::vector<const MemberView*>> groups;
  if (!OnePrimaryPerShard(unit.engine)) {
    groups.push_back(labelled);
  } else {
    // A Redis Cluster has one primary per shard, and a static config may put
    // every shard in one component: compare labels within a shard only.
    std::map<std::string, std::vector<const MemberView*>> by_shard;
    for (const MemberView* m : labelled) {
      if (std::string shard = RedisClusterShard(*m); !shard.empty()) by_shard[shard].push_back(m);
    }
    for (auto& [shard, members] : by_shard) groups.push_back(std::move(members));
  }
  for (const auto& group : groups) {
    if (group.size() <= 1) continue;
    findings->push_back(
        UnitFinding(unit, finding::kLabelledDualPrimary, Severity::kCritical,
                    std::to_string(group.size()) + " pods labelled primary: " + JoinPods(group)));
  }
}

void DetectRoleLabelMismatch(UnitView& unit, std::vector<Finding>* findings) {
  for (MemberView& m : unit.members) {
    // Unknown on either side (no label, pod down, undecidable) is not
    // evidence of a mismatch.
    const std::optional<Role> label = m.target.labelled_role;
    m.role_label_mismatch = label.has_value() && IsPrimaryOrReplica(*label) &&
                            IsPrimaryOrReplica(m.observed_role) && *label != m.observed_role;
    if (!m.role_label_mismatch) continue;
    std::string message = std::string("labelled ") + RoleName(*label);
    // The raw value helps when it is not the role name ("secondary", "leader").
    const std::string& raw = m.target.role_label_value;
    if (!raw.empty() && raw != RoleName(*label)) message += " (" + raw + ")";
    message += std::string(" but the database reports ") + RoleName(m.observed_role);
    findings->push_back(
        PodFinding(unit, m, finding::kRoleLabelMismatch, Severity::kWarning, message));
  }
}

void RunCommonDetectors(UnitView& unit, std::vector<Finding>* findings) {
  DetectTargetDown(unit, findings);
  // A sentinel holds no data: it has no role to count or to label.
  if (!HasPrimaries(unit.engine)) return;
  CountPrimaries(unit);
  DetectDualPrimary(unit, findings);
  DetectNoPrimary(unit, findings);
  DetectLabelledDualPrimary(unit, findings);
  DetectLabelledNoPrimary(unit, findings);
  DetectRoleLabelMismatch(unit, findings);
}

void SortFindings(std::vector<Finding>* findings) {
  std::sort(findings->begin(), findings->end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.unit, a.pod, a.kind, a.channel, a.message) <
           std::tie(b.unit, b.pod, b.kind, b.channel, b.message);
  });
}

}  // namespace dbtopo::detail

namespace dbtopo::detail {

Finding MemberFinding(const UnitView& unit, const MemberView& m, const char* kind,
                      Severity severity, std::string message) {
  Finding f;
  f.kind = kind;
  f.severity = severity;
  f.unit = unit.unit;
  f.pod = m.target.pod;
  f.message = std::move(message);
  return f;
}

Finding ChannelFinding(const UnitView& unit, const MemberView& m, const ChannelView& cv,
                       const char* kind, Severity severity, std::string message) {
  Finding f = MemberFinding(unit, m, kind, severity, std::move(message));
  f.channel = cv.channel.name;
  return f;
}

std::string SourceAddress(const ReplicationChannel& c) {
  return c.source_host + ":" + std::to_string(c.source_port);
}

std::string Describe(const MemberView& m) { return m.target.pod + " (" + m.target.Address() + ")"; }

bool AddressNamesMember(const std::string& host, int port, const MemberView& member) {
  if (host.empty() || port != member.target.port) return false;
  if (EqualsIgnoreCase(host, member.target.host)) return true;
  const std::string& pod = member.target.pod;
  if (pod.empty()) return false;
  if (EqualsIgnoreCase(host, pod)) return true;
  // Pod FQDN: orders-mysql-0.orders-mysql-headless.ns.svc.cluster.local
  return host.size() > pod.size() && host[pod.size()] == '.' &&
         EqualsIgnoreCase(std::string_view(host).substr(0, pod.size()), pod);
}

std::vector<const MemberView*> Primaries(const UnitView& unit) {
  std::vector<const MemberView*> primaries;
  for (const MemberView& m : unit.members) {
    if (m.observed_role == Role::kPrimary) primaries.push_back(&m);
  }
  return primaries;
}

}  // namespace dbtopo::detail

namespace dbtopo::detail {

std::vector<const MemberView*> MemberPointers(const UnitView& unit) {
  std::vector<const MemberView*> members;
  for (const MemberView& m : unit.members) members.push_back(&m);
  return members;
}

}  // namespace dbtopo::detail
