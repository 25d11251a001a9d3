#pragma once

// The replication graph of a unit: who follows whom, whether following
// sources reaches the primary, and how deep below it each member sits.
// Internal to analysis/; shared by MySQL and Redis replication.
//
// Chains of any depth are legal (a replica of a replica, as clones from the
// previous ordinal end up), and so are co-primaries (two members that
// replicate from each other, one of them the primary). A source is wrong
// only when it is no member, the replica itself, or when the chain loops or
// ends at a member that is not a primary.

#include <optional>
#include <string>
#include <vector>

#include "dbtopo/analysis/analysis.h"

namespace dbtopo::detail {

/// The member of `candidates` that `c`'s source address names
/// (AddressNamesMember), or nullptr. Should an address name several members
/// (a config error), a primary wins, then anyone but the replica itself, so
/// the ambiguity cannot invent a wrong_source.
const MemberView* ResolveSource(const ReplicationChannel& c, const MemberView& self,
                                const std::vector<const MemberView*>& candidates);

/// What analysis concludes about one replica channel's source.
struct SourceVerdict {
  const MemberView* source = nullptr;  ///< Member the address names, or nullptr.
  std::optional<bool> valid;           ///< ChannelView::source_valid.
  std::string reason;                  ///< Why it is wrong; "" unless valid == false.
};

/// Judges `c`'s source for replica `self` by following sources from it
/// through `candidates` until a member of `primaries` is reached (valid).
/// Invalid: the address names no candidate, names `self`, or the chain loops
/// or ends at a member that is not a primary while some primary exists.
/// Unknown: no primary is visible (primary down or a half-done switchover:
/// another member is plausible), or a member on the chain is down.
SourceVerdict JudgeSource(const MemberView& self, const ReplicationChannel& c,
                          const std::vector<const MemberView*>& candidates,
                          const std::vector<const MemberView*>& primaries);

/// Hops from `member` up to a member of `primaries` along resolved sources
/// (0 for a primary); std::nullopt when no chain reaches one.
std::optional<int> DepthBelowPrimary(const MemberView& member,
                                     const std::vector<const MemberView*>& candidates,
                                     const std::vector<const MemberView*>& primaries);

/// wrong_source (critical, per pod+channel); ChannelView::source_pod and
/// source_valid for every up member's channels (JudgeSource), and
/// MemberView::depth for every member, against `candidates` (the unit).
void DetectWrongSource(UnitView& unit, const std::vector<const MemberView*>& candidates,
                       std::vector<Finding>* findings);

}  // namespace dbtopo::detail
