#pragma once

// What the remediation endpoints read from a request: the bearer token, the
// body of POST /api/v1/switchover, an Alertmanager webhook payload.

#include <string>
#include <string_view>
#include <vector>

#include "dbtopo/base/result.h"
#include "dbtopo/base/secret.h"
#include "dbtopo/remediation/remediator.h"

namespace dbtopo {

/// True when `authorization` is "Bearer <token>" (scheme case-insensitive,
/// surrounding spaces ignored) and the token equals `expected`. Compares
/// SHA-256 digests with CRYPTO_memcmp, so the time taken does not depend on
/// where the tokens differ or on their lengths. An empty `expected` never
/// matches.
bool BearerTokenMatches(std::string_view authorization, const Secret& expected);

/// Parses `{"db_cluster", "candidate", "namespace"?, "component"?,
/// "dry_run"?}`: strings, and a boolean dry_run. Returns the request, or the
/// message for a 400 (not JSON, not an object, an unknown key, a wrong type,
/// a missing db_cluster or candidate).
Result<SwitchoverRequest> ParseSwitchoverRequest(std::string_view body);

/// Parses an Alertmanager webhook payload (version "4": {"version",
/// "status", "alerts": [{"status", "labels": {...}, ...}], ...}). Returns
/// the alerts, or an error message for a body that is not such a payload.
Result<std::vector<Alert>> ParseAlertmanagerPayload(std::string_view body);

}  // namespace dbtopo
