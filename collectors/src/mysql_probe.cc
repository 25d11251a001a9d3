// MySQL/MariaDB probe: one persistent connection per target, one
// multi-statement round-trip per Collect().
//
// Privileges the probe's user needs: none for the globals; SHOW REPLICA/SLAVE
// STATUS needs REPLICATION CLIENT (MySQL) or SLAVE MONITOR / REPLICA MONITOR
// (MariaDB >= 10.5.9; SUPER before). Without it every Collect() reports the
// target down with the server's "Access denied" text.

#include <mysql.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dbtopo/collectors/mysql_connection.h"
#include "dbtopo/collectors/probe.h"
#include "mysql_replica_status.h"

namespace dbtopo {
namespace {

using Clock = std::chrono::steady_clock;

struct MysqlCloser {
  void operator()(MYSQL* mysql) const { mysql_close(mysql); }
};
using Connection = std::unique_ptr<MYSQL, MysqlCloser>;

struct ResultFreer {
  void operator()(MYSQL_RES* result) const { mysql_free_result(result); }
};
using Result = std::unique_ptr<MYSQL_RES, ResultFreer>;

// Drives one non-blocking Connector/C call (`start`, then `cont` with the
// events that arrived) until it completes or `deadline` passes. The client
// library's own timeouts bound each read; this bounds the whole exchange, so
// a server that drips one byte at a time cannot hold the probe. False when
// the deadline passed first (the call is then unfinished: drop the
// connection).
template <typename Start, typename Cont>
bool Await(MYSQL* mysql, Clock::time_point deadline, Start start, Cont cont) {
  int status = start();
  while (status != 0) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    int wait_ms = static_cast<int>(left.count());
    if ((status & MYSQL_WAIT_TIMEOUT) != 0) {
      wait_ms = std::min<int>(wait_ms, static_cast<int>(mysql_get_timeout_value_ms(mysql)));
    }
    pollfd pfd{mysql_get_socket(mysql), 0, 0};
    if ((status & MYSQL_WAIT_READ) != 0) pfd.events |= POLLIN;
    if ((status & MYSQL_WAIT_WRITE) != 0) pfd.events |= POLLOUT;
    if ((status & MYSQL_WAIT_EXCEPT) != 0) pfd.events |= POLLPRI;
    const int ready = ::poll(&pfd, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    int events = 0;
    if (ready == 0) {
      if ((status & MYSQL_WAIT_TIMEOUT) == 0) continue;  // Only our deadline: re-check it.
      events = MYSQL_WAIT_TIMEOUT;
    } else {
      if ((pfd.revents & (POLLIN | POLLERR | POLLHUP)) != 0) events |= MYSQL_WAIT_READ;
      if ((pfd.revents & (POLLOUT | POLLERR | POLLHUP)) != 0) events |= MYSQL_WAIT_WRITE;
      if ((pfd.revents & POLLPRI) != 0) events |= MYSQL_WAIT_EXCEPT;
      events &= status;
      if (events == 0) events = status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
    }
    status = cont(events);
  }
  return true;
}

// Every row of `result` as column name -> value (NULL -> std::nullopt).
// Lengths come from the protocol, so values may hold any bytes.
std::vector<mysql::ColumnMap> ReadRows(MYSQL_RES* result) {
  std::vector<mysql::ColumnMap> rows;
  const unsigned num_fields = mysql_num_fields(result);
  const MYSQL_FIELD* fields = mysql_fetch_fields(result);
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    const unsigned long* lengths = mysql_fetch_lengths(result);
    mysql::ColumnMap& columns = rows.emplace_back();
    for (unsigned i = 0; i < num_fields; ++i) {
      std::string name(fields[i].name, fields[i].name_length);
      if (row[i] == nullptr) {
        columns.emplace(std::move(name), std::nullopt);
      } else {
        columns.emplace(std::move(name), std::string(row[i], lengths[i]));
      }
    }
  }
  return rows;
}

class MysqlProbe : public Probe {
 public:
  MysqlProbe(const Target& target, const Credentials& credentials, const ProbeOptions& options)
      : target_(target), credentials_(credentials), options_(options) {}

  Observation Collect() override {
    const Clock::time_point start = Clock::now();
    deadline_ = start + options_.timeout;
    Observation observation;
    try {
      CollectInto(observation);
    } catch (const std::exception& e) {
      // Only allocation failures can get here; keep the contract: no throw.
      Fail(observation, std::string("internal error: ") + e.what());
    } catch (...) {
      Fail(observation, "internal error");
    }
    observation.probe_duration_seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    return observation;
  }

 private:
  void CollectInto(Observation& observation) {
    const Clock::time_point start = Clock::now();
    const bool reused = connection_ != nullptr;
    std::string error;
    if (EnsureConnected(error) && RunCollectQuery(observation, error)) {
      observation.up = true;
      return;
    }
    // A kept connection the server closed in between (a restart, an idle
    // timeout) fails at once with 2006/2013 while the server is back: one
    // fresh connection, within the same budget, before calling it down. A
    // slow failure is a timeout and is not repeated.
    if (reused && ConnectionLost() && Clock::now() - start < options_.timeout / 2) {
      observation = Observation();
      connection_.reset();
      std::string retry_error;
      if (EnsureConnected(retry_error) && RunCollectQuery(observation, retry_error)) {
        observation.up = true;
        return;
      }
      error += "; reconnect: " + retry_error;
    }
    Fail(observation, error);
  }

  // The last error says the server went away (CR_SERVER_GONE_ERROR 2006,
  // CR_SERVER_LOST 2013).
  bool ConnectionLost() const {
    if (connection_ == nullptr) return false;
    const unsigned err = mysql_errno(connection_.get());
    return err == 2006 || err == 2013;
  }

  // Marks the observation down with nothing but the error, and drops the
  // connection: after a timeout the protocol state is unknown, so the next
  // Collect() starts from a fresh connection.
  void Fail(Observation& observation, std::string error) {
    observation = Observation();
    observation.error = std::move(error);
    connection_.reset();
  }

  // "<what> <host:port>: <client error> (errno N)". mysql_error() never holds
  // the password; the password itself is never formatted anywhere.
  std::string Describe(std::string_view what) const {
    std::string text(what);
    text += ' ';
    text += target_.Address();
    text += ": ";
    text += mysql_error(connection_.get());
    text += " (errno ";
    text += std::to_string(mysql_errno(connection_.get()));
    text += ')';
    return text;
  }

  bool EnsureConnected(std::string& error) {
    if (connection_ != nullptr) return true;
    return Connect(error) && DetectServer(error);
  }

  bool Connect(std::string& error) {
    connection_.reset(
        NewMysqlHandle(options_.timeout, options_.timeout, credentials_.tls.get()));
    if (connection_ == nullptr) {
      error = "mysql_init failed for " + target_.Address() + " (out of memory)";
      return false;
    }
    MYSQL* mysql = connection_.get();
    mysql_options(mysql, MYSQL_OPT_NONBLOCK, nullptr);

    MYSQL* connected = nullptr;
    const bool finished = Await(
        mysql, deadline_,
        [&] {
          return mysql_real_connect_start(&connected, mysql, target_.host.c_str(),
                                          credentials_.username.c_str(),
                                          credentials_.password.Reveal().c_str(), /*db=*/nullptr,
                                          static_cast<unsigned>(target_.port),
                                          /*unix_socket=*/nullptr, CLIENT_MULTI_STATEMENTS);
        },
        [&](int events) { return mysql_real_connect_cont(&connected, mysql, events); });
    if (!finished) return DeadlinePassed("connect to", error);
    if (connected == nullptr) {
      error = Describe("connect to");
      return false;
    }
    return true;
  }

  // Once per connection: which statement and variables this server speaks.
  bool DetectServer(std::string& error) {
    constexpr std::string_view kQuery = "SELECT @@global.version AS `version`";
    std::vector<std::vector<mysql::ColumnMap>> results;
    if (!Query(kQuery, "detect version of", results, error)) return false;
    if (results.size() != 1 || results[0].size() != 1) {
      error = "detect version of " + target_.Address() + ": unexpected result shape";
      return false;
    }
    const std::optional<std::string>& version = results[0][0]["version"];
    server_info_ = mysql::DetectServerInfo(version.value_or(""));
    collect_query_ = mysql::CollectQuery(server_info_);
    return true;
  }

  // The one round-trip per Collect(): globals row, then replica status rows.
  bool RunCollectQuery(Observation& observation, std::string& error) {
    std::vector<std::vector<mysql::ColumnMap>> results;
    if (!Query(collect_query_, "query", results, error)) return false;
    if (results.size() != 2 || results[0].size() != 1) {
      error = "query " + target_.Address() + ": unexpected result shape";
      return false;
    }
    mysql::ApplyGlobals(mysql::ParseGlobalsRow(results[0][0]), observation);
    for (const mysql::ColumnMap& row : results[1]) {
      ReplicationChannel& channel =
          observation.channels.emplace_back(mysql::ParseReplicaStatusRow(row));
      mysql::RedactSecret(credentials_.password.Reveal(), channel);
    }
    return true;
  }

  // Sends `query` (possibly several statements) and reads every result set,
  // so the connection is left in sync even when a later statement fails.
  bool Query(std::string_view query, std::string_view what,
             std::vector<std::vector<mysql::ColumnMap>>& results, std::string& error) {
    MYSQL* mysql = connection_.get();
    int rc = 0;
    if (!Await(
            mysql, deadline_,
            [&] { return mysql_real_query_start(&rc, mysql, query.data(), query.size()); },
            [&](int events) { return mysql_real_query_cont(&rc, mysql, events); })) {
      return DeadlinePassed(what, error);
    }
    if (rc != 0) {
      error = Describe(what);
      return false;
    }
    int status = 0;
    do {
      MYSQL_RES* stored = nullptr;
      if (!Await(
              mysql, deadline_, [&] { return mysql_store_result_start(&stored, mysql); },
              [&](int events) { return mysql_store_result_cont(&stored, mysql, events); })) {
        return DeadlinePassed(what, error);
      }
      Result result(stored);
      if (result != nullptr) {
        results.push_back(ReadRows(result.get()));
      } else if (mysql_field_count(mysql) != 0) {
        // A statement that should have had rows but the read failed.
        error = Describe(what);
        return false;
      }
      // 0: more, -1: done, >0: error.
      if (!Await(
              mysql, deadline_, [&] { return mysql_next_result_start(&status, mysql); },
              [&](int events) { return mysql_next_result_cont(&status, mysql, events); })) {
        return DeadlinePassed(what, error);
      }
    } while (status == 0);
    if (status > 0) {
      error = Describe(what);
      return false;
    }
    return true;
  }

  // The probe's deadline passed mid-call: the protocol state is unknown, so
  // the connection is cut (shutdown first: closing must not wait on it).
  bool DeadlinePassed(std::string_view what, std::string& error) {
    error = std::string(what) + " " + target_.Address() + ": no complete answer within " +
            std::to_string(options_.timeout.count()) + "ms (probe_timeout)";
    if (connection_ != nullptr) {
      const int fd = mysql_get_socket(connection_.get());
      if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    }
    connection_.reset();
    return false;
  }

  const Target target_;
  const Credentials credentials_;
  const ProbeOptions options_;
  Clock::time_point deadline_;  // Of the Collect() in progress.
  Connection connection_;
  mysql::ServerInfo server_info_;
  std::string collect_query_;
};

}  // namespace

std::unique_ptr<Probe> MakeMysqlProbe(const Target& target, const Credentials& credentials,
                                      const ProbeOptions& options) {
  return std::make_unique<MysqlProbe>(target, credentials, options);
}

}  // namespace dbtopo
