#pragma once

// Structured logging in the Prometheus exporters' style:
//   logfmt: ts=2026-11-22T13:00:00.000Z level=info msg="poll round" targets=3
//   json:   {"ts":"...","level":"info","msg":"poll round","targets":"3"}
// Backed by spdlog (one stderr sink, UTC timestamps). A line logged through
// spdlog directly gets the same format: its text becomes the escaped `msg`.
// Before Init, lines go to spdlog's default logger as `msg=... key=...`.
// Never pass a secret as a field: Secret has no conversion to string for that
// reason, and every line is redacted of registered secrets before it is written.

#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbtopo::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kLogfmt, kJson };

/// Parses "debug", "info", "warn", "error".
bool ParseLevel(const std::string& text, Level* level);
/// Parses "logfmt", "json".
bool ParseFormat(const std::string& text, Format* format);

/// Sets up the process-wide logger. Safe to call once at start.
void Init(Level level, Format format);

using Field = std::pair<std::string_view, std::string>;
using Fields = std::initializer_list<Field>;

bool Enabled(Level level);
void Write(Level level, std::string_view msg, std::span<const Field> fields);
inline void Write(Level level, std::string_view msg, Fields fields = {}) {
  Write(level, msg, std::span<const Field>(fields.begin(), fields.size()));
}

/// Fields built at run time (a list that grows with the event).
using KeyValues = std::vector<std::pair<std::string, std::string>>;
void Write(Level level, std::string_view msg, const KeyValues& fields);

/// Where a component sends its lines: tests pass one to capture them; a null
/// Sink means Write. Fields never hold a secret.
using Sink = std::function<void(Level level, const std::string& msg, const KeyValues& fields)>;
/// `sink(level, msg, fields)`, or Write when `sink` is null.
void To(const Sink& sink, Level level, const std::string& msg, const KeyValues& fields);

inline void Debug(std::string_view msg, Fields fields = {}) { Write(Level::kDebug, msg, fields); }
inline void Info(std::string_view msg, Fields fields = {}) { Write(Level::kInfo, msg, fields); }
inline void Warn(std::string_view msg, Fields fields = {}) { Write(Level::kWarn, msg, fields); }
inline void Error(std::string_view msg, Fields fields = {}) { Write(Level::kError, msg, fields); }

}  // namespace dbtopo::log
