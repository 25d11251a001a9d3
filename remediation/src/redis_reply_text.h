#pragma once

// What the Redis remediation actions read from a reply: pure functions over
// hiredis reply trees, so that any reply a server sends (wrong type, empty
// array, nested arrays, nil) is judged without touching the connection.

#include <hiredis/hiredis.h>

#include <optional>
#include <string>
#include <string_view>

namespace dbtopo::remediation {

/// The reply as text: a status, string or verbatim reply's bytes, an
/// integer in decimal, an array's first element the same way (one level), ""
/// for nil or an empty array. Returns false for an error reply, with its
/// text in *text.
bool ReplyText(const redisReply& reply, std::string* text);

/// The value of `key` in an INFO text ("key:value" lines, CRLF or LF), or
/// std::nullopt when no line has it. The first such line wins.
std::optional<std::string> InfoFieldValue(std::string_view info, std::string_view key);

}  // namespace dbtopo::remediation
