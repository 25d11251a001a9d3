#pragma once

// The body of POST /api/v1/switchover, read into a SwitchoverRequest.

#include <string>
#include <string_view>
#include <variant>

#include "dbtopo/remediation/remediator.h"

namespace dbtopo::remediation {

/// Parses `{"db_cluster", "candidate", "namespace"?, "component"?,
/// "dry_run"?}`: strings, and a boolean dry_run. Returns the request, or the
/// message for a 400 (not JSON, not an object, an unknown key, a wrong type,
/// a missing db_cluster or candidate).
std::variant<SwitchoverRequest, std::string> ParseSwitchoverRequest(std::string_view body);

}  // namespace dbtopo::remediation
