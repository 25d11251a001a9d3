// One mariadbd per MariadbServer: a datadir copied from a template made once
// per test binary, admin statements as root over TCP.

#include <mysql.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "support/mariadb_topology.h"

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

}  // namespace dbtopo::testing
