#pragma once

// The engine registry of remediation/: per engine, its native switchover,
// its fence (or why it has none) and how a candidate's lag is limited. Each
// entry is built by a constructor that takes every trait, so an engine
// without one does not compile; ActionsOf() switches over every Engine.

#include "actions.h"

namespace dbtopo::remediation {

/// How `switchover.max_lag` is checked on a candidate's link.
enum class LagLimit {
  /// Seconds_Behind_Master against max_lag; NULL refuses.
  kSeconds,
  /// Replication offset bytes behind the source against max_lag_bytes.
  kBytes,
};

struct EngineActions {
  /// The native switchover (`switchover.action: native`). `replication` is
  /// the unit's replication user when needs_replication_user, else null.
  using SwitchoverFn = ActionOutcome (*)(const SwitchoverPlan& plan, const MemberMap& members,
                                         const Credentials* replication, ActionContext& ctx);
  using FenceFn = ActionOutcome (*)(const FencePlan& plan, const MemberMap& members,
                                    ActionContext& ctx);

  constexpr EngineActions(SwitchoverFn switchover, bool needs_replication_user, FenceFn fence,
                          const char* no_fence_reason, LagLimit lag_limit)
      : switchover(switchover),
        needs_replication_user(needs_replication_user),
        fence(fence),
        no_fence_reason(no_fence_reason),
        lag_limit(lag_limit) {}

  /// Null for an engine without data (HasPrimaries() false): the policy
  /// refuses such a unit with no_fence_reason before any action runs.
  SwitchoverFn switchover;
  /// The switchover re-points replicas with CHANGE MASTER ... MASTER_USER and
  /// so needs `clusters[].replication_credentials`.
  bool needs_replication_user;
  /// Null when the engine cannot be fenced; no_fence_reason then says why
  /// (the refusal's text), else it is "".
  FenceFn fence;
  const char* no_fence_reason;
  LagLimit lag_limit;
};

/// The actions of `engine`. Never fails: every Engine has an entry.
const EngineActions& ActionsOf(Engine engine);

}  // namespace dbtopo::remediation
