#include "dbtopo/collectors/probe.h"

#include "dbtopo/analysis/engines.h"

namespace dbtopo {
namespace {

using ProbeFactory = std::unique_ptr<Probe> (*)(const Target& target,
                                                const Credentials& credentials,
                                                const ProbeOptions& options);

// The engine registry of collectors/: the probe of each engine. One Redis
// probe serves both Redis engines (it adds CLUSTER INFO/NODES for a cluster).
constexpr ProbeFactory kMysqlProbe = MakeMysqlProbe;
constexpr ProbeFactory kRedisProbe = MakeRedisProbe;
constexpr ProbeFactory kRedisClusterProbe = MakeRedisProbe;
constexpr ProbeFactory kRedisSentinelProbe = MakeSentinelProbe;

}  // namespace

std::unique_ptr<Probe> MakeProbe(const Target& target, const Credentials& credentials,
                                 const ProbeOptions& options) {
  const ProbeFactory make =
      PerEngine(target.engine, kMysqlProbe, kRedisProbe, kRedisClusterProbe, kRedisSentinelProbe);
  return make(target, credentials, options);
}

}  // namespace dbtopo
