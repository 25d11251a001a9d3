#pragma once

// Real redis-server processes for integration tests: RedisServer (one
// process on 127.0.0.1:<free port>, data in its own directory), a
// replication set (RedisReplicationSet) and a Redis Cluster
// (RedisClusterTopology, built with `redis-cli --cluster create`), plus the
// faults of a Redis Cluster scaled out, scaled in, stopped and started.
//
// Every server has an ACL user `exporter` with a random password and only
// the commands the probe sends (INFO, ROLE, CLUSTER INFO/NODES/MYID); the
// `default` user has no password, so tests and redis-cli administer the
// servers without AUTH. Cluster nodes use cluster-node-timeout 1000 ms so
// failures show within seconds.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/exporter_process.h"
#include "support/process.h"

namespace dbtopo::testing {

/// One redis-server on 127.0.0.1:<port>, working directory `base_dir/name`
/// (nodes.conf lives there and survives restarts).
class RedisServer {
 public:
  /// `cluster`: cluster-enabled with a 1000 ms node timeout.
  RedisServer(std::string name, std::string base_dir, bool cluster, std::string exporter_password);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  /// Starts the process (on `port`, or a free port when 0, or the previous
  /// port on a restart) and waits until it answers PING. Throws with the log
  /// tail when it does not.
  void Start(int port = 0);
  /// SIGKILL, like a crashed pod. Data directory kept.
  void Kill();
  /// SIGTERM (redis-server shuts down cleanly and keeps nodes.conf).
  void Stop();
  /// SIGSTOP: the kernel still accepts connections, nothing answers.
  void Freeze();
  /// SIGCONT after Freeze().
  void Thaw();
  bool IsRunning() { return process_ != nullptr && process_->IsRunning(); }

  /// Runs one command as the default user over a fresh connection (5 s
  /// timeouts). Returns status/string replies as text, integers in decimal,
  /// arrays one element per line. Throws on an error reply or I/O error.
  std::string Command(const std::vector<std::string>& argv) const;
  /// `INFO <section>` field `key`; "" when absent.
  std::string InfoField(const std::string& section, const std::string& key) const;
  /// `CLUSTER INFO` field `key`; "" when absent.
  std::string ClusterInfoField(const std::string& key) const;
  /// `CLUSTER MYID`.
  std::string MyId() const { return Command({"CLUSTER", "MYID"}); }

  const std::string& name() const { return name_; }
  int port() const { return port_; }
  /// "127.0.0.1:<port>".
  std::string address() const;
  std::string LogTail(std::size_t max_bytes = 4096) const;

 private:
  std::string name_;
  std::string dir_;
  bool cluster_;
  std::string exporter_password_;
  int port_ = 0;
  int restarts_ = 0;
  std::unique_ptr<Process> process_;
};

/// Runs one command on 127.0.0.1:`port` as the default user over a fresh
/// connection (5 s timeouts): status/string replies as text, integers in
/// decimal, arrays one element per line. Throws, naming `who`, on an error
/// reply or I/O error.
std::string RedisCommand(int port, const std::vector<std::string>& argv, const std::string& who);

/// The exporter's ACL user on every server.
inline constexpr char kRedisExporterUser[] = "exporter";

/// A random password for the exporter user.
std::string RandomRedisPassword();

/// A master (server 0) and N replicas (1..N) in one temp dir.
class RedisReplicationSet {
 public:
  RedisReplicationSet();
  /// Starts everything and waits until every replica's link is up.
  void Start(int n_replicas);

  RedisServer& server(int i) { return *servers_.at(i); }
  int size() const { return static_cast<int>(servers_.size()); }
  const std::string& exporter_password() const { return password_; }

  /// Pod name of server i: "redis-<i>".
  static std::string Pod(int i) { return "redis-" + std::to_string(i); }
  /// Engine `redis`, members redis-0..N, label kubeblocks.io/role primary
  /// for server 0 and secondary for the others, ACL user `exporter`.
  ClusterSpec ToClusterSpec(const std::string& name) const;

  /// `REPLICAOF host port` on server i.
  void PointAt(int i, const std::string& host, int port);
  /// `REPLICAOF NO ONE` on server i.
  void Promote(int i) { server(i).Command({"REPLICAOF", "NO", "ONE"}); }

 private:
  TempDir dir_;
  std::string password_;
  std::vector<std::unique_ptr<RedisServer>> servers_;
};

/// A Redis Cluster of 3 masters with one replica each, made by
/// `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes`, plus
/// room for extra cluster-enabled nodes that are not joined.
class RedisClusterTopology {
 public:
  RedisClusterTopology();
  /// Starts 6 nodes, creates the cluster and waits until every node reports
  /// cluster_state:ok with 6 known nodes. Shard k (0..2) is master k plus its
  /// replica; see Shard().
  void Start();
  /// Starts one more cluster-enabled node that has met nobody; returns its
  /// index.
  int AddLonelyNode();

  RedisServer& node(int i) { return *nodes_.at(i); }
  int size() const { return static_cast<int>(nodes_.size()); }
  const std::string& exporter_password() const { return password_; }
  /// Node indexes of shard k: {master, replica}, as created.
  std::vector<int> Shard(int k) const { return shards_.at(k); }

  /// Pod name of node i: "sessions-shard-<k>-<j>" (j = 0 for the master as
  /// created, 1 for its replica) for cluster nodes, "sessions-extra-<i>" for
  /// lonely nodes.
  std::string Pod(int i) const;
  /// KubeBlocks layout: one ClusterSpec (engine redis-cluster, db_cluster
  /// `name`) per shard with component "shard-<k>"; lonely nodes go to
  /// component "extra". Members are at the nodes' current addresses.
  std::vector<ClusterSpec> ToClusterSpecs(const std::string& name) const;

  /// `CLUSTER MEET 127.0.0.1 <port of node j>` sent to node i.
  void Meet(int i, int j);
  /// Stops every node (SIGTERM) and starts each on a new free port with the
  /// same directory, so nodes.conf lists every peer at its old address.
  void RestartAllOnNewPorts();
  /// Polls until every running node reports cluster_state:ok and knows
  /// `known_nodes` nodes; throws with the nodes' views on timeout.
  void WaitHealthy(int known_nodes, std::chrono::seconds timeout = std::chrono::seconds(60));
  /// CLUSTER NODES of every running node, for failure messages.
  std::string Describe();

 private:
  TempDir dir_;
  std::string password_;
  std::vector<std::unique_ptr<RedisServer>> nodes_;
  std::vector<std::vector<int>> shards_;
  std::vector<std::string> pods_;
};

}  // namespace dbtopo::testing
