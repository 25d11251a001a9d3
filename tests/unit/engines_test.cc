// The engine registries: every engine has a complete entry in each layer.

#include "dbtopo/analysis/engines.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "detectors.h"

namespace dbtopo {
namespace {

TEST(EngineRegistryTest, EveryEngineHasItsTraits) {
  std::set<std::string> names;
  for (Engine engine : AllEngines()) {
    const EngineTraits& traits = Traits(engine);
    EXPECT_EQ(traits.engine, engine);
    EXPECT_TRUE(names.insert(traits.name).second) << traits.name << " named twice";
    EXPECT_EQ(ParseEngine(traits.name), engine);
    EXPECT_STREQ(EngineName(engine), traits.name);
    EXPECT_GT(traits.default_port, 0);
    EXPECT_LT(traits.default_port, 65536);
    const detail::EngineHooks& hooks = detail::HooksOf(engine);
    EXPECT_NE(hooks.assign_roles, nullptr) << traits.name;
    EXPECT_NE(hooks.unit_detectors, nullptr) << traits.name;
    EXPECT_NE(hooks.round_detectors, nullptr) << traits.name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"mysql", "redis", "redis-cluster", "redis-sentinel"}));
  EXPECT_EQ(ParseEngine("postgres"), std::nullopt);
}

TEST(EngineRegistryTest, OnlyRedisClusterCountsPrimariesPerShard) {
  EXPECT_FALSE(OnePrimaryPerShard(Engine::kMysql));
  EXPECT_FALSE(OnePrimaryPerShard(Engine::kRedis));
  EXPECT_TRUE(OnePrimaryPerShard(Engine::kRedisCluster));
  EXPECT_FALSE(OnePrimaryPerShard(Engine::kRedisSentinel));
  EXPECT_EQ(Traits(Engine::kMysql).default_port, 3306);
  EXPECT_EQ(Traits(Engine::kRedisCluster).default_port, 6379);
}

TEST(EngineRegistryTest, OnlySentinelsHaveNoPrimaries) {
  EXPECT_TRUE(HasPrimaries(Engine::kMysql));
  EXPECT_TRUE(HasPrimaries(Engine::kRedis));
  EXPECT_TRUE(HasPrimaries(Engine::kRedisCluster));
  EXPECT_FALSE(HasPrimaries(Engine::kRedisSentinel));
  EXPECT_EQ(Traits(Engine::kRedisSentinel).default_port, 26379);
}

}  // namespace
}  // namespace dbtopo
