#pragma once

// Reading hiredis reply trees, for the probe and for the remediation
// actions alike: pure functions, so that any reply a server sends (wrong
// type, empty array, nested arrays, nil, an error) is judged without
// touching the connection.

#include <hiredis/hiredis.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbtopo/analysis/model.h"
#include "dbtopo/base/result.h"

namespace dbtopo::redis {

/// What the probe reads from INFO and CLUSTER replies: the bytes of a
/// status, string or verbatim reply; std::nullopt for a null reply (none
/// came), nil, an integer or an array; an Error with the server's text
/// ("NOPERM ...", "ERR This instance has cluster support disabled") for an
/// error reply.
Result<std::optional<std::string>> TextFromReply(const redisReply* reply);

/// What an admin command's reply stands for (REPLICAOF, CONFIG SET,
/// CLUSTER FAILOVER, WAIT, INFO): a status, string or verbatim reply's
/// bytes, an integer in decimal, an array's first element the same way (one
/// level), "" for nil or an empty array; an Error with the server's text for
/// an error reply.
Result<std::string> CommandReplyText(const redisReply& reply);

/// Entries of `SENTINEL REPLICAS` / `SENTINEL SENTINELS` (flat name/value
/// arrays): `ip`, `port`, `flags`, `master-link-status`, `slave-priority`.
/// std::nullopt when `reply` is null, an error or not an array; entries that
/// are not arrays are skipped, values of odd types stay unknown. Used by the
/// sentinel probe and by the Sentinel switchover.
std::optional<std::vector<SentinelPeer>> PeersFromReply(const redisReply* reply);

/// The value of `key` in an INFO text ("key:value" lines, CRLF or LF; the
/// value is everything after the first ':'), or std::nullopt when no line
/// has it.
std::optional<std::string> InfoField(std::string_view info, std::string_view key);

}  // namespace dbtopo::redis
