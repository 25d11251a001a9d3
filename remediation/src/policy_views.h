#pragma once

// Reading a unit for the policy: members, channels, and the texts refusals
// are made of. Internal to remediation/ (policy.cc, policy_switchover.cc,
// policy_fence.cc).

#include <optional>
#include <string>
#include <vector>

#include "policy.h"

namespace dbtopo::remediation {

/// The member of `unit` named `pod`, or nullptr.
const MemberView* FindMember(const UnitView& unit, const std::string& pod);

/// Up and read_only off (a server that accepts writes).
bool Writable(const MemberView& m);

/// Some channel of `m` has its link up.
bool HasLinkUp(const MemberView& m);

/// The channel of `m` whose source resolves to a member, or nullptr.
const ChannelView* MemberChannel(const MemberView& m);

/// The channel of `m` whose source is `pod`, or nullptr.
const ChannelView* ChannelTo(const MemberView& m, const std::string& pod);

/// "a, b, c".
std::string Join(const std::vector<std::string>& items);

/// A number in a message, up to 15 significant digits ("1.5", "90").
std::string Number(double value);

/// "source_host:source_port" of a channel.
std::string SourceOf(const ReplicationChannel& c);

/// Why a link is not up, in the server's own words.
std::string LinkText(const ReplicationChannel& c);

/// A Refusal with its code and reason.
Refusal Refuse(RemediationCode code, std::string reason);

/// The pod names of `unit`, in member order.
std::vector<std::string> Pods(const UnitView& unit);

/// A refusal when a member of `unit` is down: nothing is changed on a unit
/// the exporter cannot fully see.
BasicStatus<Refusal> CheckAllUp(const UnitView& unit);

}  // namespace dbtopo::remediation
