#include "alert_claims.h"

#include <algorithm>
#include <set>
#include <string_view>

namespace dbtopo::remediation {

std::vector<std::string> AlertClaims(const std::string& alertname, const std::string& action) {
  static const std::set<std::string> kKinds = {finding::kDualPrimary,
                                               finding::kLabelledDualPrimary,
                                               finding::kLabelledNoPrimary,
                                               finding::kNoPrimary,
                                               finding::kPrimaryUnreachable,
                                               finding::kDetachedReplica,
                                               finding::kErrantGtid,
                                               finding::kReplicationBroken,
                                               finding::kReplicationLagging,
                                               finding::kWrongSource,
                                               finding::kRoleLabelMismatch,
                                               finding::kServerIdConflict,
                                               finding::kWritableReplica,
                                               finding::kTargetDown,
                                               finding::kRedisClusterStateFail,
                                               finding::kRedisClusterSlotsUncovered,
                                               finding::kRedisClusterFailedNodes};
  constexpr std::string_view kPrefix = "Dbtopo";
  if (alertname.starts_with(kPrefix)) {
    std::string kind;  // CamelCase -> snake_case.
    for (char c : std::string_view(alertname).substr(kPrefix.size())) {
      if (c >= 'A' && c <= 'Z') {
        if (!kind.empty()) kind += '_';
        kind += static_cast<char>(c - 'A' + 'a');
      } else {
        kind += c;
      }
    }
    if (kKinds.contains(kind)) return {kind};
  }
  if (action == "fence") return {finding::kDualPrimary, finding::kWritableReplica};
  return {finding::kNoPrimary};
}

std::string UnconfirmedClaim(const std::vector<std::string>& kinds,
                             const std::vector<Finding>& findings, const std::string& trigger) {
  if (kinds.empty()) return "";
  for (const Finding& f : findings) {
    if (std::find(kinds.begin(), kinds.end(), f.kind) != kinds.end()) return "";
  }
  std::string wanted;
  for (const std::string& k : kinds) wanted += (wanted.empty() ? "" : " or ") + k;
  return trigger + " is not confirmed by a fresh read of the unit (no " + wanted +
         " finding now): the alert is stale or wrong, nothing is changed";
}

}  // namespace dbtopo::remediation
