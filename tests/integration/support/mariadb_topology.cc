#include "support/mariadb_topology.h"

#include <mysql.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>

namespace dbtopo::testing {
namespace {

// Keep the redo log small: the template and every server must agree on it,
// or mariadbd resizes the log at startup.
constexpr char kInnodbLogFileSize[] = "--innodb-log-file-size=8M";

/// `--user=<name>` when running as root (mariadbd refuses root otherwise).
std::vector<std::string> UserArgs() {
  if (::geteuid() != 0) return {};
  return {"--user=root"};
}

/// The process-wide template datadir made by mariadb-install-db, created on
/// first use and removed at exit.
const std::string& TemplateDatadir() {
  static std::once_flag once;
  static std::unique_ptr<TempDir> dir;
  static std::string datadir;
  std::call_once(once, [] {
    dir = std::make_unique<TempDir>("dbtopo-mariadb-template");
    datadir = dir->File("data");
    std::vector<std::string> argv = {
        "mariadb-install-db", "--no-defaults", "--auth-root-authentication-method=normal",
        "--datadir=" + datadir, "--skip-test-db", "--skip-name-resolve", kInnodbLogFileSize,
        // ibdata1 stays 12 MB instead of 76 MB:
        // cheaper to copy per server.
        "--innodb-autoextend-increment=1"};
    for (const auto& arg : UserArgs()) argv.push_back(arg);
    const std::string log = dir->File("install.log");
    int rc = RunCommand(argv, log);
    if (rc != 0) {
      throw std::runtime_error("mariadb-install-db failed (exit " + std::to_string(rc) + ")\n" +
                               TailFile(log));
    }
  });
  return datadir;
}

void InitMysqlLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

/// A root connection over TCP; closed on destruction.
class Connection {
 public:
  Connection(const MariadbServer& server, unsigned connect_timeout_s = 5,
             unsigned read_timeout_s = 10)
      : server_(server) {
    InitMysqlLibrary();
    mysql_ = mysql_init(nullptr);
    if (mysql_ == nullptr) throw std::runtime_error("mysql_init failed");
    unsigned int protocol = MYSQL_PROTOCOL_TCP;
    mysql_options(mysql_, MYSQL_OPT_PROTOCOL, &protocol);
    mysql_options(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout_s);
    mysql_options(mysql_, MYSQL_OPT_READ_TIMEOUT, &read_timeout_s);
    mysql_options(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout_s);
    if (mysql_real_connect(mysql_, "127.0.0.1", "root", "", nullptr,
                           static_cast<unsigned>(server.port()), nullptr,
                           CLIENT_MULTI_STATEMENTS) == nullptr) {
      std::string error = Error("connect");
      mysql_close(mysql_);
      mysql_ = nullptr;
      throw std::runtime_error(error);
    }
  }
  ~Connection() {
    if (mysql_ != nullptr) mysql_close(mysql_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs `sql` (possibly several statements); returns the rows of the first
  /// result set.
  std::vector<Row> Run(const std::string& sql) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) throw std::runtime_error(Error(sql));
    std::vector<Row> rows;
    bool first = true;
    while (true) {
      MYSQL_RES* result = mysql_store_result(mysql_);
      if (result != nullptr) {
        if (first) {
          first = false;
          unsigned n = mysql_num_fields(result);
          MYSQL_FIELD* fields = mysql_fetch_fields(result);
          while (MYSQL_ROW row = mysql_fetch_row(result)) {
            unsigned long* lengths = mysql_fetch_lengths(result);
            Row r;
            for (unsigned c = 0; c < n; ++c) {
              r[fields[c].name] = row[c] == nullptr
                                      ? std::nullopt
                                      : std::optional<std::string>(std::string(row[c], lengths[c]));
            }
            rows.push_back(std::move(r));
          }
        }
        mysql_free_result(result);
      } else if (mysql_field_count(mysql_) != 0) {
        throw std::runtime_error(Error(sql));
      }
      int next = mysql_next_result(mysql_);
      if (next < 0) break;
      if (next > 0) throw std::runtime_error(Error(sql));
    }
    return rows;
  }

 private:
  std::string Error(const std::string& what) const {
    return server_.name() + " (" + server_.address() + "): " + what + ": error " +
           std::to_string(mysql_errno(mysql_)) + ": " + mysql_error(mysql_);
  }

  const MariadbServer& server_;
  MYSQL* mysql_ = nullptr;
};

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

// ---------------------------------------------------------------- MariadbServer

MariadbServer::MariadbServer(std::string name, std::string base_dir, std::uint32_t server_id)
    : name_(std::move(name)),
      dir_(std::move(base_dir) + "/" + name_),
      datadir_(dir_ + "/data"),
      error_log_(dir_ + "/error.log"),
      server_id_(server_id) {
  std::filesystem::create_directories(dir_);
}

MariadbServer::~MariadbServer() {
  if (process_ != nullptr) process_->Kill();
}

std::string MariadbServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string MariadbServer::ErrorLogTail(std::size_t max_bytes) const {
  return TailFile(error_log_, max_bytes);
}

void MariadbServer::Spawn() {
  if (IsRunning()) throw std::logic_error(name_ + ": already running");
  if (!std::filesystem::exists(datadir_)) {
    std::filesystem::copy(TemplateDatadir(), datadir_, std::filesystem::copy_options::recursive);
  }
  if (port_ == 0) port_ = FreePort();  // Keep the port across restarts.
  std::vector<std::string> argv = {
      "mariadbd",
      "--no-defaults",
      "--datadir=" + datadir_,
      "--port=" + std::to_string(port_),
      "--bind-address=127.0.0.1",
      "--socket=" + dir_ + "/mysqld.sock",
      "--pid-file=" + dir_ + "/mysqld.pid",
      "--log-error=" + error_log_,
      "--server-id=" + std::to_string(server_id_),
      "--log-bin=mysql-bin",
      "--relay-log=relay-bin",
      "--log-slave-updates",
      "--binlog-format=ROW",
      "--skip-name-resolve",
      "--report-host=127.0.0.1",
      "--report-port=" + std::to_string(port_),
      // Small and fast: this is a test, durability does not matter.
      "--innodb-buffer-pool-size=16M",
      kInnodbLogFileSize,
      "--innodb-flush-log-at-trx-commit=0",
      "--skip-innodb-doublewrite",
      "--innodb-use-native-aio=0",
      "--sync-binlog=0",
      "--key-buffer-size=1M",
      "--aria-pagecache-buffer-size=1M",
      "--performance-schema=OFF",
      "--max-connections=100",
  };
  for (const auto& arg : UserArgs()) argv.push_back(arg);
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<Process>(argv, dir_ + "/stdout.log");
  process_->Start();
}

void MariadbServer::WaitReady(std::chrono::milliseconds timeout) {
  std::string last_error;
  bool ready = PollUntil(
      [&] {
        if (!process_->IsRunning()) return true;
        try {
          Connection conn(*this, 1, 5);
          return true;
        } catch (const std::exception& e) {
          last_error = e.what();
          return false;
        }
      },
      timeout, std::chrono::milliseconds(20));
  if (!process_->IsRunning()) {
    throw std::runtime_error(name_ + ": mariadbd exited during startup\n" + ErrorLogTail());
  }
  if (!ready) {
    throw std::runtime_error(name_ + ": mariadbd not accepting connections: " + last_error + "\n" +
                             ErrorLogTail());
  }
}

void MariadbServer::Kill() {
  if (process_ != nullptr) process_->Kill();
}

void MariadbServer::Shutdown() {
  if (process_ != nullptr) process_->Stop(std::chrono::seconds(30));
}

void MariadbServer::Freeze() { process_->Pause(); }

void MariadbServer::Thaw() { process_->Resume(); }

void MariadbServer::Execute(const std::string& sql) const {
  Connection conn(*this);
  conn.Run(sql);
}

std::vector<Row> MariadbServer::Query(const std::string& sql) const {
  Connection conn(*this);
  return conn.Run(sql);
}

std::optional<std::string> MariadbServer::QueryValue(const std::string& sql) const {
  std::vector<Row> rows = Query(sql);
  if (rows.empty() || rows.front().empty()) return std::nullopt;
  if (rows.front().size() != 1) {
    throw std::logic_error("QueryValue needs exactly one column: " + sql);
  }
  return rows.front().begin()->second;
}

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
