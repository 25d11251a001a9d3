// Native MySQL/MariaDB actions: switchover and fence.
//
// Admin connections log in with the cluster's `credentials` (the exporter's
// user). Besides what the probe needs, that user needs, on every member:
//   MariaDB >= 10.5: READ_ONLY ADMIN (SET GLOBAL read_only), REPLICATION
//     SLAVE ADMIN (STOP/START/RESET SLAVE, CHANGE MASTER, gtid_slave_pos),
//     RELOAD (RESET SLAVE), BINLOG MONITOR (gtid_binlog_pos); SUPER covers the
//     admin privileges before 10.5.
//   MySQL 8: SYSTEM_VARIABLES_ADMIN (read_only, super_read_only),
//     REPLICATION_SLAVE_ADMIN (CHANGE REPLICATION SOURCE, START/STOP/RESET
//     REPLICA); SUPER on 5.7.
// See docs/remediation.md.

#include <mysql.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "actions.h"
#include "mysql_sql.h"

namespace dbtopo::remediation {
namespace {

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

unsigned WholeSeconds(std::chrono::milliseconds timeout) {
  const auto s = std::chrono::ceil<std::chrono::seconds>(timeout).count();
  return s < 1 ? 1u : static_cast<unsigned>(s);
}

std::string Redact(std::string text, const std::vector<std::string>& secrets) {
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

  /// Connects with `read_timeout` for every later statement.
  bool Connect(std::chrono::milliseconds connect_timeout, std::chrono::milliseconds read_timeout,
               std::string* error) {
    InitLibraryOnce();
    mysql_ = mysql_init(nullptr);
    if (mysql_ == nullptr) {
      *error = "mysql_init failed (out of memory)";
      return false;
    }
    const unsigned connect_s = WholeSeconds(connect_timeout);
    const unsigned read_s = WholeSeconds(read_timeout);
    mysql_options(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
    mysql_options(mysql_, MYSQL_OPT_READ_TIMEOUT, &read_s);
    mysql_options(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &read_s);
    const bool reconnect = false;
    mysql_options(mysql_, MYSQL_OPT_RECONNECT, &reconnect);
    const unsigned protocol = MYSQL_PROTOCOL_TCP;
    mysql_options(mysql_, MYSQL_OPT_PROTOCOL, &protocol);
    const unsigned local_infile = 0;
    mysql_options(mysql_, MYSQL_OPT_LOCAL_INFILE, &local_infile);
    const Credentials none;
    const Credentials& c = access_.credentials ? *access_.credentials : none;
    if (mysql_real_connect(mysql_, access_.target.host.c_str(), c.username.c_str(),
                           c.password.Reveal().c_str(), nullptr,
                           static_cast<unsigned>(access_.target.port), nullptr, 0) == nullptr) {
      *error = Error("connect as admin");
      return false;
    }
    std::optional<std::string> version;
    if (!Value("SELECT @@GLOBAL.version", &version, error)) return false;
    dialect_ = DialectFromVersion(version.value_or(""));
    return true;
  }

  bool Exec(const std::string& sql, std::string* error) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
      *error = Error(Describe(sql));
      return false;
    }
    MYSQL_RES* result = mysql_store_result(mysql_);
    if (result != nullptr) mysql_free_result(result);
    return true;
  }

  /// First column of the first row (std::nullopt for NULL / no row).
  bool Value(const std::string& sql, std::optional<std::string>* value, std::string* error) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
      *error = Error(Describe(sql));
      return false;
    }
    MYSQL_RES* result = mysql_store_result(mysql_);
    if (result == nullptr) {
      *error = Error(Describe(sql));
      return false;
    }
    value->reset();
    if (MYSQL_ROW row = mysql_fetch_row(result); row != nullptr && row[0] != nullptr) {
      const unsigned long* lengths = mysql_fetch_lengths(result);
      *value = std::string(row[0], lengths[0]);
    }
    mysql_free_result(result);
    return true;
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

  std::string Error(const std::string& what) const {
    std::string text = what + " on " + access_.target.pod + " (" + access_.target.Address() +
                       "): " + mysql_error(mysql_) + " (errno " +
                       std::to_string(mysql_errno(mysql_)) + ")";
    return Redact(std::move(text), secrets_);
  }

  MemberAccess access_;
  std::vector<std::string> secrets_;
  MYSQL* mysql_ = nullptr;
  SqlDialect dialect_ = SqlDialect::kMysqlLegacy;
};

/// Opens an admin connection for one step: connect timeout = statement
/// timeout, read timeout = `read_timeout` (default: statement timeout).
std::unique_ptr<MysqlAdmin> Open(const MemberMap& members, const std::string& pod,
                                 const std::vector<std::string>& secrets, ActionContext& ctx,
                                 std::string* error,
                                 std::optional<std::chrono::milliseconds> read_timeout = {}) {
  auto it = members.find(pod);
  if (it == members.end()) {
    *error = "no discovered target for pod " + pod;
    return nullptr;
  }
  auto admin = std::make_unique<MysqlAdmin>(it->second, secrets);
  const auto timeout = ctx.options().statement_timeout;
  if (!admin->Connect(timeout, read_timeout.value_or(timeout), error)) return nullptr;
  return admin;
}

bool ExecAll(MysqlAdmin& admin, const std::vector<std::string>& sql, std::string* error) {
  for (const std::string& s : sql) {
    if (!admin.Exec(s, error)) return false;
  }
  return true;
}

bool IsOn(const std::optional<std::string>& v) { return v == "1" || v == "ON" || v == "on"; }

std::string Joined(const std::vector<std::string>& sql) {
  std::string out;
  for (const std::string& s : sql) out += (out.empty() ? "" : "; ") + s;
  return out;
}

}  // namespace

ActionOutcome MysqlSwitchover(const SwitchoverPlan& plan, const MemberMap& members,
                              const Credentials& replication, ActionContext& ctx) {
  const std::vector<std::string> secrets = {replication.password.Reveal()};
  const std::string& old = plan.old_primary;
  const std::string& cand = plan.candidate;
  const MemberAccess& cand_access = members.at(cand);
  SqlDialect dialect = SqlDialect::kMariaDb;
  ActionOutcome out;

  // 1. Preflight (read only): admin logins, and a candidate whose binary log
  // carries replicated events (the others continue from it by GTID).
  const bool preflight = ctx.Step("preflight", cand, StepKind::kRead, "", [&](std::string* detail) {
    std::string error;
    for (const auto& [pod, access] : members) {
      if (!Open(members, pod, secrets, ctx, &error)) {
        *detail = error;
        return false;
      }
    }
    auto admin = Open(members, cand, secrets, ctx, &error);
    if (!admin) {
      *detail = error;
      return false;
    }
    dialect = admin->dialect();
    std::optional<std::string> log_bin, log_updates, gtid_mode;
    if (!admin->Value(LogBinSql(), &log_bin, &error) ||
        !admin->Value(LogReplicaUpdatesSql(dialect), &log_updates, &error)) {
      *detail = error;
      return false;
    }
    if (!IsOn(log_bin) || !IsOn(log_updates)) {
      *detail =
          "candidate " + cand +
          " does not write replicated events to a binary log (log_bin=" + log_bin.value_or("NULL") +
          ", log_slave_updates=" + log_updates.value_or("NULL") +
          "): the other members could not continue from it";
      return false;
    }
    if (auto sql = GtidModeSql(dialect)) {
      for (const auto& [pod, access] : members) {
        auto m = Open(members, pod, secrets, ctx, &error);
        if (!m || !m->Value(*sql, &gtid_mode, &error)) {
          *detail = error;
          return false;
        }
        if (gtid_mode != "ON") {
          *detail = pod + " has gtid_mode=" + gtid_mode.value_or("NULL") + " (need ON)";
          return false;
        }
      }
    }
    if (!IsChannelName(plan.candidate_channel)) {
      *detail = "unsupported channel name on the candidate";
      return false;
    }
    for (const auto& [pod, channel] : plan.others) {
      if (!IsChannelName(channel)) {
        *detail = "unsupported channel name on " + pod;
        return false;
      }
    }
    *detail =
        "admin login works on every member; candidate has log_bin and "
        "log_slave_updates on";
    return true;
  });
  if (!preflight) {
    out.summary = ctx.failed_detail();
    return out;
  }

  std::string position;  // The old primary's executed GTIDs.
  bool promoted = plan.resume;
  bool read_only_set = false;
  auto undo = [&] {
    // Before promotion: give the old primary its writes back (Vitess PRS
    // "undo demote"); the candidate was not touched.
    if (!read_only_set || plan.old_primary_was_read_only) return;
    ctx.Step("undo_read_only", old, StepKind::kCleanup, "", [&](std::string* detail) {
      std::string error;
      auto admin = Open(members, old, secrets, ctx, &error);
      if (!admin || !ExecAll(*admin, ReadOnlyOffSql(admin->dialect()), &error)) {
        *detail = error;
        return false;
      }
      *detail = "old primary " + old + " accepts writes again";
      return true;
    });
  };

  if (!plan.resume) {
    // 2. Stop writes on the old primary.
    const auto ro_sql = ReadOnlyOnSql(dialect);
    if (!ctx.Step("set_read_only", old, StepKind::kChange,
                  "would run " + Joined(ro_sql) + " on " + old, [&](std::string* detail) {
                    std::string error;
                    auto admin = Open(members, old, secrets, ctx, &error,
                                      std::max(ctx.options().statement_timeout, ctx.Remaining()));
                    read_only_set = true;  // Even a timed-out SET may have applied.
                    if (!admin || !ExecAll(*admin, ReadOnlyOnSql(admin->dialect()), &error)) {
                      *detail = error;
                      return false;
                    }
                    *detail = Joined(ReadOnlyOnSql(admin->dialect()));
                    return true;
                  })) {
      undo();
      out.summary = ctx.failed_detail();
      out.recovery = plan.old_primary_was_read_only
                         ? "nothing was changed on the candidate; " + old + " was read-only before"
                         : "old primary " + old +
                               " may be read-only: check @@read_only and set "
                               "it to 0 if the undo step failed";
      return out;
    }
    // 3. Its executed GTID position, now final.
    if (!ctx.Step(
            "read_position", old, StepKind::kChange,
            "would read " + GtidPositionSql(dialect) + " on " + old, [&](std::string* detail) {
              std::string error;
              auto admin = Open(members, old, secrets, ctx, &error);
              std::optional<std::string> value;
              if (!admin || !admin->Value(GtidPositionSql(admin->dialect()), &value, &error)) {
                *detail = error;
                return false;
              }
              position = value.value_or("");
              if (!IsGtidText(position)) {
                *detail = "unexpected GTID position text from " + old;
                return false;
              }
              *detail = "executed GTID position " + position;
              return true;
            })) {
      undo();
      out.summary = ctx.failed_detail();
      out.recovery = "the candidate was not touched; " + old +
                     " is writable again unless undo_read_only failed";
      return out;
    }
    // 4. Wait until the candidate applied all of it.
    if (!ctx.Step("wait_catch_up", cand, StepKind::kChange,
                  "would wait until " + cand + " applied the old primary's GTID position",
                  [&](std::string* detail) {
                    std::string error;
                    const auto read_timeout =
                        std::chrono::milliseconds(1000) + ctx.options().statement_timeout;
                    auto admin = Open(members, cand, secrets, ctx, &error, read_timeout);
                    if (!admin) {
                      *detail = error;
                      return false;
                    }
                    while (true) {
                      const double wait_s = std::clamp(
                          std::chrono::duration<double>(ctx.Remaining()).count(), 0.001, 1.0);
                      std::optional<std::string> value;
                      if (!admin->Value(WaitGtidSql(admin->dialect(), position, wait_s), &value,
                                        &error)) {
                        *detail = error;
                        return false;
                      }
                      if (WaitGtidReached(value)) {
                        *detail = cand + " applied " + position;
                        return true;
                      }
                      if (!value.has_value()) {
                        *detail = "the wait for " + position + " on " + cand +
                                  " returned NULL (invalid position?)";
                        return false;
                      }
                      if (ctx.Expired()) {
                        std::optional<std::string> at;
                        std::string ignored;
                        admin->Value(GtidPositionSql(admin->dialect()), &at, &ignored);
                        *detail = "timeout: " + cand + " did not apply " + position +
                                  " within remediation.switchover.timeout (it is at " +
                                  at.value_or("?") + ")";
                        return false;
                      }
                    }
                  })) {
      undo();
      out.summary = ctx.failed_detail();
      out.recovery = "nothing was changed on " + cand + "; " + old +
                     " was made writable again (see undo_read_only); retry when " + cand +
                     " can catch up";
      return out;
    }
    // 5. Promote the candidate.
    const auto promote_sql = PromoteSql(dialect, plan.candidate_channel);
    if (!ctx.Step("promote", cand, StepKind::kChange,
                  "would run " + Joined(promote_sql) + " on " + cand, [&](std::string* detail) {
                    std::string error;
                    auto admin = Open(members, cand, secrets, ctx, &error);
                    const auto sql = admin ? PromoteSql(admin->dialect(), plan.candidate_channel)
                                           : std::vector<std::string>{};
                    if (!admin || !ExecAll(*admin, sql, &error)) {
                      *detail = error;
                      return false;
                    }
                    *detail = Joined(sql);
                    return true;
                  })) {
      out.summary = ctx.failed_detail();
      out.recovery = old + " is read-only and " + cand +
                     " may be half promoted (replication stopped): check SHOW SLAVE STATUS and "
                     "@@read_only on " +
                     cand +
                     "; either finish (RESET SLAVE ALL; SET GLOBAL "
                     "read_only=0 on " +
                     cand +
                     ", then POST the switchover again to re-point "
                     "the others) or undo (START SLAVE on " +
                     cand +
                     "; SET GLOBAL read_only=0 "
                     "on " +
                     old + ")";
      return out;
    }
    promoted = true;
  } else {
    // Resume: the candidate is already writable. Only re-point, and only if
    // it holds everything the old primary executed.
    if (!old.empty() &&
        !ctx.Step("check_position", cand, StepKind::kRead, "", [&](std::string* detail) {
          std::string error;
          auto old_admin = Open(members, old, secrets, ctx, &error);
          std::optional<std::string> value;
          if (!old_admin ||
              !old_admin->Value(GtidPositionSql(old_admin->dialect()), &value, &error)) {
            *detail = error;
            return false;
          }
          position = value.value_or("");
          if (!IsGtidText(position)) {
            *detail = "unexpected GTID position text from " + old;
            return false;
          }
          auto admin = Open(members, cand, secrets, ctx, &error);
          std::optional<std::string> contains;
          if (!admin ||
              !admin->Value(ContainsGtidSql(admin->dialect(), position), &contains, &error)) {
            *detail = error;
            return false;
          }
          if (contains != "1") {
            *detail = cand + " does not hold every transaction " + old + " executed (" + position +
                      "): finishing would lose them; needs a person";
            return false;
          }
          *detail = cand + " holds " + old + "'s executed GTIDs " + position;
          return true;
        })) {
      out.summary = ctx.failed_detail();
      return out;
    }
  }

  // 6. Re-point the old primary and the others at the candidate.
  std::vector<std::string> not_repointed;
  auto repoint = [&](const std::string& pod, const std::string& channel, bool was_primary) {
    const std::string plan_text = "would run " +
                                  DescribeRepoint(dialect, cand_access.target.host,
                                                  cand_access.target.port, replication.username) +
                                  " on " + pod;
    const bool ok =
        ctx.Step("repoint", pod, StepKind::kChange, plan_text, [&](std::string* detail) {
          std::string error;
          auto admin = Open(members, pod, secrets, ctx, &error);
          if (!admin) {
            *detail = error;
            return false;
          }
          const auto sql =
              RepointSql(admin->dialect(), channel, admin->Quote(cand_access.target.host),
                         cand_access.target.port, admin->Quote(replication.username),
                         admin->Quote(replication.password.Reveal()), was_primary);
          if (!ExecAll(*admin, sql, &error)) {
            *detail = error;
            return false;
          }
          *detail = DescribeRepoint(admin->dialect(), cand_access.target.host,
                                    cand_access.target.port, replication.username);
          return true;
        });
    if (!ok) not_repointed.push_back(pod);
  };
  if (!old.empty()) repoint(old, "", /*was_primary=*/true);
  for (const auto& [pod, channel] : plan.others) repoint(pod, channel, false);

  // 7. Verify on fresh reads.
  const bool verified = VerifySwitchoverStep(cand, ctx);
  out.ok = verified && not_repointed.empty() && ctx.failed_step().empty();
  if (out.ok) {
    out.summary = cand + " is the primary; " +
                  (old.empty() ? std::string("the others") : old + " and the others") +
                  " replicate from it";
    return out;
  }
  out.summary = ctx.failed_detail();
  std::string pending;
  for (const std::string& pod : not_repointed) pending += (pending.empty() ? "" : ", ") + pod;
  out.recovery = (promoted ? cand + " is the new primary (writable). " : "") +
                 (pending.empty() ? std::string("Every member was re-pointed; check the "
                                                "verify step for what did not converge. ")
                                  : "Not re-pointed: " + pending + ". ") +
                 "POST /api/v1/switchover again with candidate " + cand +
                 " to finish (it re-points whatever does not replicate from " + cand + ")";
  return out;
}

ActionOutcome MysqlFence(const FencePlan& plan, const MemberMap& members, ActionContext& ctx) {
  ActionOutcome out;
  std::vector<std::string> failed;
  for (const std::string& pod : plan.strays) {
    const bool ok =
        ctx.Step("set_read_only", pod, StepKind::kChange,
                 "would set read_only=1 (MySQL: super_read_only=1) on " + pod + " and nothing else",
                 [&](std::string* detail) {
                   std::string error;
                   auto admin = Open(members, pod, {}, ctx, &error);
                   if (!admin || !ExecAll(*admin, ReadOnlyOnSql(admin->dialect()), &error)) {
                     *detail = error;
                     return false;
                   }
                   *detail = Joined(ReadOnlyOnSql(admin->dialect()));
                   return true;
                 });
    if (!ok) failed.push_back(pod);
  }
  const bool verified = ctx.Step(
      "verify", "", StepKind::kChange, "would re-read the unit until no fenced pod accepts writes",
      [&](std::string* detail) {
        const std::string problem =
            ctx.WaitFor([&](const UnitView& unit) { return VerifyFence(unit, plan.strays); });
        *detail = problem.empty() ? "no fenced pod accepts writes" : "timeout: " + problem;
        return problem.empty();
      });
  out.ok = failed.empty() && verified;
  std::string list;
  for (const std::string& pod : plan.strays) list += (list.empty() ? "" : ", ") + pod;
  out.summary = out.ok ? "fenced " + list + " (read-only); legitimate primary " + plan.legit_primary
                       : ctx.failed_detail();
  if (!out.ok) {
    out.recovery = "set read_only=1 by hand on the pods that still accept writes (" + list +
                   "); the legitimate primary " + plan.legit_primary + " was not touched";
  }
  return out;
}

}  // namespace dbtopo::remediation
