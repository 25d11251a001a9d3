#pragma once

// Real redis-sentinel processes for integration tests: N sentinels on
// 127.0.0.1:<free port>, each with its own config file (Sentinel rewrites
// it) in a temp dir, monitoring one master as `mymaster` with quorum 2,
// down-after-milliseconds 1000 and failover-timeout 10000 so failures and
// failovers show within seconds. Each sentinel has an ACL user `exporter`
// (the Redis sets' password) allowed only what the probe sends; the
// `default` user has no password.

#include <memory>
#include <string>
#include <vector>

#include "support/exporter_process.h"
#include "support/process.h"

namespace dbtopo::testing {

/// The master name the sentinels monitor.
inline constexpr char kSentinelMasterName[] = "mymaster";

class RedisSentinels {
 public:
  explicit RedisSentinels(std::string exporter_password);
  ~RedisSentinels();

  /// Starts `n` sentinels monitoring 127.0.0.1:`master_port` and waits until
  /// each knows the other n-1 sentinels and `replicas` replicas.
  void Start(int n, int master_port, int replicas);

  /// Starts sentinel i again on its port with its (rewritten) config.
  void Restart(int i);
  /// SIGTERM sentinel i.
  void Stop(int i);

  /// One command to sentinel i as the default user (see RedisServer::Command).
  std::string Command(int i, const std::vector<std::string>& argv) const;
  /// `ip:port` sentinel i gives for `mymaster` (SENTINEL GET-MASTER-ADDR-BY-NAME).
  std::string MasterAddress(int i) const;

  int port(int i) const { return ports_.at(i); }
  int size() const { return static_cast<int>(ports_.size()); }
  /// Pod name of sentinel i: "sentinel-<i>".
  static std::string Pod(int i) { return "sentinel-" + std::to_string(i); }
  /// Engine `redis-sentinel`, members sentinel-0..N-1, ACL user `exporter`,
  /// db_cluster `name` (the Redis set's, so the tie is by the same cluster).
  ClusterSpec ToClusterSpec(const std::string& name) const;
  std::string LogTail(int i) const;

 private:
  void WriteConfig(int i, int master_port);

  TempDir dir_;
  std::string password_;
  std::vector<int> ports_;
  std::vector<std::unique_ptr<Process>> processes_;
  std::vector<int> starts_;
};

}  // namespace dbtopo::testing
