#pragma once

// The config loader's pieces, shared by its files: value readers (config_values.cc)
// and the parsers of the `kubernetes:` (config_kubernetes.cc) and
// `remediation:` (config_remediation.cc) sections. Every reader throws
// yaml::YamlInvalid naming the line and key; LoadConfig turns it into a
// ConfigError.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "yaml_fields.h"

namespace dbtopo::config_detail {

using yaml::CheckKeys;
using yaml::Fail;
using yaml::Join;
using yaml::KeyString;
using yaml::ScalarString;

/// The non-empty scalar at `map[key]`; fails when missing or empty.
std::string RequiredString(const YAML::Node& map, const std::string& path, const std::string& key);

/// A duration ("5s", "1m30s"); fails naming `key` otherwise.
std::chrono::milliseconds DurationValue(const YAML::Node& node, const std::string& key);

/// An integer > 0; fails naming `key` otherwise.
long long PositiveInteger(const YAML::Node& node, const std::string& key);

/// The required `engine` key of `node`.
Engine EngineValue(const YAML::Node& node, const std::string& path);

/// The optional `tls` key of `parent` (a cluster or a discover rule at
/// `path`): files readable (relative to `config_file`), cert and key both or
/// neither, server_name only for engines that honour it, and the files
/// loadable into a TLS context. Null when absent.
std::shared_ptr<const TlsClientConfig> ParseTls(const YAML::Node& parent, const std::string& path,
                                                const std::string& config_file, Engine engine);

/// `credentials` with `tls` (a copy); `credentials` itself when tls is null.
std::shared_ptr<const Credentials> WithTls(std::shared_ptr<const Credentials> credentials,
                                           std::shared_ptr<const TlsClientConfig> tls);

/// The optional `sentinel_for` key of `node` ("" when absent); an error for
/// an engine that holds data itself.
std::string SentinelFor(const YAML::Node& node, const std::string& path, Engine engine);

/// `s` without trailing CR and LF.
std::string TrimTrailingNewlines(std::string s);

/// Reads a secret file named by `node` (relative to the config file).
Secret ReadSecretFile(const YAML::Node& node, const std::string& key,
                      const std::string& config_file);

/// `true` or `false`; fails naming `key` otherwise.
bool BoolValue(const YAML::Node& node, const std::string& key);

/// `credentials: {username, password_file | password_env}`; no node => no
/// auth. The password file is read relative to `config_file`.
std::shared_ptr<const Credentials> ParseCredentials(const YAML::Node& node, const std::string& path,
                                                    const std::string& config_file);

/// `role_values: {primary: [...], replica: [...]}`.
RoleValues ParseRoleValues(const YAML::Node& node, const std::string& path);

/// A list of non-empty strings.
std::vector<std::string> StringList(const YAML::Node& node, const std::string& path);

/// When `map` has `key`: `*out = read(map[key], "<path>.<key>")` (a reader
/// above, which fails naming the key) and true; else false, `*out` as it was.
template <typename T, typename Read>
bool ReadIfPresent(const YAML::Node& map, const std::string& path, const char* key, Read read,
                   T* out) {
  const YAML::Node value = map[key];
  if (!value) return false;
  *out = read(value, path + "." + key);
  return true;
}

/// `kubernetes:`.
KubernetesConfig ParseKubernetes(const YAML::Node& node, const std::string& config_file);

/// `remediation.leader_election:`.
LeaderElectionConfig ParseLeaderElection(const YAML::Node& node);

/// `remediation:`.
RemediationConfig ParseRemediation(const YAML::Node& node, const std::string& config_file);

}  // namespace dbtopo::config_detail
