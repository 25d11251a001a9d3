#include "policy_views.h"

#include <cstdio>

namespace dbtopo::remediation {

const MemberView* FindMember(const UnitView& unit, const std::string& pod) {
  for (const MemberView& m : unit.members) {
    if (m.target.pod == pod) return &m;
  }
  return nullptr;
}

bool Writable(const MemberView& m) { return m.observation.up && m.observation.writable == true; }

bool HasLinkUp(const MemberView& m) {
  for (const ChannelView& cv : m.channels) {
    if (cv.link_up) return true;
  }
  return false;
}

/// The channel of `m` whose source resolves to a member, or nullptr.
const ChannelView* MemberChannel(const MemberView& m) {
  for (const ChannelView& cv : m.channels) {
    if (!cv.source_pod.empty()) return &cv;
  }
  return nullptr;
}

/// The channel of `m` whose source is `pod`, or nullptr.
const ChannelView* ChannelTo(const MemberView& m, const std::string& pod) {
  for (const ChannelView& cv : m.channels) {
    if (cv.source_pod == pod) return &cv;
  }
  return nullptr;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

std::string Number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", value);
  return buf;
}

std::string SourceOf(const ReplicationChannel& c) {
  return c.source_host + ":" + std::to_string(c.source_port);
}

/// Why a link is not up, in the server's own words.
std::string LinkText(const ReplicationChannel& c) {
  std::string text = "IO " + (c.io_state.empty() ? std::string("unknown") : c.io_state);
  if (c.sql_running.has_value()) text += ", SQL " + std::string(*c.sql_running ? "Yes" : "No");
  if (c.last_io_errno != 0) {
    text += "; last IO error " + std::to_string(c.last_io_errno) + ": " + c.last_io_error;
  }
  if (c.last_sql_errno != 0) {
    text += "; last SQL error " + std::to_string(c.last_sql_errno) + ": " + c.last_sql_error;
  }
  return text;
}

Refusal Refuse(RemediationCode code, std::string reason) {
  return Refusal{code, std::move(reason)};
}

std::vector<std::string> Pods(const UnitView& unit) {
  std::vector<std::string> pods;
  for (const MemberView& m : unit.members) pods.push_back(m.target.pod);
  return pods;
}

BasicStatus<Refusal> CheckAllUp(const UnitView& unit) {
  std::vector<std::string> down;
  for (const MemberView& m : unit.members) {
    if (!m.observation.up) {
      down.push_back(m.target.pod + " (" +
                     (m.observation.error.empty() ? std::string("down") : m.observation.error) +
                     ")");
    }
  }
  if (down.empty()) return {};
  return Refuse(RemediationCode::kRefused,
                "unit " + UnitName(unit.unit) + " is not fully visible, so nothing is changed: " +
                    Join(down) + (down.size() == 1 ? " is" : " are") + " down");
}

}  // namespace dbtopo::remediation
