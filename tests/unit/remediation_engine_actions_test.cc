// Remediation's engine registry: each engine that holds data has a native
// switchover, and each engine a fence or the reason it has none.

#include <gtest/gtest.h>

#include <string>

#include "dbtopo/analysis/engines.h"
#include "engine_actions.h"

namespace dbtopo::remediation {
namespace {

TEST(EngineActionsTest, EveryEngineHasAnEntry) {
  for (Engine engine : AllEngines()) {
    const EngineActions& actions = ActionsOf(engine);
    // Only an engine without data has no switchover (the policy refuses it).
    EXPECT_EQ(actions.switchover == nullptr, !HasPrimaries(engine)) << EngineName(engine);
    ASSERT_NE(actions.no_fence_reason, nullptr) << EngineName(engine);
    // Exactly one of a fence and a reason for not having one.
    EXPECT_NE(actions.fence == nullptr, std::string(actions.no_fence_reason).empty())
        << EngineName(engine);
  }
}

TEST(EngineActionsTest, WhatEachEngineNeeds) {
  EXPECT_TRUE(ActionsOf(Engine::kMysql).needs_replication_user);
  EXPECT_FALSE(ActionsOf(Engine::kRedis).needs_replication_user);
  EXPECT_EQ(ActionsOf(Engine::kMysql).lag_limit, LagLimit::kSeconds);
  EXPECT_EQ(ActionsOf(Engine::kRedis).lag_limit, LagLimit::kBytes);
  EXPECT_EQ(ActionsOf(Engine::kRedisCluster).fence, nullptr);
  EXPECT_NE(ActionsOf(Engine::kRedis).fence, nullptr);
}

}  // namespace
}  // namespace dbtopo::remediation
