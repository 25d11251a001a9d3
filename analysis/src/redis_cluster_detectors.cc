// Redis Cluster (engine `redis-cluster`): per-node cluster health and the
// cluster-wide view checks of a cluster scaled out, scaled in, stopped and started (nodes that
// never met, stale nodes.conf after a restart on new addresses, a stopped shard).
//
// All members of one (namespace, db_cluster) are nodes of one cluster,
// whatever components they are in (KubeBlocks puts each shard in its own
// component; a static config may put all nodes in one). Inputs are
// Observation::redis_cluster (CLUSTER INFO / NODES / MYID) and the Redis
// replication fields; a down node, or a node whose CLUSTER replies said
// nothing, is never judged.

#include <algorithm>
#include <bitset>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common_detectors.h"
#include "detectors.h"
#include "source_graph.h"

namespace dbtopo::detail {
namespace {

constexpr int kSlots = 16384;

// One node of the db_cluster with the unit it belongs to.
struct Node {
  UnitView* unit;
  MemberView* member;

  const RedisClusterInfo* info() const {
    const Observation& o = member->observation;
    return o.up && o.redis_cluster.has_value() ? &*o.redis_cluster : nullptr;
  }
};

Finding NodeFinding(const Node& n, const char* kind, Severity severity, std::string message) {
  Finding f;
  f.kind = kind;
  f.severity = severity;
  f.unit = n.unit->unit;
  f.pod = n.member->target.pod;
  f.message = std::move(message);
  return f;
}

bool IsSelf(const RedisClusterNode& node, const RedisClusterInfo& info) {
  return node.HasFlag("myself") || (!info.myid.empty() && node.id == info.myid);
}

const RedisClusterNode* Myself(const RedisClusterInfo& info) {
  for (const RedisClusterNode& node : info.nodes) {
    if (IsSelf(node, info)) return &node;
  }
  return nullptr;
}

// A node whose CLUSTER NODES we can compare: up, and at least one line read.
bool HasView(const Node& n) { return n.info() != nullptr && !n.info()->nodes.empty(); }

// CLUSTER INFO said something (a garbage reply leaves every field unknown).
bool HasClusterInfo(const RedisClusterInfo& info) {
  return info.state_ok.has_value() || info.slots_assigned.has_value() ||
         info.known_nodes.has_value() || info.size.has_value() || info.current_epoch.has_value();
}

bool NodeNamesMember(const RedisClusterNode& node, const MemberView& m) {
  if (AddressNamesMember(node.host, node.port, m)) return true;
  return !node.hostname.empty() && AddressNamesMember(node.hostname, node.port, m);
}

bool Pending(const RedisClusterNode& node) {
  return node.HasFlag("handshake") || node.HasFlag("noaddr");
}

bool Failing(const RedisClusterNode& node) { return node.HasFlag("fail") || node.HasFlag("fail?"); }

std::string NodeAddress(const RedisClusterNode& node) {
  std::string address = node.host + ":" + std::to_string(node.port);
  if (!node.hostname.empty()) address += "," + node.hostname;
  return address;
}

// "0-5460, 10923" from a sorted slot list.
std::string SlotRanges(const std::vector<int>& slots) {
  std::string out;
  for (size_t i = 0; i < slots.size();) {
    size_t j = i;
    while (j + 1 < slots.size() && slots[j + 1] == slots[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(slots[i]);
    if (j > i) out += "-" + std::to_string(slots[j]);
    i = j + 1;
  }
  return out;
}

// redis_cluster_unmet_nodes: members of the db_cluster this node does not
// know at their address (or hostname), or knows there only in
// handshake/noaddr.
void DetectUnmet(std::vector<Node>& nodes, std::vector<Finding>* findings) {
  for (Node& n : nodes) {
    const RedisClusterInfo* info = n.info();
    n.member->redis_cluster_unmet_nodes = std::nullopt;
    if (info == nullptr || info->nodes.empty()) continue;
    std::vector<std::string> unmet;
    for (const Node& other : nodes) {
      if (other.member == n.member) continue;
      bool met = false, pending = false;
      for (const RedisClusterNode& node : info->nodes) {
        if (IsSelf(node, *info) || !NodeNamesMember(node, *other.member)) continue;
        (Pending(node) ? pending : met) = true;
      }
      if (met) continue;
      unmet.push_back(other.member->target.pod + " (" + other.member->target.Address() +
                      (pending ? ", only in handshake/noaddr)" : ")"));
    }
    n.member->redis_cluster_unmet_nodes = static_cast<int>(unmet.size());
    if (unmet.empty()) continue;
    std::string message = "has not met " + std::to_string(unmet.size()) + " of " +
                          std::to_string(nodes.size() - 1) + " other members: ";
    for (size_t i = 0; i < unmet.size(); ++i) message += (i ? ", " : "") + unmet[i];
    findings->push_back(
        NodeFinding(n, finding::kRedisClusterUnmetNodes, Severity::kWarning, message));
  }
}

struct Coverage {
  int assigned = 0;
  int fail = 0;
};

// From CLUSTER INFO when it said; else computed from the node's CLUSTER NODES.
Coverage SlotCoverage(const RedisClusterInfo& info) {
  if (info.slots_assigned && info.slots_fail) return {*info.slots_assigned, *info.slots_fail};
  std::bitset<kSlots> assigned, failed;
  for (const RedisClusterNode& node : info.nodes) {
    if (node.HasFlag("handshake")) continue;
    for (auto [first, last] : node.slots) {
      for (int s = std::max(first, 0); s <= std::min(last, kSlots - 1); ++s) {
        assigned.set(s);
        if (node.HasFlag("fail")) failed.set(s);
      }
    }
  }
  return {static_cast<int>(assigned.count()), static_cast<int>(failed.count())};
}

// redis_cluster_state_fail, redis_cluster_slots_uncovered,
// redis_cluster_failed_nodes: what each node reports about the cluster.
void DetectNodeHealth(const std::vector<Node>& nodes, std::vector<Finding>* findings) {
  std::map<std::string, std::string> pod_by_id;  // For readable messages.
  for (const Node& n : nodes) {
    if (const RedisClusterInfo* info = n.info(); info != nullptr && !info->myid.empty()) {
      pod_by_id[info->myid] = n.member->target.pod;
    }
  }
  for (const Node& n : nodes) {
    const RedisClusterInfo* info = n.info();
    if (info == nullptr) continue;
    if (info->state_ok == false) {
      std::string message = "cluster_state:fail";
      if (info->slots_assigned)
        message += ", slots assigned " + std::to_string(*info->slots_assigned);
      if (info->slots_ok) message += ", ok " + std::to_string(*info->slots_ok);
      if (info->slots_pfail) message += ", pfail " + std::to_string(*info->slots_pfail);
      if (info->slots_fail) message += ", fail " + std::to_string(*info->slots_fail);
      if (info->known_nodes) message += ", known nodes " + std::to_string(*info->known_nodes);
      findings->push_back(
          NodeFinding(n, finding::kRedisClusterStateFail, Severity::kCritical, message));
    }
    if (HasClusterInfo(*info) || !info->nodes.empty()) {
      const Coverage c = SlotCoverage(*info);
      if (c.assigned < kSlots || c.fail > 0) {
        const int unserved = kSlots - c.assigned + c.fail;
        findings->push_back(
            NodeFinding(n, finding::kRedisClusterSlotsUncovered, Severity::kCritical,
                        std::to_string(unserved) + " of " + std::to_string(kSlots) +
                            " slots not served: " + std::to_string(kSlots - c.assigned) +
                            " unassigned, " + std::to_string(c.fail) + " owned by failed masters"));
      }
    }
    std::vector<std::string> failing;
    for (const RedisClusterNode& node : info->nodes) {
      if (IsSelf(node, *info) || node.HasFlag("handshake") || !Failing(node)) continue;
      std::string what = node.id.substr(0, 8) + " " + NodeAddress(node);
      if (const auto it = pod_by_id.find(node.id); it != pod_by_id.end()) {
        what += " (" + it->second + ")";
      }
      what += node.HasFlag("fail") ? " fail" : " pfail";
      failing.push_back(std::move(what));
    }
    if (failing.empty()) continue;
    std::string message = "sees " + std::to_string(failing.size()) + " node(s) failing: ";
    for (size_t i = 0; i < failing.size(); ++i) message += (i ? ", " : "") + failing[i];
    findings->push_back(
        NodeFinding(n, finding::kRedisClusterFailedNodes, Severity::kWarning, message));
  }
}

// One node's view: node ids (handshake entries excluded: their ids are
// temporary) and the owner of every slot (index into ids, -1 = none).
struct View {
  std::vector<std::string> ids;
  std::vector<int> owner;

  bool operator==(const View&) const = default;
};

View MakeView(const RedisClusterInfo& info) {
  View view;
  for (const RedisClusterNode& node : info.nodes) {
    if (!node.HasFlag("handshake")) view.ids.push_back(node.id);
  }
  std::sort(view.ids.begin(), view.ids.end());
  view.ids.erase(std::unique(view.ids.begin(), view.ids.end()), view.ids.end());
  view.owner.assign(kSlots, -1);
  for (const RedisClusterNode& node : info.nodes) {
    if (node.HasFlag("handshake") || node.slots.empty()) continue;
    const int index = static_cast<int>(std::lower_bound(view.ids.begin(), view.ids.end(), node.id) -
                                       view.ids.begin());
    for (auto [first, last] : node.slots) {
      for (int s = std::max(first, 0); s <= std::min(last, kSlots - 1); ++s) view.owner[s] = index;
    }
  }
  return view;
}

// UnitView::redis_cluster_views_consistent and redis_cluster_views_split.
void DetectViews(std::vector<UnitView*>& units, const std::vector<Node>& nodes,
                 std::vector<Finding>* findings) {
  std::vector<std::pair<View, std::vector<const MemberView*>>> views;
  for (const Node& n : nodes) {
    if (!HasView(n)) continue;
    View view = MakeView(*n.info());
    auto it =
        std::find_if(views.begin(), views.end(), [&](const auto& v) { return v.first == view; });
    if (it == views.end()) {
      views.push_back({std::move(view), {n.member}});
    } else {
      it->second.push_back(n.member);
    }
  }
  std::optional<bool> consistent;
  if (!views.empty()) consistent = views.size() == 1;
  for (UnitView* unit : units) unit->redis_cluster_views_consistent = consistent;
  if (views.size() <= 1) return;

  std::string message = std::to_string(views.size()) + " different views of membership/slots:";
  for (size_t i = 0; i < views.size(); ++i) {
    const View& v = views[i].first;
    const int assigned = static_cast<int>(
        std::count_if(v.owner.begin(), v.owner.end(), [](int o) { return o >= 0; }));
    message += (i ? "; " : " ") + JoinPods(views[i].second) + " see " +
               std::to_string(v.ids.size()) + " node(s), " + std::to_string(assigned) +
               " slots assigned";
  }
  Finding f;
  f.kind = finding::kRedisClusterViewsSplit;
  f.severity = Severity::kWarning;
  f.unit = units.front()->unit;
  f.message = std::move(message);
  findings->push_back(std::move(f));
}

// dual_primary: two reachable masters whose own CLUSTER NODES line (myself)
// claims the same slot. Both would accept writes for it.
void DetectSlotConflicts(std::vector<Node>& nodes, std::vector<Finding>* findings) {
  std::vector<int> claimer(kSlots, -1);
  // (first claimer, second claimer) -> conflicting slots.
  std::map<std::pair<int, int>, std::vector<int>> conflicts;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const RedisClusterInfo* info = nodes[i].info();
    if (info == nullptr || nodes[i].member->observed_role != Role::kPrimary) continue;
    const RedisClusterNode* self = Myself(*info);
    if (self == nullptr || !self->HasFlag("master")) continue;
    for (auto [first, last] : self->slots) {
      for (int s = std::max(first, 0); s <= std::min(last, kSlots - 1); ++s) {
        if (claimer[s] >= 0 && claimer[s] != static_cast<int>(i)) {
          conflicts[{claimer[s], static_cast<int>(i)}].push_back(s);
        } else {
          claimer[s] = static_cast<int>(i);
        }
      }
    }
  }
  std::map<UnitView*, std::string> by_unit;
  for (const auto& [pair, slots] : conflicts) {
    const Node& a = nodes[pair.first];
    const Node& b = nodes[pair.second];
    const std::string text = "masters " + a.member->target.pod + " and " + b.member->target.pod +
                             " both claim slots " + SlotRanges(slots);
    for (UnitView* unit : {a.unit, b.unit}) {
      std::string& m = by_unit[unit];
      if (m.find(text) == std::string::npos) m += (m.empty() ? "" : "; ") + text;
    }
  }
  for (auto& [unit, message] : by_unit) {
    unit->dual_primary = true;
    Finding f;
    f.kind = finding::kDualPrimary;
    f.severity = Severity::kCritical;
    f.unit = unit->unit;
    f.message = message;
    findings->push_back(std::move(f));
  }
}

// redis_cluster_master_without_replica: a master serving slots that has no
// healthy replica in its own view, while the cluster does have replicas.
void DetectMastersWithoutReplica(const std::vector<Node>& nodes, std::vector<Finding>* findings) {
  bool cluster_has_replicas = false;
  for (const Node& n : nodes) {
    if (!HasView(n)) continue;
    for (const RedisClusterNode& node : n.info()->nodes) {
      if (node.HasFlag("slave") && !node.HasFlag("handshake")) cluster_has_replicas = true;
    }
  }
  if (!cluster_has_replicas) return;
  for (const Node& n : nodes) {
    const RedisClusterInfo* info = n.info();
    if (info == nullptr) continue;
    const RedisClusterNode* self = Myself(*info);
    if (self == nullptr || !self->HasFlag("master") || self->slots.empty()) continue;
    int healthy = 0;
    for (const RedisClusterNode& node : info->nodes) {
      if (node.master_id == self->id && node.HasFlag("slave") && !Failing(node) && !Pending(node)) {
        ++healthy;
      }
    }
    if (healthy > 0) continue;
    findings->push_back(NodeFinding(n, finding::kRedisClusterMasterWithoutReplica,
                                    Severity::kWarning,
                                    "master serving slots has no healthy replica"));
  }
}

void DetectCluster(std::vector<UnitView*>& units, const AnalysisOptions& options,
                   std::vector<Finding>* findings) {
  std::vector<Node> nodes;
  std::vector<const MemberView*> candidates;
  for (UnitView* unit : units) {
    unit->dual_primary = false;
    for (MemberView& m : unit->members) {
      nodes.push_back({unit, &m});
      candidates.push_back(&m);
    }
  }
  for (UnitView* unit : units) {
    // A shard unit (KubeBlocks) has one master; a unit holding the whole
    // cluster has several, and then no single primary pod.
    const MemberView* primary = nullptr;
    int primaries = 0;
    for (const MemberView& m : unit->members) {
      if (m.observed_role == Role::kPrimary) {
        primary = &m;
        ++primaries;
      }
    }
    unit->primary_pod = primaries == 1 ? primary->target.pod : "";
    DetectRedisLinks(*unit, candidates, options, findings);
  }
  DetectUnmet(nodes, findings);
  DetectNodeHealth(nodes, findings);
  DetectViews(units, nodes, findings);
  DetectSlotConflicts(nodes, findings);
  DetectMastersWithoutReplica(nodes, findings);
}

}  // namespace

void DetectRedisClusters(std::vector<UnitView>& units, const AnalysisOptions& options,
                         std::vector<Finding>* findings) {
  std::map<std::pair<std::string, std::string>, std::vector<UnitView*>> clusters;
  for (UnitView& unit : units) {
    if (unit.engine != Engine::kRedisCluster) continue;
    clusters[{unit.unit.ns, unit.unit.db_cluster}].push_back(&unit);
  }
  for (auto& [key, cluster_units] : clusters) {
    std::sort(cluster_units.begin(), cluster_units.end(),
              [](const UnitView* a, const UnitView* b) { return a->unit < b->unit; });
    DetectCluster(cluster_units, options, findings);
  }
}

}  // namespace dbtopo::detail
