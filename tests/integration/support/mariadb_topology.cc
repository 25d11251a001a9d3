// MariadbTopology: a primary with GTID replicas, and the faults the
// scenarios inject into it.

#include "support/mariadb_topology.h"

#include <random>
#include <sstream>
#include <stdexcept>

namespace dbtopo::testing {
namespace {

std::string RandomHex(int n) {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  std::uniform_int_distribution<int> dist(0, 15);
  std::string out;
  for (int i = 0; i < n; ++i) out += "0123456789abcdef"[dist(gen)];
  return out;
}

std::string Get(const Row& row, const std::string& column) {
  auto it = row.find(column);
  if (it == row.end() || !it->second.has_value()) return "NULL";
  return *it->second;
}

}  // namespace

// ---------------------------------------------------------------- MariadbTopology

MariadbTopology::MariadbTopology()
    : dir_("dbtopo-mariadb"),
      exporter_password_("Xp7#dbtopo-" + RandomHex(16)),
      repl_password_("repl-" + RandomHex(8)) {}

MariadbTopology::~MariadbTopology() {
  // Kill every server before dir_ goes away (members die in reverse order,
  // but be explicit).
  servers_.clear();
}

std::string MariadbTopology::Pod(int i, const std::string& pod_prefix) const {
  return pod_prefix + std::to_string(i);
}

ClusterSpec MariadbTopology::ToClusterSpec(const std::string& cluster_name,
                                           const std::string& pod_prefix) const {
  ClusterSpec spec;
  spec.name = cluster_name;
  spec.engine = "mysql";
  spec.username = kExporterUser;
  spec.password = exporter_password_;
  for (int i = 0; i < size(); ++i) {
    spec.members.push_back({Pod(i, pod_prefix),
                            servers_[i]->address(),
                            {{"kubeblocks.io/role", i == 0 ? "primary" : "secondary"}}});
  }
  return spec;
}

void MariadbTopology::Start(int n_replicas) {
  if (!servers_.empty()) throw std::logic_error("MariadbTopology::Start called twice");
  for (int i = 0; i <= n_replicas; ++i) {
    servers_.push_back(std::make_unique<MariadbServer>("mysql-" + std::to_string(i), dir_.path(),
                                                       static_cast<std::uint32_t>(i + 1)));
    servers_.back()->AddArgs(tls_args_);
  }
  // Start all at once, then wait: the servers boot in parallel.
  for (auto& s : servers_) s->Spawn();
  for (auto& s : servers_) s->WaitReady();

  const std::string require = tls_args_.empty() ? "" : " REQUIRE SSL";
  const std::string users =
      "SET SESSION sql_log_bin=0;"
      "CREATE USER '" +
      std::string(kExporterUser) + "'@'%' IDENTIFIED BY '" + exporter_password_ + "'" + require +
      ";"
      "GRANT SLAVE MONITOR, BINLOG MONITOR, PROCESS, SELECT ON *.* TO '" +
      kExporterUser +
      "'@'%';"
      "CREATE USER '" +
      kReplUser + "'@'%' IDENTIFIED BY '" + repl_password_ + "'" + require +
      ";"
      "GRANT REPLICATION SLAVE ON *.* TO '" +
      kReplUser +
      "'@'%';"
      "SET SESSION sql_log_bin=1;";
  for (auto& s : servers_) s->Execute(users);

  primary().Execute(
      "CREATE DATABASE dbtopo_test;"
      "CREATE TABLE dbtopo_test.t (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB;"
      "INSERT INTO dbtopo_test.t VALUES (1, 'hello');");
  for (int i = 1; i < size(); ++i) {
    server(i).Execute("SET GLOBAL read_only=1");
    StartReplication(i, "127.0.0.1", primary().port());
  }
  WaitInSync();
}

void MariadbTopology::StartReplication(int i, const std::string& host, int port) {
  server(i).Execute(
      "STOP SLAVE;"
      "CHANGE MASTER TO MASTER_HOST='" +
      host + "', MASTER_PORT=" + std::to_string(port) + ", MASTER_USER='" + kReplUser +
      "', MASTER_PASSWORD='" + repl_password_ +
      "', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1" +
      (tls_args_.empty() ? "" : ", MASTER_SSL=1") +
      ";"
      "START SLAVE;");
}

void MariadbTopology::UseTls(const std::string& ca_file, const std::string& cert_file,
                             const std::string& key_file) {
  if (!servers_.empty()) throw std::logic_error("MariadbTopology::UseTls after Start");
  tls_args_ = {"--ssl-ca=" + ca_file, "--ssl-cert=" + cert_file, "--ssl-key=" + key_file};
}

void MariadbTopology::WaitInSync(std::vector<int> replicas, std::chrono::seconds timeout) {
  if (replicas.empty()) {
    for (int i = 1; i < size(); ++i) {
      if (server(i).IsRunning()) replicas.push_back(i);
    }
  }
  const std::string pos = primary().QueryValue("SELECT @@GLOBAL.gtid_binlog_pos").value_or("");
  for (int i : replicas) {
    // MASTER_GTID_WAIT in 1 s steps: one long wait would outlive the
    // connection's read timeout.
    bool synced = PollUntil(
        [&] { return server(i).QueryValue("SELECT MASTER_GTID_WAIT('" + pos + "', 1)") == "0"; },
        timeout, std::chrono::milliseconds(0));
    if (!synced) {
      throw std::runtime_error(server(i).name() + " did not reach primary GTID " + pos + "\n" +
                               Describe());
    }
  }
}

Row MariadbTopology::ReplicaStatus(int i) {
  std::vector<Row> rows = server(i).Query("SHOW SLAVE STATUS");
  return rows.empty() ? Row{} : rows.front();
}

std::string MariadbTopology::Describe() {
  std::ostringstream out;
  for (int i = 0; i < size(); ++i) {
    MariadbServer& s = server(i);
    out << s.name() << " " << s.address() << " server_id=" << s.server_id();
    if (!s.IsRunning()) {
      out << " (not running)\n";
      continue;
    }
    try {
      Row st = ReplicaStatus(i);
      if (st.empty()) {
        out << " (not a replica)\n";
      } else {
        out << " source=" << Get(st, "Master_Host") << ":" << Get(st, "Master_Port")
            << " io=" << Get(st, "Slave_IO_Running") << " sql=" << Get(st, "Slave_SQL_Running")
            << " lag=" << Get(st, "Seconds_Behind_Master")
            << " io_errno=" << Get(st, "Last_IO_Errno")
            << " sql_errno=" << Get(st, "Last_SQL_Errno")
            << " sql_error=" << Get(st, "Last_SQL_Error") << "\n";
      }
    } catch (const std::exception& e) {
      out << " (" << e.what() << ")\n";
    }
  }
  return out.str();
}

void MariadbTopology::StopSql(int i) { server(i).Execute("STOP SLAVE SQL_THREAD"); }

void MariadbTopology::InduceDuplicateKeyError(int i) {
  const std::string key = std::to_string(next_key_++);
  server(i).Execute(
      "SET SESSION sql_log_bin=0;"
      "INSERT INTO dbtopo_test.t VALUES (" +
      key +
      ", 'replica only');"
      "SET SESSION sql_log_bin=1;");
  primary().Execute("INSERT INTO dbtopo_test.t VALUES (" + key + ", 'primary')");
  bool stopped = PollUntil(
      [&] {
        Row st = ReplicaStatus(i);
        return Get(st, "Last_SQL_Errno") == "1062" && Get(st, "Slave_SQL_Running") == "No";
      },
      std::chrono::seconds(30));
  if (!stopped) {
    throw std::runtime_error(server(i).name() + ": SQL thread did not stop on 1062\n" + Describe());
  }
}

void MariadbTopology::DetachAndMakeWritable(int i) {
  server(i).Execute("STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0;");
}

void MariadbTopology::StopAndMakeWritable(int i) {
  server(i).Execute("STOP SLAVE; SET GLOBAL read_only=0;");
}

void MariadbTopology::ChainByPosition(int i, int source) {
  WaitInSync({i, source});
  server(i).Execute("STOP SLAVE");
  const std::vector<Row> status = server(source).Query("SHOW MASTER STATUS");
  if (status.empty()) throw std::runtime_error(server(source).name() + ": no binlog");
  server(i).Execute("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" +
                    std::to_string(server(source).port()) + ", MASTER_USER='" + kReplUser +
                    "', MASTER_PASSWORD='" + repl_password_ +
                    "', MASTER_USE_GTID=no, MASTER_LOG_FILE='" + Get(status[0], "File") +
                    "', MASTER_LOG_POS=" + Get(status[0], "Position") +
                    ", MASTER_CONNECT_RETRY=1; START SLAVE;");
}

void MariadbTopology::ReplicateAlsoFrom(int i, int peer) {
  server(i).Execute("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" +
                    std::to_string(server(peer).port()) + ", MASTER_USER='" + kReplUser +
                    "', MASTER_PASSWORD='" + repl_password_ +
                    "', MASTER_USE_GTID=current_pos, MASTER_CONNECT_RETRY=1; START SLAVE;");
}

void MariadbTopology::SetDelay(int i, int seconds) {
  server(i).Execute("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=" + std::to_string(seconds) +
                    "; START SLAVE;");
}

void MariadbTopology::ResetSlaveAll(int i) { server(i).Execute("STOP SLAVE; RESET SLAVE ALL;"); }

void MariadbTopology::WriteErrantTransaction(int i) {
  server(i).Execute("INSERT INTO dbtopo_test.t VALUES (" + std::to_string(next_key_++) +
                    ", 'errant')");
}

void MariadbTopology::ForgetBinlog(int i) { server(i).Execute("RESET MASTER"); }

void MariadbTopology::PointAt(int i, const std::string& host, int port) {
  StartReplication(i, host, port);
}

void MariadbTopology::SetServerId(int i, std::uint32_t server_id) {
  server(i).Execute("SET GLOBAL server_id=" + std::to_string(server_id));
}

void MariadbTopology::RestartReplication(int i) { server(i).Execute("STOP SLAVE; START SLAVE;"); }

}  // namespace dbtopo::testing
