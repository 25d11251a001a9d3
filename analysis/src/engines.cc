#include "dbtopo/analysis/engines.h"

#include <array>

#include "detectors.h"

namespace dbtopo {
namespace {

constexpr EngineTraits kMysql(Engine::kMysql, "mysql", 3306, PrimaryScope::kUnit,
                              /*reports_server_ids=*/true, /*tls_server_name=*/false);
constexpr EngineTraits kRedis(Engine::kRedis, "redis", 6379, PrimaryScope::kUnit,
                              /*reports_server_ids=*/false, /*tls_server_name=*/true);
constexpr EngineTraits kRedisCluster(Engine::kRedisCluster, "redis-cluster", 6379,
                                     PrimaryScope::kShard, /*reports_server_ids=*/false,
                                     /*tls_server_name=*/true);
constexpr EngineTraits kRedisSentinel(Engine::kRedisSentinel, "redis-sentinel", 26379,
                                      PrimaryScope::kNone, /*reports_server_ids=*/false,
                                      /*tls_server_name=*/true);

constexpr std::array kAll{Engine::kMysql, Engine::kRedis, Engine::kRedisCluster,
                          Engine::kRedisSentinel};

}  // namespace

const EngineTraits& Traits(Engine engine) {
  return PerEngine(engine, kMysql, kRedis, kRedisCluster, kRedisSentinel);
}

std::span<const Engine> AllEngines() { return kAll; }

namespace detail {
namespace {

constexpr EngineHooks kMysqlHooks(AssignMysqlRoles, DetectMysql, NoRoundDetectors);
constexpr EngineHooks kRedisHooks(AssignRedisRoles, DetectRedis, NoRoundDetectors);
// Its detectors span units (a cluster's shards may be separate components).
constexpr EngineHooks kRedisClusterHooks(AssignRedisRoles, NoUnitDetectors, DetectRedisClusters);
// Its findings compare sentinel units with the Redis units they watch.
constexpr EngineHooks kRedisSentinelHooks(NoRoles, NoUnitDetectors, DetectSentinels);

}  // namespace

const EngineHooks& HooksOf(Engine engine) {
  return PerEngine(engine, kMysqlHooks, kRedisHooks, kRedisClusterHooks, kRedisSentinelHooks);
}

void NoRoles(UnitView&) {}

void NoUnitDetectors(UnitView&, const AnalysisOptions&, std::vector<Finding>*) {}
void NoRoundDetectors(std::vector<UnitView>&, const AnalysisOptions&, std::vector<Finding>*) {}

}  // namespace detail

}  // namespace dbtopo
