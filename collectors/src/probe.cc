#include "dbtopo/collectors/probe.h"

namespace dbtopo {

std::unique_ptr<Probe> MakeProbe(const Target& target, const Credentials& credentials,
                                 const ProbeOptions& options) {
  switch (target.engine) {
    case Engine::kMysql:
      return MakeMysqlProbe(target, credentials, options);
    case Engine::kRedis:
    case Engine::kRedisCluster:
      return MakeRedisProbe(target, credentials, options);
  }
  return nullptr;
}

}  // namespace dbtopo
