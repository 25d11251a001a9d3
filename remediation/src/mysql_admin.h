#pragma once

// Admin connections for the native MySQL/MariaDB actions (switchover in
// mysql_switchover.cc, fence in mysql_actions.cc).

#include <mysql.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actions.h"
#include "dbtopo/collectors/mysql_connection.h"
#include "mysql_sql.h"

namespace dbtopo::remediation::mysql_admin {

inline std::string Redact(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + 8)) {
      text.replace(at, secret.size(), "<secret>");
    }
  }
  return text;
}

/// One admin connection to one member. Errors name the pod and address and
/// never contain a password (server texts are redacted).
class MysqlAdmin {
 public:
  MysqlAdmin(const MemberAccess& access, std::vector<std::string> secrets)
      : access_(access), secrets_(std::move(secrets)) {
    secrets_.push_back(access.credentials ? access.credentials->password.Reveal() : "");
  }
  ~MysqlAdmin() {
    if (mysql_ != nullptr) mysql_close(mysql_);
  }
  MysqlAdmin(const MysqlAdmin&) = delete;
  MysqlAdmin& operator=(const MysqlAdmin&) = delete;

  /// Connects with `read_timeout` for every later statement and reads the
  /// server's version (for the SQL dialect).
  Status Connect(std::chrono::milliseconds connect_timeout,
                 std::chrono::milliseconds read_timeout) {
    const Credentials none;
    const Credentials& c = access_.credentials ? *access_.credentials : none;
    mysql_ = NewMysqlHandle(connect_timeout, read_timeout, c.tls.get());
    if (mysql_ == nullptr) return Error{"mysql_init failed (out of memory)"};
    if (mysql_real_connect(mysql_, access_.target.host.c_str(), c.username.c_str(),
                           c.password.Reveal().c_str(), nullptr,
                           static_cast<unsigned>(access_.target.port), nullptr, 0) == nullptr) {
      return ServerError("connect as admin");
    }
    auto version = Value("SELECT @@GLOBAL.version");
    if (!version) return version.error();
    dialect_ = DialectFromVersion(version->value_or(""));
    return {};
  }

  /// Runs one statement; a result set, if any, is discarded.
  Status Exec(const std::string& sql) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return ServerError(Describe(sql));
    MYSQL_RES* result = mysql_store_result(mysql_);
    if (result != nullptr) mysql_free_result(result);
    return {};
  }

  /// First column of the first row (std::nullopt for NULL / no row).
  Result<std::optional<std::string>> Value(const std::string& sql) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return ServerError(Describe(sql));
    MYSQL_RES* result = mysql_store_result(mysql_);
    if (result == nullptr) return ServerError(Describe(sql));
    std::optional<std::string> value;
    if (MYSQL_ROW row = mysql_fetch_row(result); row != nullptr && row[0] != nullptr) {
      const unsigned long* lengths = mysql_fetch_lengths(result);
      value = std::string(row[0], lengths[0]);
    }
    mysql_free_result(result);
    return value;
  }

  /// `s` escaped for a single-quoted literal on this connection.
  std::string Quote(const std::string& s) {
    std::string out(s.size() * 2 + 1, '\0');
    const unsigned long n = mysql_real_escape_string(mysql_, out.data(), s.data(), s.size());
    out.resize(n);
    return out;
  }

  SqlDialect dialect() const { return dialect_; }

 private:
  // Statements are named by their first words only: a CHANGE MASTER carries
  // the replication password.
  static std::string Describe(const std::string& sql) {
    const std::size_t cut = std::min<std::size_t>(sql.find(" TO "), 60);
    return sql.substr(0, cut);
  }

  dbtopo::Error ServerError(const std::string& what) const {
    std::string text = what + " on " + access_.target.pod + " (" + access_.target.Address() +
                       "): " + mysql_error(mysql_) + " (errno " +
                       std::to_string(mysql_errno(mysql_)) + ")";
    return dbtopo::Error{Redact(std::move(text), secrets_)};
  }

  MemberAccess access_;
  std::vector<std::string> secrets_;
  MYSQL* mysql_ = nullptr;
  SqlDialect dialect_ = SqlDialect::kMysqlLegacy;
};

/// Opens an admin connection for one step: connect timeout = statement
/// timeout, read timeout = `read_timeout` (default: statement timeout).
inline Result<std::unique_ptr<MysqlAdmin>> Open(
    const MemberMap& members, const std::string& pod, const std::vector<std::string>& secrets,
    ActionContext& ctx, std::optional<std::chrono::milliseconds> read_timeout = {}) {
  auto it = members.find(pod);
  if (it == members.end()) return Error{"no discovered target for pod " + pod};
  auto admin = std::make_unique<MysqlAdmin>(it->second, secrets);
  const auto timeout = ctx.options().statement_timeout;
  if (Status connected = admin->Connect(timeout, read_timeout.value_or(timeout)); !connected) {
    return connected.error();
  }
  return admin;
}

/// Runs `sql` in order; stops at the first statement that fails.
inline Status ExecAll(MysqlAdmin& admin, const std::vector<std::string>& sql) {
  for (const std::string& s : sql) {
    if (Status done = admin.Exec(s); !done) return done;
  }
  return {};
}

/// Opens `pod` and runs the statements `sql(dialect)` gives for its server;
/// the statements that ran, or the first error.
template <typename SqlFor>
Result<std::vector<std::string>> OpenAndExec(
    const MemberMap& members, const std::string& pod, const std::vector<std::string>& secrets,
    ActionContext& ctx, SqlFor sql, std::optional<std::chrono::milliseconds> read_timeout = {}) {
  auto admin = Open(members, pod, secrets, ctx, read_timeout);
  if (!admin) return admin.error();
  std::vector<std::string> statements = sql(**admin);
  if (Status done = ExecAll(**admin, statements); !done) return done.error();
  return statements;
}

inline bool IsOn(const std::optional<std::string>& v) { return v == "1" || v == "ON" || v == "on"; }

inline std::string Joined(const std::vector<std::string>& sql) {
  std::string out;
  for (const std::string& s : sql) out += (out.empty() ? "" : "; ") + s;
  return out;
}

}  // namespace dbtopo::remediation::mysql_admin
