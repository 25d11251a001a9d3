#pragma once

#include <string>
#include <vector>

#include "dbtopo/base/result.h"

namespace dbtopo {

/// Command-line flags, Prometheus exporter style (`--name=value` or
/// `--name value`).
struct Flags {
  std::string config_file = "dbtopo.yml";  ///< --config.file
  std::string listen_address = ":9856";    ///< --web.listen-address
  std::string web_config_file;             ///< --web.config.file ("" = plain HTTP, no auth)
  std::string log_level = "info";          ///< --log.level: debug|info|warn|error
  std::string log_format = "logfmt";       ///< --log.format: logfmt|json
  std::string shard;          ///< --shard: N or auto ("" = not sharded); see sharding.h
  std::string total_shards;   ///< --total-shards: M or auto ("" = not sharded)
  bool check_config = false;  ///< --check-config: validate and exit 0/1
  bool help = false;          ///< --help
  bool version = false;       ///< --version
};

/// Parses argv; returns an error message for unknown flags or missing values.
Result<Flags> ParseFlags(const std::vector<std::string>& args);

/// Usage text for --help.
std::string Usage();

}  // namespace dbtopo
