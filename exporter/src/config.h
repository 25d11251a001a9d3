#pragma once

// The YAML configuration (`--config.file`). See README.md "Configuration".
//
// LoadConfig() validates everything up front: unknown keys, bad durations,
// bad addresses, unreadable password files. Every error names the file, the
// line and the key path ("clusters[0].members[1].address"), so `--check-config`
// can tell a user exactly what to fix.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dbtopo/analysis/analysis.h"
#include "dbtopo/base/result.h"
#include "dbtopo/base/secret.h"
#include "dbtopo/collectors/discovery.h"
#include "dbtopo/collectors/kubernetes_discovery.h"
#include "dbtopo/remediation/remediation_config.h"

namespace dbtopo {

/// A static member: `clusters[].members[]`.
struct MemberConfig {
  std::string pod;
  std::string host;
  int port = 0;
  std::map<std::string, std::string> labels;
};

/// `clusters[]`: one database cluster given statically.
struct ClusterConfig {
  std::string name;       ///< `name`: the db_cluster label.
  std::string ns;         ///< `namespace`: optional, "" by default.
  std::string component;  ///< `component`: optional, defaults to the engine name.
  Engine engine = Engine::kMysql;
  /// Resolved credentials (password read from `password_file` or
  /// `password_env` at load time).
  std::shared_ptr<const Credentials> credentials;
  /// `replication_credentials`: the user replicas connect to their source
  /// with (CHANGE MASTER ... MASTER_USER) when remediation re-points them;
  /// null when not configured.
  std::shared_ptr<const Credentials> replication_credentials;
  /// `sentinel_for` (engine redis-sentinel only): the db_cluster, in this
  /// cluster's namespace, whose Redis unit these sentinels watch; "" to tie
  /// each monitored master by its address.
  std::string sentinel_for;
  std::vector<MemberConfig> members;
};

/// The whole configuration.
struct Config {
  std::string file;  ///< Path it was loaded from.
  std::chrono::milliseconds poll_interval{5000};
  std::chrono::milliseconds probe_timeout{2000};
  /// `max_concurrency`: probes running at once (worker threads).
  int max_concurrency = 16;
  /// `role_label`: label holding the pod's role.
  std::string role_label = "kubeblocks.io/role";
  /// `role_values`: label value -> role; defaults DefaultRoleValues().
  RoleValues role_values = DefaultRoleValues();
  /// `thresholds`: `replication_lag` (duration), `replication_lag_bytes`.
  AnalysisOptions analysis;
  /// Static clusters; may be empty when `kubernetes` is set.
  std::vector<ClusterConfig> clusters;
  /// `kubernetes:`; std::nullopt when absent.
  std::optional<KubernetesConfig> kubernetes;
  /// `remediation:`; defaults (dry run, nothing automatic) when absent.
  RemediationConfig remediation;
};

/// A config error, located.
struct ConfigError {
  std::string file;
  int line = 0;     ///< 1-based; 0 when not known (file unreadable).
  std::string key;  ///< Key path, e.g. "clusters[0].engine"; "" for the file.
  std::string message;

  /// "file:line: key: message".
  std::string ToString() const;
};

/// Loads and validates `path`. Never throws.
Result<Config, ConfigError> LoadConfig(const std::string& path);

/// Parses YAML text as if read from `file` (`file` is only used in errors and
/// to resolve relative password_file paths). Never throws.
Result<Config, ConfigError> ParseConfig(const std::string& yaml_text, const std::string& file);

/// The static members as discovery targets (role label mapped through
/// `role_values`).
std::vector<DiscoveredTarget> StaticTargets(const Config& config);

}  // namespace dbtopo
