#include "dbtopo/base/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "dbtopo/base/secret.h"
#include "dbtopo/base/utf8.h"

namespace dbtopo::log {
namespace {

constexpr char kTimestamp[] = "%Y-%m-%dT%H:%M:%S.%eZ";

Format g_format = Format::kLogfmt;
// Lines from log::Write, which arrive formatted as `msg=... key=...`.
std::shared_ptr<spdlog::logger> g_structured;

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
// Invalid UTF-8 (a pod name, a server's error text) is replaced, so that one
// odd target cannot make the log unreadable to a UTF-8 log pipeline.
void AppendLogfmtValue(std::string& out, std::string_view raw) {
  std::string repaired;
  if (!utf8::IsValid(raw)) {
    repaired.assign(raw);
    utf8::Sanitize(repaired);
    raw = repaired;
  }
  const std::string_view value = raw;
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

std::string JsonString(std::string_view value) {
  // Server-provided text may be invalid UTF-8: replace, never throw.
  return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string FormatLogfmt(std::string_view msg, std::span<const Field> fields) {
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

std::string FormatJson(std::string_view msg, std::span<const Field> fields) {
  // The pattern supplies `{"ts":...,"level":...,` and the closing brace.
  std::string out = "\"msg\":" + JsonString(msg);
  for (const auto& [key, value] : fields) out += ',' + JsonString(key) + ':' + JsonString(value);
  return out;
}

// `%*` in a pattern: the message as one escaped logfmt/JSON value. Used for
// lines logged through spdlog directly (collectors/, remediation/).
class EscapedMessage : public spdlog::custom_flag_formatter {
 public:
  explicit EscapedMessage(Format format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    std::string out;
    if (format_ == Format::kJson) {
      out = JsonString(text);
    } else {
      AppendLogfmtValue(out, text);
    }
    dest.append(out.data(), out.data() + out.size());
  }

  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>(format_);
  }

 private:
  Format format_;
};

}  // namespace

bool ParseLevel(const std::string& text, Level* level) {
  if (text == "debug")
    *level = Level::kDebug;
  else if (text == "info")
    *level = Level::kInfo;
  else if (text == "warn")
    *level = Level::kWarn;
  else if (text == "error")
    *level = Level::kError;
  else
    return false;
  return true;
}

bool ParseFormat(const std::string& text, Format* format) {
  if (text == "logfmt")
    *format = Format::kLogfmt;
  else if (text == "json")
    *format = Format::kJson;
  else
    return false;
  return true;
}

void Init(Level level, Format format) {
  g_format = format;
  // One sink each: spdlog keeps the formatter on the sink. stderr sinks share
  // one global console mutex, so lines never interleave.
  const bool json = format == Format::kJson;

  g_structured =
      std::make_shared<spdlog::logger>("dbtopo", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  g_structured->set_pattern(json ? fmt::format(R"({{"ts":"{}","level":"%l",%v}})", kTimestamp)
                                 : fmt::format("ts={} level=%l %v", kTimestamp),
                            spdlog::pattern_time_type::utc);

  auto plain = std::make_shared<spdlog::logger>("dbtopo-plain",
                                                std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<EscapedMessage>('*', format)
      .set_pattern(json ? fmt::format(R"({{"ts":"{}","level":"%l","msg":%*}})", kTimestamp)
                        : fmt::format("ts={} level=%l msg=%*", kTimestamp));
  plain->set_formatter(std::move(formatter));

  for (const auto& logger : {g_structured, plain}) {
    logger->set_level(ToSpdlog(level));
    logger->flush_on(spdlog::level::debug);
  }
  spdlog::set_default_logger(plain);
}

bool Enabled(Level level) {
  spdlog::logger* logger = g_structured ? g_structured.get() : spdlog::default_logger_raw();
  return logger->should_log(ToSpdlog(level));
}

void Write(Level level, std::string_view msg, std::span<const Field> fields) {
  if (!Enabled(level)) return;
  std::string line =
      g_format == Format::kJson ? FormatJson(msg, fields) : FormatLogfmt(msg, fields);
  secrets::Redact(line);  // Whatever a field quoted from a server.
  spdlog::logger* logger = g_structured ? g_structured.get() : spdlog::default_logger_raw();
  logger->log(ToSpdlog(level), "{}", line);
}

void Write(Level level, std::string_view msg, const KeyValues& fields) {
  if (!Enabled(level)) return;
  std::vector<Field> views;
  views.reserve(fields.size());
  for (const auto& [key, value] : fields) views.emplace_back(key, value);
  Write(level, msg, std::span<const Field>(views));
}

void To(const Sink& sink, Level level, const std::string& msg, const KeyValues& fields) {
  if (sink) {
    sink(level, msg, fields);
  } else {
    Write(level, msg, fields);
  }
}

}  // namespace dbtopo::log
