#pragma once

// Real MariaDB servers for integration tests: one mariadbd per MariadbServer
// (own datadir, port and socket in a temp dir), and MariadbTopology, a
// primary with GTID replicas plus the fault injections the scenarios need.
//
// Startup is fast: mariadb-install-db runs once per test binary into a
// template datadir that each server copies (about 0.5 s per server), and the
// servers start with small buffers and no fsync.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/exporter_process.h"
#include "support/process.h"

namespace dbtopo::testing {

/// One result row: column name -> value (std::nullopt for SQL NULL).
using Row = std::map<std::string, std::optional<std::string>>;

/// One mariadbd on 127.0.0.1:<free port>, data under `base_dir/name/`.
/// Admin statements run as root (no password) over TCP, one connection per
/// call (so they survive server restarts), with 10 s read timeouts.
class MariadbServer {
 public:
  MariadbServer(std::string name, std::string base_dir, std::uint32_t server_id);
  ~MariadbServer();
  MariadbServer(const MariadbServer&) = delete;
  MariadbServer& operator=(const MariadbServer&) = delete;

  /// Spawns mariadbd (copying the template datadir on first start) without
  /// waiting; WaitReady() waits. Start() does both.
  void Spawn();
  /// Waits until a root connection succeeds; throws with the error log tail
  /// when mariadbd exits or does not answer within `timeout`.
  void WaitReady(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  void Start() {
    Spawn();
    WaitReady();
  }
  /// Adds mariadbd options for every later Spawn() (e.g. --ssl-cert=...).
  void AddArgs(const std::vector<std::string>& args) {
    extra_args_.insert(extra_args_.end(), args.begin(), args.end());
  }
  /// SIGKILL (no shutdown, like a crashed pod).
  void Kill();
  /// Clean shutdown (SIGTERM).
  void Shutdown();
  /// SIGSTOP: TCP connections are accepted by the kernel, nothing answers.
  void Freeze();
  /// SIGCONT after Freeze().
  void Thaw();
  bool IsRunning() { return process_ != nullptr && process_->IsRunning(); }

  /// Runs one or more `;`-separated statements, discarding results. Throws
  /// std::runtime_error naming the server, the SQL and the server error.
  void Execute(const std::string& sql) const;
  /// Rows of the first result set of `sql`.
  std::vector<Row> Query(const std::string& sql) const;
  /// The value of a one-column query's first row; std::nullopt for no row or
  /// NULL. Throws std::logic_error when the result has several columns.
  std::optional<std::string> QueryValue(const std::string& sql) const;

  const std::string& name() const { return name_; }
  int port() const { return port_; }
  /// "127.0.0.1:<port>".
  std::string address() const;
  std::uint32_t server_id() const { return server_id_; }
  const std::string& error_log_path() const { return error_log_; }
  std::string ErrorLogTail(std::size_t max_bytes = 4096) const;

 private:
  std::string name_;
  std::vector<std::string> extra_args_;
  std::string dir_;
  std::string datadir_;
  std::string error_log_;
  std::uint32_t server_id_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

/// A primary (server 0) with N GTID replicas (servers 1..N), all in one temp
/// dir that is removed on destruction.
///
/// Each server has, created locally with sql_log_bin=0 (so nothing extra is
/// replicated): an `exporter` user with a random password and the grants
/// the probe needs (SLAVE MONITOR, BINLOG MONITOR/REPLICATION CLIENT,
/// PROCESS, SELECT), and a `repl` user (REPLICATION SLAVE). The primary holds
/// table `dbtopo_test.t (id INT PRIMARY KEY, v VARCHAR(64))`, replicated.
/// Replicas run `read_only=1`, `MASTER_USE_GTID=slave_pos`,
/// `MASTER_CONNECT_RETRY=1`.
class MariadbTopology {
 public:
  static constexpr char kExporterUser[] = "exporter";
  static constexpr char kReplUser[] = "repl";
  static constexpr char kTable[] = "dbtopo_test.t";

  MariadbTopology();
  ~MariadbTopology();
  MariadbTopology(const MariadbTopology&) = delete;
  MariadbTopology& operator=(const MariadbTopology&) = delete;

  /// Starts the primary and `n_replicas` replicas and waits until every
  /// replica has applied everything the primary wrote.
  void Start(int n_replicas);
  /// Before Start(): every server gets this CA, certificate and key
  /// (--ssl-ca/--ssl-cert/--ssl-key), the `repl` and `exporter` users are
  /// created REQUIRE SSL, and replicas connect with MASTER_SSL=1. Root's
  /// admin connections stay plain.
  void UseTls(const std::string& ca_file, const std::string& cert_file,
              const std::string& key_file);

  /// Server `i`: 0 is the primary, 1..N the replicas.
  MariadbServer& server(int i) { return *servers_.at(i); }
  MariadbServer& primary() { return server(0); }
  int size() const { return static_cast<int>(servers_.size()); }
  const TempDir& dir() const { return dir_; }
  const std::string& exporter_password() const { return exporter_password_; }
  /// Password of the `repl` user (on every server).
  const std::string& repl_password() const { return repl_password_; }

  /// Pod name of server i: `pod_prefix + i`.
  std::string Pod(int i, const std::string& pod_prefix = "mysql-") const;
  /// The exporter's view of this topology: members `pod_prefix0..N`, label
  /// `kubeblocks.io/role` = primary for server 0, secondary for the others.
  ClusterSpec ToClusterSpec(const std::string& cluster_name,
                            const std::string& pod_prefix = "mysql-") const;

  /// Waits until the given replicas (default: every running replica) have
  /// applied everything in the primary's binlog.
  void WaitInSync(std::vector<int> replicas = {},
                  std::chrono::seconds timeout = std::chrono::seconds(30));
  /// `SHOW SLAVE STATUS` of server i (empty Row when it is not a replica).
  Row ReplicaStatus(int i);
  /// `SHOW SLAVE STATUS` fields of every server, for failure messages.
  std::string Describe();

  // ---- faults ----

  /// STOP SLAVE SQL_THREAD on replica i.
  void StopSql(int i);
  /// Inserts a row on replica i only (sql_log_bin=0), then the same key on
  /// the primary: replica i's SQL thread stops with errno 1062. Waits for it.
  void InduceDuplicateKeyError(int i);
  /// STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0 on replica i: a
  /// second writable server that replicates from nobody.
  void DetachAndMakeWritable(int i);
  /// STOP SLAVE; SET GLOBAL read_only=0 on replica i: the channel stays
  /// configured but stopped, and the server takes writes that reach nobody.
  void StopAndMakeWritable(int i);
  /// Points replica i at replica `source` by binlog file/position (no GTID),
  /// from where `source` is now: a chained replica. Waits until i is in sync
  /// with `source` first.
  void ChainByPosition(int i, int source);
  /// Server i also replicates from server `peer` (GTID current_pos): with i
  /// writable and peer a read-only replica of i, active/passive co-primaries.
  void ReplicateAlsoFrom(int i, int peer);
  /// STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=<seconds>; START SLAVE on i.
  void SetDelay(int i, int seconds);
  /// STOP SLAVE; RESET SLAVE ALL on replica i (stays read-only).
  void ResetSlaveAll(int i);
  /// A row written on replica i with sql_log_bin=1 (as root, whom read_only
  /// does not stop): a transaction the primary never has, an errant GTID.
  void WriteErrantTransaction(int i);
  /// RESET MASTER on replica i: its binlog (and errant GTIDs) are gone;
  /// replication continues from gtid_slave_pos.
  void ForgetBinlog(int i);
  /// SIGKILL the primary.
  void KillPrimary() { primary().Kill(); }
  /// Repoints replica i's default connection at host:port (GTID slave_pos)
  /// and restarts it.
  void PointAt(int i, const std::string& host, int port);
  /// SET GLOBAL server_id on server i.
  void SetServerId(int i, std::uint32_t server_id);
  /// STOP SLAVE; START SLAVE on replica i (reconnects with current settings).
  void RestartReplication(int i);
  /// SIGSTOP / SIGCONT server i.
  void Freeze(int i) { server(i).Freeze(); }
  void Thaw(int i) { server(i).Thaw(); }

 private:
  void StartReplication(int i, const std::string& host, int port);

  TempDir dir_;
  std::string exporter_password_;
  std::string repl_password_;
  std::vector<std::string> tls_args_;  // Empty: plain TCP.
  std::vector<std::unique_ptr<MariadbServer>> servers_;
  int next_key_ = 1000;
};

}  // namespace dbtopo::testing
