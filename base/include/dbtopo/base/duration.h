#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace dbtopo {

/// Parses a Prometheus-style duration: "500ms", "5s", "1m30s", "2h". A bare
/// number is seconds. std::nullopt on anything else (empty, negative,
/// unknown unit, overflow).
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text);

/// Formats a duration the way ParseDuration reads it ("1m30s", "500ms").
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace dbtopo
