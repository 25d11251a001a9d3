#include "log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace dbtopo::log {
namespace {

Format g_format = Format::kLogfmt;

spdlog::level::level_enum ToSpdlog(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

// logfmt values are quoted when they hold spaces, quotes, '=' or are empty.
void AppendLogfmtValue(std::string& out, std::string_view value) {
  const bool quote = value.empty() || value.find_first_of(" \"=\t\n\\") != std::string_view::npos;
  if (!quote) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string FormatLogfmt(std::string_view msg, Fields fields) {
  std::string out = "msg=";
  AppendLogfmtValue(out, msg);
  for (const auto& [key, value] : fields) {
    out += ' ';
    out += key;
    out += '=';
    AppendLogfmtValue(out, value);
  }
  return out;
}

std::string FormatJson(std::string_view msg, Fields fields) {
  // The pattern supplies `{"ts":...,"level":...,` and the closing brace.
  std::string out = "\"msg\":" + nlohmann::json(msg).dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
  for (const auto& [key, value] : fields) {
    out += ',' + nlohmann::json(key).dump() + ':' +
           nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return out;
}

}  // namespace

bool ParseLevel(const std::string& text, Level* level) {
  if (text == "debug") *level = Level::kDebug;
  else if (text == "info") *level = Level::kInfo;
  else if (text == "warn") *level = Level::kWarn;
  else if (text == "error") *level = Level::kError;
  else return false;
  return true;
}

bool ParseFormat(const std::string& text, Format* format) {
  if (text == "logfmt") *format = Format::kLogfmt;
  else if (text == "json") *format = Format::kJson;
  else return false;
  return true;
}

void Init(Level level, Format format) {
  g_format = format;
  auto logger = std::make_shared<spdlog::logger>(
      "dbtopo", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern(format == Format::kJson
                          ? R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})"
                          : "ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(ToSpdlog(level));
  logger->flush_on(spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

bool Enabled(Level level) { return spdlog::default_logger_raw()->should_log(ToSpdlog(level)); }

void Write(Level level, std::string_view msg, Fields fields) {
  if (!Enabled(level)) return;
  const std::string line =
      g_format == Format::kJson ? FormatJson(msg, fields) : FormatLogfmt(msg, fields);
  spdlog::default_logger_raw()->log(ToSpdlog(level), "{}", line);
}

}  // namespace dbtopo::log
