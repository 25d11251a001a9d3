#include "dbtopo/analysis/model.h"

#include <algorithm>

namespace dbtopo {

const char* EngineName(Engine engine) {
  switch (engine) {
    case Engine::kMysql:
      return "mysql";
    case Engine::kRedis:
      return "redis";
    case Engine::kRedisCluster:
      return "redis-cluster";
  }
  return "unknown";
}

std::optional<Engine> ParseEngine(const std::string& name) {
  if (name == "mysql") return Engine::kMysql;
  if (name == "redis") return Engine::kRedis;
  if (name == "redis-cluster") return Engine::kRedisCluster;
  return std::nullopt;
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kPrimary:
      return "primary";
    case Role::kReplica:
      return "replica";
    case Role::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string Target::Address() const { return host + ":" + std::to_string(port); }

std::string Target::Key() const {
  return unit.ns + "/" + unit.db_cluster + "/" + unit.component + "/" + pod;
}

bool RedisClusterNode::HasFlag(const std::string& flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

}  // namespace dbtopo
