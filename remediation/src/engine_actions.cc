#include "engine_actions.h"

#include "dbtopo/analysis/engines.h"

namespace dbtopo::remediation {
namespace {

// The replication user is checked before the action starts (needs_replication_user).
ActionOutcome MysqlNativeSwitchover(const SwitchoverPlan& plan, const MemberMap& members,
                                    const Credentials* replication, ActionContext& ctx) {
  return MysqlSwitchover(plan, members, *replication, ctx);
}

ActionOutcome RedisNativeSwitchover(const SwitchoverPlan& plan, const MemberMap& members,
                                    const Credentials*, ActionContext& ctx) {
  return RedisSwitchover(plan, members, ctx);
}

ActionOutcome RedisClusterNativeFailover(const SwitchoverPlan& plan, const MemberMap& members,
                                         const Credentials*, ActionContext& ctx) {
  return RedisClusterFailover(plan, members, ctx);
}

constexpr EngineActions kMysql(MysqlNativeSwitchover, /*needs_replication_user=*/true, MysqlFence,
                               "", LagLimit::kSeconds);
constexpr EngineActions kRedis(RedisNativeSwitchover, /*needs_replication_user=*/false, RedisFence,
                               "", LagLimit::kBytes);
constexpr EngineActions kRedisCluster(
    RedisClusterNativeFailover, /*needs_replication_user=*/false, /*fence=*/nullptr,
    "fencing is not supported for redis-cluster (masters of one shard are resolved by the "
    "cluster's config epochs)",
    LagLimit::kBytes);
// A sentinel holds no data; the Redis unit it watches is what gets switched
// over or fenced (through the sentinels).
constexpr EngineActions kRedisSentinel(
    /*switchover=*/nullptr, /*needs_replication_user=*/false, /*fence=*/nullptr,
    "a redis-sentinel unit holds no data: fence or switch over the Redis unit it watches",
    LagLimit::kBytes);

}  // namespace

const EngineActions& ActionsOf(Engine engine) {
  return PerEngine(engine, kMysql, kRedis, kRedisCluster, kRedisSentinel);
}

}  // namespace dbtopo::remediation
