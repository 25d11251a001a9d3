#pragma once

// A probe talks to one server and returns a plain Observation.
//
// A Probe object lives as long as its target is discovered and keeps its
// connection open across rounds; it reconnects on the next call after a
// failure. Collect() never throws and never takes longer than about
// ProbeOptions::timeout (connect + one read), whatever the server does.

#include <chrono>
#include <memory>

#include "dbtopo/analysis/model.h"
#include "dbtopo/base/secret.h"

namespace dbtopo {

struct ProbeOptions {
  /// Connect, read and write timeout of one probe.
  std::chrono::milliseconds timeout{2000};
};

class Probe {
 public:
  virtual ~Probe() = default;
  /// Probes the target once. On any failure returns an Observation with
  /// up=false and a secret-free error; never throws.
  virtual Observation Collect() = 0;
};

/// Makes the probe for `target.engine`.
std::unique_ptr<Probe> MakeProbe(const Target& target, const Credentials& credentials,
                                 const ProbeOptions& options);

/// Engine-specific factories (one file each under collectors/src/).
std::unique_ptr<Probe> MakeMysqlProbe(const Target& target, const Credentials& credentials,
                                      const ProbeOptions& options);
/// Redis (`redis`) and Redis Cluster (`redis-cluster`, adds CLUSTER INFO,
/// CLUSTER NODES, CLUSTER MYID) probe: one pipelined round-trip per Collect().
/// AUTH runs once per connection: `AUTH user pass` with a username, `AUTH
/// pass` without, none when the password is empty.
std::unique_ptr<Probe> MakeRedisProbe(const Target& target, const Credentials& credentials,
                                      const ProbeOptions& options);
/// Redis Sentinel (`redis-sentinel`) probe: INFO sentinel, INFO server,
/// SENTINEL MASTERS and, per monitored master, SENTINEL REPLICAS, SENTINELS
/// and CKQUORUM, pipelined (a second pipeline only for masters not seen
/// before). AUTH as for Redis.
std::unique_ptr<Probe> MakeSentinelProbe(const Target& target, const Credentials& credentials,
                                         const ProbeOptions& options);

}  // namespace dbtopo
