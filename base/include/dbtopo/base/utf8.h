#pragma once

// Valid UTF-8 for every string that reaches a label, the JSON API or a log
// line. A server, a pod or a config can hand the exporter any bytes
// (`REPLICAOF "h\xff" 6379`, a version string, a pod name); one invalid byte
// in one label would make Prometheus reject the whole scrape.

#include <cstddef>
#include <string>
#include <string_view>

namespace dbtopo::utf8 {

/// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates,
/// nothing above U+10FFFF).
bool IsValid(std::string_view text);

/// Replaces each maximal ill-formed subsequence of `text` with U+FFFD (the
/// WHATWG/Unicode "substitution of maximal subparts" practice). Returns the
/// number of replacements made (0: unchanged).
std::size_t Sanitize(std::string& text);

}  // namespace dbtopo::utf8
