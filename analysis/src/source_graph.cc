#include "source_graph.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common_detectors.h"
#include "detectors.h"

namespace dbtopo::detail {
namespace {

bool IsOneOf(const MemberView* m, const std::vector<const MemberView*>& members) {
  return std::find(members.begin(), members.end(), m) != members.end();
}

/// Where following sources from a member ends.
struct ChainEnd {
  enum Kind { kPrimary, kUnknown, kLoop, kNotPrimary, kOutside } kind = kUnknown;
  std::string path;  ///< "m1 -> m0", for messages.
  std::string why;   ///< Why the chain stops; "" when it reaches a primary.
};

// Every channel source of `m` that names a candidate other than `m`, plus
// whether some channel names something outside the candidates.
std::vector<const MemberView*> Upstreams(const MemberView& m,
                                         const std::vector<const MemberView*>& candidates,
                                         bool* leaves_unit) {
  std::vector<const MemberView*> out;
  *leaves_unit = false;
  for (const ReplicationChannel& c : m.observation.channels) {
    if (c.source_host.empty()) continue;
    const MemberView* s = ResolveSource(c, m, candidates);
    if (s == nullptr) {
      *leaves_unit = true;
    } else if (s != &m && !IsOneOf(s, out)) {
      out.push_back(s);
    }
  }
  return out;
}

// Follows sources from `m`. The first chain that reaches a primary wins;
// else an unknown one (a down member); else the first wrong one.
ChainEnd Follow(const MemberView& m, const std::vector<const MemberView*>& candidates,
                const std::vector<const MemberView*>& primaries, std::set<const MemberView*> seen) {
  ChainEnd end;
  end.path = m.target.pod;
  if (IsOneOf(&m, primaries)) {
    end.kind = ChainEnd::kPrimary;
    return end;
  }
  if (!m.observation.up) {
    end.why = m.target.pod + " is down";
    return end;
  }
  if (!seen.insert(&m).second) {
    end.kind = ChainEnd::kLoop;
    end.why = "the chain loops back to " + m.target.pod + " without reaching a primary";
    return end;
  }
  bool leaves_unit = false;
  const std::vector<const MemberView*> ups = Upstreams(m, candidates, &leaves_unit);
  if (ups.empty()) {
    end.kind = leaves_unit ? ChainEnd::kOutside : ChainEnd::kNotPrimary;
    end.why = leaves_unit ? m.target.pod + " replicates from outside the unit"
                          : "the chain ends at " + m.target.pod + ", which is not a primary";
    return end;
  }
  std::optional<ChainEnd> unknown, wrong;
  for (const MemberView* up : ups) {
    ChainEnd next = Follow(*up, candidates, primaries, seen);
    next.path = m.target.pod + " -> " + next.path;
    if (next.kind == ChainEnd::kPrimary) return next;
    if (next.kind == ChainEnd::kUnknown) {
      if (!unknown) unknown = std::move(next);
    } else if (!wrong) {
      wrong = std::move(next);
    }
  }
  return unknown ? *unknown : *wrong;
}

std::optional<int> Depth(const MemberView& m, const std::vector<const MemberView*>& candidates,
                         const std::vector<const MemberView*>& primaries,
                         std::set<const MemberView*> seen) {
  if (IsOneOf(&m, primaries)) return 0;
  if (!m.observation.up || !seen.insert(&m).second) return std::nullopt;
  bool leaves_unit = false;
  std::optional<int> best;
  for (const MemberView* up : Upstreams(m, candidates, &leaves_unit)) {
    const std::optional<int> d = Depth(*up, candidates, primaries, seen);
    if (d && (!best || *d + 1 < *best)) best = *d + 1;
  }
  return best;
}

}  // namespace

const MemberView* ResolveSource(const ReplicationChannel& c, const MemberView& self,
                                const std::vector<const MemberView*>& candidates) {
  const MemberView* found = nullptr;
  for (const MemberView* m : candidates) {
    if (!AddressNamesMember(c.source_host, c.source_port, *m)) continue;
    if (m->observed_role == Role::kPrimary) return m;
    if (found == nullptr || found == &self) found = m;
  }
  return found;
}

SourceVerdict JudgeSource(const MemberView& self, const ReplicationChannel& c,
                          const std::vector<const MemberView*>& candidates,
                          const std::vector<const MemberView*>& primaries) {
  SourceVerdict v;
  v.source = ResolveSource(c, self, candidates);
  if (v.source == &self) {
    v.reason = "replicates from itself (" + SourceAddress(c) + ")";
  } else if (v.source == nullptr) {
    v.reason = "source " + SourceAddress(c) + " is not a member of the unit";
  } else {
    // `self` counts as seen: a chain back to it is a loop, unless `self` is
    // a primary (the passive half of co-primaries follows the active one).
    std::set<const MemberView*> seen;
    if (!IsOneOf(&self, primaries)) seen.insert(&self);
    const ChainEnd end = Follow(*v.source, candidates, primaries, seen);
    if (end.kind == ChainEnd::kPrimary) {
      v.valid = true;
      return v;
    }
    // Unknown on the way, or no primary to reach: another member is
    // plausible (a half-done switchover), so nothing is known to be wrong.
    if (end.kind == ChainEnd::kUnknown || primaries.empty()) return v;
    v.reason = "source " + SourceAddress(c) + " (" + v.source->target.pod +
               ") does not lead to a primary: " + end.why + " (" + self.target.pod + " -> " +
               end.path + ")";
  }
  if (primaries.size() == 1) {
    v.reason += "; expected primary " + Describe(*primaries.front());
  } else if (primaries.size() > 1) {
    v.reason += "; not one of the primaries " + JoinPods(primaries);
  }
  v.valid = false;
  return v;
}

std::optional<int> DepthBelowPrimary(const MemberView& member,
                                     const std::vector<const MemberView*>& candidates,
                                     const std::vector<const MemberView*>& primaries) {
  return Depth(member, candidates, primaries, {});
}

void DetectWrongSource(UnitView& unit, const std::vector<const MemberView*>& candidates,
                       std::vector<Finding>* findings) {
  const std::vector<const MemberView*> primaries = Primaries(unit);
  for (MemberView& m : unit.members) {
    m.depth = DepthBelowPrimary(m, candidates, primaries);
    if (!m.observation.up) continue;
    for (ChannelView& cv : m.channels) {
      // No source host reported: nothing to judge.
      if (cv.channel.source_host.empty()) continue;
      SourceVerdict verdict = JudgeSource(m, cv.channel, candidates, primaries);
      cv.source_pod = verdict.source != nullptr ? verdict.source->target.pod : "";
      cv.source_valid = verdict.valid;
      if (verdict.valid != false) continue;
      findings->push_back(ChannelFinding(unit, m, cv, finding::kWrongSource, Severity::kCritical,
                                         std::move(verdict.reason)));
    }
  }
}

}  // namespace dbtopo::detail
