#include "flags.h"

#include <map>

namespace dbtopo {

Result<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags flags;
  const std::map<std::string, std::string Flags::*> string_flags = {
      {"--config.file", &Flags::config_file},
      {"--web.listen-address", &Flags::listen_address},
      {"--web.config.file", &Flags::web_config_file},
      {"--log.level", &Flags::log_level},
      {"--log.format", &Flags::log_format},
      {"--shard", &Flags::shard},
      {"--total-shards", &Flags::total_shards}};
  const std::map<std::string, bool Flags::*> bool_flags = {{"--check-config", &Flags::check_config},
                                                           {"--help", &Flags::help},
                                                           {"-h", &Flags::help},
                                                           {"--version", &Flags::version}};
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool has_value = false;
    if (const auto eq = name.find('='); eq != std::string::npos && name.starts_with("--")) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    if (auto it = bool_flags.find(name); it != bool_flags.end()) {
      if (has_value && value != "true" && value != "false") {
        return Error{"flag " + name + " takes true or false, got \"" + value + "\""};
      }
      flags.*(it->second) = !has_value || value == "true";
      continue;
    }
    auto it = string_flags.find(name);
    if (it == string_flags.end()) return Error{"unknown flag " + name + " (see --help)"};
    if (!has_value) {
      if (i + 1 >= args.size()) return Error{"flag " + name + " needs a value"};
      value = args[++i];
    }
    flags.*(it->second) = value;
  }
  return flags;
}

std::string Usage() {
  return R"(usage: dbtopo_exporter [flags]

Prometheus exporter and health monitor for MySQL/MariaDB replication,
Redis replication and Redis Cluster topologies.

  --config.file=PATH          YAML configuration (default dbtopo.yml)
  --web.listen-address=ADDR   address to serve HTTP on (default :9856)
  --web.config.file=PATH      exporter-toolkit web config: TLS, basic auth
  --log.level=LEVEL           debug, info, warn, error (default info)
  --log.format=FORMAT         logfmt or json (default logfmt)
  --shard=N|auto              watch shard N of --total-shards (auto: the
                              StatefulSet ordinal of POD_NAME or the hostname)
  --total-shards=M|auto       split the clusters over M exporters by a stable
                              hash of namespace/db_cluster (auto: the
                              StatefulSet's spec.replicas, followed live)
  --check-config              validate the configuration and exit 0 or 1
  --version                   print the version and exit
  --help                      this text

Endpoints: /metrics, /-/healthy, /-/ready, /, /api/v1/topology
)";
}

}  // namespace dbtopo
