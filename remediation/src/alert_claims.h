#pragma once

// What an alert claims, and whether a fresh read confirms it. Pure: the
// remediator asks before any alert-triggered action, so a stale or wrongly
// routed alert changes nothing.

#include <string>
#include <vector>

#include "dbtopo/analysis/analysis.h"

namespace dbtopo::remediation {

/// The finding kinds an Alertmanager alert claims, which the fresh read
/// before acting must show: the exporter's own alerts are named after their
/// finding (DbtopoNoPrimary -> no_primary, DbtopoErrantGtid -> errant_gtid).
/// Any other alert name claims the problem its action cures: dual_primary or
/// writable_replica for "fence", no_primary for "switchover".
std::vector<std::string> AlertClaims(const std::string& alertname, const std::string& action);

/// "" when `findings` (of the unit, from the fresh read) hold one of `kinds`,
/// or when `kinds` is empty (a request that claims nothing); else why the
/// claim of `trigger` is not confirmed, for the refusal.
std::string UnconfirmedClaim(const std::vector<std::string>& kinds,
                             const std::vector<Finding>& findings, const std::string& trigger);

}  // namespace dbtopo::remediation
