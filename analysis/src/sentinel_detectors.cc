// Redis Sentinel (engine `redis-sentinel`): what each sentinel believes,
// beside what the databases say.
//
// A sentinel is a fourth witness of who is primary. Clients ask it for the
// master's address, so a sentinel that names a server the databases do not
// call primary sends writes to the wrong place, and sentinels that disagree
// send different clients to different servers. Reads the SentinelInfo the
// sentinel probe fills (collectors/src/sentinel_parser.h); a down sentinel
// or an unknown value never raises a finding here (target_down covers it).

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common_detectors.h"
#include "detectors.h"

namespace dbtopo::detail {
namespace {

bool IsWatchable(const UnitView& unit) { return unit.engine == Engine::kRedis; }

const MemberView* NamedMember(const UnitView& unit, const SentinelMaster& master) {
  for (const MemberView& m : unit.members) {
    if (AddressNamesMember(master.host, master.port, m)) return &m;
  }
  return nullptr;
}

// The Redis unit a sentinel's master belongs to: among the `redis` units of
// the sentinel's namespace (of its `sentinel_for` db_cluster when set), the
// one a member of which the master's address names; else, with
// `sentinel_for`, its only `redis` unit.
UnitView* WatchedUnit(std::vector<UnitView>& units, const Target& sentinel,
                      const SentinelMaster& master) {
  std::vector<UnitView*> candidates;
  for (UnitView& unit : units) {
    if (!IsWatchable(unit) || unit.unit.ns != sentinel.unit.ns) continue;
    if (!sentinel.sentinel_for.empty() && unit.unit.db_cluster != sentinel.sentinel_for) continue;
    candidates.push_back(&unit);
  }
  for (UnitView* unit : candidates) {
    if (NamedMember(*unit, master) != nullptr) return unit;
  }
  if (!sentinel.sentinel_for.empty() && candidates.size() == 1) return candidates.front();
  return nullptr;
}

std::string UnitName(const UnitId& unit) {
  return (unit.ns.empty() ? "" : unit.ns + "/") + unit.db_cluster + "/" + unit.component;
}

Finding SentinelFinding(const UnitView& unit, const MemberView& sentinel,
                        const SentinelMaster& master, const char* kind, Severity severity,
                        std::string message) {
  Finding f = MemberFinding(unit, sentinel, kind, severity, std::move(message));
  f.channel = master.name;
  return f;
}

// While a sentinel reports its master down or a failover under way, it
// names the old master until the new configuration reaches it: expected,
// and sentinel_master_down says what is going on.
bool MasterInTransition(const SentinelMaster& master) {
  return master.HasFlag("s_down") || master.HasFlag("o_down") ||
         master.HasFlag("failover_in_progress");
}

// sentinel_master_mismatch: the named master is not exactly the watched
// unit's set of primaries. Nothing is judged while the unit shows no primary
// (no_primary covers it) or the master is in transition.
void CheckMaster(const UnitView& sentinel_unit, const MemberView& sentinel,
                 const SentinelMaster& master, const UnitView& watched, const MemberView* named,
                 std::vector<Finding>* findings) {
  const std::vector<const MemberView*> primaries = Primaries(watched);
  if (primaries.empty() || MasterInTransition(master)) return;
  if (named != nullptr && primaries.size() == 1 && primaries.front() == named) return;
  std::string message = "sentinel names " + master.Address();
  message += named != nullptr ? " (" + named->target.pod + ")" : " (no member of the unit)";
  message += " as master " + master.name + " of " + UnitName(watched.unit) +
             ", but the databases report primary " + JoinPods(primaries);
  findings->push_back(SentinelFinding(sentinel_unit, sentinel, master,
                                      finding::kSentinelMasterMismatch, Severity::kCritical,
                                      std::move(message)));
}

void CheckHealth(const UnitView& sentinel_unit, const MemberView& sentinel,
                 const SentinelMaster& master, std::vector<Finding>* findings) {
  if (master.quorum_ok == false) {
    std::string message = "SENTINEL CKQUORUM " + master.name + " fails";
    if (!master.quorum_message.empty()) message += ": " + master.quorum_message;
    message += ": no failover of this master can be authorized";
    findings->push_back(SentinelFinding(sentinel_unit, sentinel, master,
                                        finding::kSentinelQuorumLost, Severity::kCritical,
                                        std::move(message)));
  }
  if (master.HasFlag("o_down")) {
    findings->push_back(SentinelFinding(
        sentinel_unit, sentinel, master, finding::kSentinelMasterDown, Severity::kCritical,
        "master " + master.name + " at " + master.Address() + " is objectively down (o_down)"));
  }
}

SentinelView ViewOf(const UnitView& sentinel_unit, const MemberView& sentinel,
                    const SentinelMaster& master, const UnitView* watched,
                    const MemberView* named) {
  SentinelView view;
  view.sentinel_unit = sentinel_unit.unit;
  view.sentinel_pod = sentinel.target.pod;
  if (watched != nullptr) view.watched_unit = watched->unit;
  view.master_name = master.name;
  view.master_address = master.Address();
  if (named != nullptr) view.master_pod = named->target.pod;
  view.config_epoch = master.config_epoch;
  view.flags = master.flags;
  view.quorum_ok = master.quorum_ok;
  return view;
}

void JudgeSentinel(std::vector<UnitView>& units, std::size_t sentinel_index,
                   const MemberView& sentinel, std::vector<Finding>* findings) {
  const SentinelInfo& info = *sentinel.observation.sentinel;
  if (info.tilt == true) {
    findings->push_back(MemberFinding(
        units[sentinel_index], sentinel, finding::kSentinelTilt, Severity::kWarning,
        "sentinel is in TILT mode (sentinel_tilt:1): it performs no failover until it leaves"));
  }
  for (const SentinelMaster& master : info.masters) {
    UnitView* watched = WatchedUnit(units, sentinel.target, master);
    const MemberView* named = watched != nullptr ? NamedMember(*watched, master) : nullptr;
    const UnitView& sentinel_unit = units[sentinel_index];
    CheckHealth(sentinel_unit, sentinel, master, findings);
    if (watched != nullptr) CheckMaster(sentinel_unit, sentinel, master, *watched, named, findings);
    SentinelView view = ViewOf(sentinel_unit, sentinel, master, watched, named);
    if (watched != nullptr) watched->sentinel_views.push_back(view);
    units[sentinel_index].sentinel_views.push_back(std::move(view));
  }
}

// sentinels_disagree on a Redis unit: per master name, the masters (and
// config epochs) its sentinels name.
void CheckAgreement(const UnitView& unit, std::vector<Finding>* findings) {
  std::map<std::string, std::vector<const SentinelView*>> by_name;
  for (const SentinelView& view : unit.sentinel_views) by_name[view.master_name].push_back(&view);
  for (const auto& [name, views] : by_name) {
    std::set<std::string> addresses;
    std::set<std::int64_t> epochs;
    std::string detail;
    for (const SentinelView* view : views) {
      addresses.insert(view->master_address);
      if (view->config_epoch) epochs.insert(*view->config_epoch);
      if (!detail.empty()) detail += ", ";
      detail += view->sentinel_pod + " names " + view->master_address;
      if (view->config_epoch) detail += " (epoch " + std::to_string(*view->config_epoch) + ")";
    }
    if (addresses.size() <= 1 && epochs.size() <= 1) continue;
    Finding f;
    f.kind = finding::kSentinelsDisagree;
    f.severity = addresses.size() > 1 ? Severity::kCritical : Severity::kWarning;
    f.unit = unit.unit;
    f.channel = name;
    f.message = "sentinels disagree on master " + name + ": " + detail;
    findings->push_back(std::move(f));
  }
}

}  // namespace

void DetectSentinels(std::vector<UnitView>& units, const AnalysisOptions&,
                     std::vector<Finding>* findings) {
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (units[i].engine != Engine::kRedisSentinel) continue;
    for (std::size_t j = 0; j < units[i].members.size(); ++j) {
      const MemberView& sentinel = units[i].members[j];
      if (!sentinel.observation.up || !sentinel.observation.sentinel) continue;
      JudgeSentinel(units, i, sentinel, findings);
    }
  }
  for (const UnitView& unit : units) {
    if (IsWatchable(unit)) CheckAgreement(unit, findings);
  }
}

}  // namespace dbtopo::detail
