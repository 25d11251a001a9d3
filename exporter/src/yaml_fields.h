#pragma once

// Reading typed fields out of a parsed YAML document with errors that name
// the line and the key path. Shared by the config file and the web config.
//
// Every accessor throws `YamlInvalid` on a bad value; the loaders catch it at
// their top and turn it into their own error type. No accessor lets a
// yaml-cpp exception ("bad conversion", "invalid node") escape without a key.

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>

namespace dbtopo::yaml {

/// A bad value: 1-based `line` (0 when unknown), key path, message.
struct YamlInvalid {
  int line;
  std::string key;
  std::string message;
};

/// 1-based line of `node`; 0 for an absent or zombie node (yaml-cpp throws
/// InvalidNode when asked for a missing key's mark).
int LineOf(const YAML::Node& node);

/// Throws YamlInvalid at `node`'s line.
[[noreturn]] void Fail(const YAML::Node& node, const std::string& key, const std::string& message);

/// "a.b" from "a" and "b"; "b" when `path` is empty.
std::string Join(const std::string& path, const std::string& key);

/// The text of a scalar; fails "must be a string" on a list or mapping.
std::string ScalarString(const YAML::Node& node, const std::string& key);

/// A mapping key as text; fails on a list or mapping used as a key.
std::string KeyString(const YAML::Node& key_node, const std::string& path);

/// Fails on any key of `map` that is not in `known`, listing the known ones.
void CheckKeys(const YAML::Node& map, const std::string& path, const std::set<std::string>& known);

/// Fails on the second occurrence of a key in any mapping of the document
/// (yaml-cpp keeps both and lookups return the first, so a duplicate would
/// silently lose the value the reader sees last).
void CheckDuplicateKeys(const YAML::Node& node, const std::string& path);

/// Parses `text` as YAML: a syntax error becomes YamlInvalid with its line,
/// then duplicate keys are checked.
YAML::Node Parse(const std::string& text);

}  // namespace dbtopo::yaml
