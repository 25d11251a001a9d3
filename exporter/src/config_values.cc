// Value readers of the config loader.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "config_sections.h"
#include "dbtopo/analysis/engines.h"
#include "dbtopo/base/duration.h"

namespace dbtopo::config_detail {

std::string RequiredString(const YAML::Node& map, const std::string& path, const std::string& key) {
  const YAML::Node node = map[key];
  if (!node) Fail(map, Join(path, key), "is required");
  std::string value = ScalarString(node, Join(path, key));
  if (value.empty()) Fail(node, Join(path, key), "must not be empty");
  return value;
}

std::chrono::milliseconds DurationValue(const YAML::Node& node, const std::string& key) {
  auto parsed = ParseDuration(ScalarString(node, key));
  if (!parsed)
    Fail(node, key, "invalid duration \"" + node.Scalar() + "\" (want e.g. 500ms, 5s, 1m)");
  return *parsed;
}

long long PositiveInteger(const YAML::Node& node, const std::string& key) {
  const std::string text = ScalarString(node, key);
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
    Fail(node, key, "must be a positive integer, got \"" + text + "\"");
  }
  return value;
}

// The required `engine` key of `node`.
Engine EngineValue(const YAML::Node& node, const std::string& path) {
  const std::string engine = RequiredString(node, path, "engine");
  auto parsed = ParseEngine(engine);
  if (!parsed) {
    std::string names;
    for (Engine known : AllEngines())
      names += std::string(names.empty() ? "" : ", ") + EngineName(known);
    Fail(node["engine"], path + ".engine",
         "unknown engine \"" + engine + "\" (want one of " + names + ")");
  }
  return *parsed;
}

std::string SentinelFor(const YAML::Node& node, const std::string& path, Engine engine) {
  if (!node["sentinel_for"]) return "";
  // Only an engine whose servers hold no data watches other units.
  if (HasPrimaries(engine)) {
    Fail(node["sentinel_for"], path + ".sentinel_for",
         std::string("applies to engine redis-sentinel only, not ") + EngineName(engine));
  }
  return RequiredString(node, path, "sentinel_for");
}

std::string TrimTrailingNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Reads a secret file named by `node` (relative to the config file).
Secret ReadSecretFile(const YAML::Node& node, const std::string& key,
                      const std::string& config_file) {
  std::filesystem::path p = ScalarString(node, key);
  if (p.is_relative()) p = std::filesystem::path(config_file).parent_path() / p;
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) {
    Fail(node, key, "cannot read " + p.string() + ": is a directory, not a password file");
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) Fail(node, key, "cannot read " + p.string() + ": " + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return Secret(TrimTrailingNewlines(buffer.str()));
}

bool BoolValue(const YAML::Node& node, const std::string& key) {
  const std::string text = ScalarString(node, key);
  if (text == "true") return true;
  if (text == "false") return false;
  Fail(node, key, "must be true or false, got \"" + text + "\"");
}

std::shared_ptr<const Credentials> ParseCredentials(const YAML::Node& node, const std::string& path,
                                                    const std::string& config_file) {
  auto credentials = std::make_shared<Credentials>();
  if (!node) return credentials;  // no auth (e.g. Redis without a password)
  CheckKeys(node, path, {"username", "password_file", "password_env"});
  if (node["username"]) credentials->username = ScalarString(node["username"], path + ".username");
  const YAML::Node file = node["password_file"];
  const YAML::Node env = node["password_env"];
  if (file && env) Fail(node, path, "set password_file or password_env, not both");
  if (file) {
    credentials->password = ReadSecretFile(file, path + ".password_file", config_file);
  } else if (env) {
    const std::string name = ScalarString(env, path + ".password_env");
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      Fail(env, path + ".password_env", "environment variable " + name + " is not set");
    }
    credentials->password = Secret(value);
  }
  return credentials;
}

}  // namespace dbtopo::config_detail
