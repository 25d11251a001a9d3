#pragma once

// The engine registry of analysis/: what every other layer may ask about an
// engine. Each engine's entry is built by a constructor that takes every
// trait, so an engine added without one does not compile; PerEngine() is the
// one switch over engines, and the build has -Werror=switch.
//
// The other layers keep their own entry per engine in one place too:
// collectors/src/probe.cc (the probe factory) and
// remediation/src/engine_actions.cc (native fence and switchover).

#include <span>

#include "dbtopo/analysis/model.h"
#include "dbtopo/base/assert.h"

namespace dbtopo {

/// What "exactly one primary" is counted over.
enum class PrimaryScope {
  /// One primary per unit (replication: MySQL/MariaDB, Redis with replicas).
  kUnit,
  /// One master per shard (slot range); a unit may hold several shards, and
  /// "the" primary of a unit is meaningless (Redis Cluster).
  kShard,
  /// No primary at all: the servers hold no data (Redis Sentinel). Only
  /// target_down of the common detectors applies.
  kNone,
};

/// Traits of one engine.
struct EngineTraits {
  constexpr EngineTraits(Engine engine, const char* name, int default_port,
                         PrimaryScope primary_scope, bool reports_server_ids,
                         bool tls_server_name)
      : engine(engine),
        name(name),
        default_port(default_port),
        primary_scope(primary_scope),
        reports_server_ids(reports_server_ids),
        tls_server_name(tls_server_name) {}

  Engine engine;
  /// The `engine:` value in config and the `engine` label ("mysql").
  const char* name;
  /// TCP port when a member or a pod names none.
  int default_port;
  PrimaryScope primary_scope;
  /// The server has a server_id / server_uuid that must be unique in a unit
  /// (`dbtopo_cluster_server_id_conflicts` is exported for such units only).
  bool reports_server_ids;
  /// `tls.server_name` can be honoured: the certificate is checked against
  /// a name other than the host connected to (not with MariaDB Connector/C,
  /// which checks the host).
  bool tls_server_name;
};

/// The traits of `engine`. Never fails: every Engine has an entry.
const EngineTraits& Traits(Engine engine);

/// Every engine, in the order of the enum.
std::span<const Engine> AllEngines();

/// The one switch over engines that every registry goes through: returns the
/// entry of `engine` among one entry per engine. Adding an engine adds a
/// parameter here, and every registry then fails to compile until it names
/// the new engine's entry.
template <typename Entry>
const Entry& PerEngine(Engine engine, const Entry& mysql, const Entry& redis,
                       const Entry& redis_cluster, const Entry& redis_sentinel) {
  switch (engine) {
    case Engine::kMysql:
      return mysql;
    case Engine::kRedis:
      return redis;
    case Engine::kRedisCluster:
      return redis_cluster;
    case Engine::kRedisSentinel:
      return redis_sentinel;
  }
  DBTOPO_ASSERT(false, "an Engine outside the enum's values");
}

/// Traits(engine).primary_scope == PrimaryScope::kShard.
inline bool OnePrimaryPerShard(Engine engine) {
  return Traits(engine).primary_scope == PrimaryScope::kShard;
}

/// False for engines whose servers hold no data (PrimaryScope::kNone): no
/// role, no primary count, no role-label findings.
inline bool HasPrimaries(Engine engine) {
  return Traits(engine).primary_scope != PrimaryScope::kNone;
}

}  // namespace dbtopo
