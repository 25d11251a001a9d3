// Native MySQL/MariaDB switchover as named steps, in the order they run:
//   Preflight -> SetReadOnly -> ReadPosition -> WaitCatchUp -> Promote
//   (or, finishing a half-done switchover, CheckPosition) -> Repoint each
//   member -> Verify.
// A step that fails before the promotion undoes the read-only it set
// (UndoReadOnly); every failure says in `recovery` how a person finishes.
// The privileges the admin user needs are listed in mysql_actions.cc.

#include <algorithm>
#include <thread>

#include "mysql_admin.h"

namespace dbtopo::remediation {
namespace {

using mysql_admin::IsOn;
using mysql_admin::Joined;
using mysql_admin::MysqlAdmin;
using mysql_admin::Open;
using mysql_admin::OpenAndExec;

class MysqlSwitchoverSteps {
 public:
  MysqlSwitchoverSteps(const SwitchoverPlan& plan, const MemberMap& members,
                       const Credentials& replication, ActionContext& ctx)
      : plan_(plan),
        members_(members),
        replication_(replication),
        ctx_(ctx),
        secrets_{replication.password.Reveal()},
        old_(plan.old_primary),
        cand_(plan.candidate),
        cand_access_(members.at(plan.candidate)),
        promoted_(plan.resume) {}

  ActionOutcome Run() {
    if (!ctx_.Step("preflight", cand_, StepKind::kRead, "",
                   Bind(&MysqlSwitchoverSteps::Preflight))) {
      return Failed("");
    }
    if (plan_.resume) {
      // The candidate is already writable: only re-point, and only if it
      // holds everything the old primary executed.
      if (!old_.empty() && !ctx_.Step("check_position", cand_, StepKind::kRead, "",
                                      Bind(&MysqlSwitchoverSteps::CheckPosition))) {
        return Failed("");
      }
    } else if (auto failed = Demote()) {
      return *failed;
    } else if (!ctx_.Step("promote", cand_, StepKind::kChange,
                          "would run " + Joined(PromoteSql(dialect_, plan_.candidate_channel)) +
                              " on " + cand_,
                          Bind(&MysqlSwitchoverSteps::Promote))) {
      return Failed(HalfPromotedRecovery());
    } else {
      promoted_ = true;
    }
    if (!old_.empty()) Repoint(old_, "", /*was_primary=*/true);
    for (const auto& [pod, channel] : plan_.others) Repoint(pod, channel, false);
    return Verify();
  }

 private:
  using StepFn = bool (MysqlSwitchoverSteps::*)(std::string* detail);
  std::function<bool(std::string*)> Bind(StepFn step) {
    return [this, step](std::string* detail) { return (this->*step)(detail); };
  }

  ActionOutcome Failed(std::string recovery) {
    ActionOutcome out;
    out.summary = ctx_.failed_detail();
    out.recovery = std::move(recovery);
    return out;
  }

  // Steps 2-4 on the old primary and the candidate; a failure is undone and
  // returned.
  std::optional<ActionOutcome> Demote() {
    if (!ctx_.Step("set_read_only", old_, StepKind::kChange,
                   "would run " + Joined(ReadOnlyOnSql(dialect_)) + " on " + old_,
                   Bind(&MysqlSwitchoverSteps::SetReadOnly))) {
      UndoReadOnly();
      return Failed(plan_.old_primary_was_read_only
                        ? "nothing was changed on the candidate; " + old_ + " was read-only before"
                        : "old primary " + old_ +
                              " may be read-only: check @@read_only and set it to 0 if the undo "
                              "step failed");
    }
    if (!ctx_.Step("read_position", old_, StepKind::kChange,
                   "would read " + GtidPositionSql(dialect_) + " on " + old_,
                   Bind(&MysqlSwitchoverSteps::ReadPosition))) {
      UndoReadOnly();
      return Failed("the candidate was not touched; " + old_ +
                    " is writable again unless undo_read_only failed");
    }
    if (!ctx_.Step("wait_catch_up", cand_, StepKind::kChange,
                   "would wait until " + cand_ + " applied the old primary's GTID position",
                   Bind(&MysqlSwitchoverSteps::WaitCatchUp))) {
      UndoReadOnly();
      return Failed("nothing was changed on " + cand_ + "; " + old_ +
                    " was made writable again (see undo_read_only); retry when " + cand_ +
                    " can catch up");
    }
    return std::nullopt;
  }

  // 1. Read only: admin logins, and a candidate whose binary log carries
  // replicated events (the others continue from it by GTID).
  bool Preflight(std::string* detail) {
    for (const auto& [pod, access] : members_) {
      if (auto admin = Open(members_, pod, secrets_, ctx_); !admin) return Fail(detail, admin);
    }
    auto admin = Open(members_, cand_, secrets_, ctx_);
    if (!admin) return Fail(detail, admin);
    dialect_ = (*admin)->dialect();
    auto log_bin = (*admin)->Value(LogBinSql());
    if (!log_bin) return Fail(detail, log_bin);
    auto log_updates = (*admin)->Value(LogReplicaUpdatesSql(dialect_));
    if (!log_updates) return Fail(detail, log_updates);
    if (!IsOn(*log_bin) || !IsOn(*log_updates)) {
      return Fail(detail, "candidate " + cand_ +
                              " does not write replicated events to a binary log (log_bin=" +
                              log_bin->value_or("NULL") +
                              ", log_slave_updates=" + log_updates->value_or("NULL") +
                              "): the other members could not continue from it");
    }
    if (auto sql = GtidModeSql(dialect_)) {
      for (const auto& [pod, access] : members_) {
        auto m = Open(members_, pod, secrets_, ctx_);
        if (!m) return Fail(detail, m);
        auto gtid_mode = (*m)->Value(*sql);
        if (!gtid_mode) return Fail(detail, gtid_mode);
        if (*gtid_mode != "ON") {
          return Fail(detail, pod + " has gtid_mode=" + gtid_mode->value_or("NULL") + " (need ON)");
        }
      }
    }
    if (!IsChannelName(plan_.candidate_channel)) {
      return Fail(detail, "unsupported channel name on the candidate");
    }
    for (const auto& [pod, channel] : plan_.others) {
      if (!IsChannelName(channel)) return Fail(detail, "unsupported channel name on " + pod);
    }
    *detail = "admin login works on every member; candidate has log_bin and log_slave_updates on";
    return true;
  }

  // 2. Stop writes on the old primary.
  bool SetReadOnly(std::string* detail) {
    read_only_set_ = true;  // Even a timed-out SET may have applied.
    return Done(detail, OpenAndExec(
                            members_, old_, secrets_, ctx_,
                            [](MysqlAdmin& admin) { return ReadOnlyOnSql(admin.dialect()); },
                            std::max(ctx_.options().statement_timeout, ctx_.Remaining())));
  }

  // Before promotion: give the old primary its writes back (Vitess PRS "undo
  // demote"); the candidate was not touched.
  void UndoReadOnly() {
    if (!read_only_set_ || plan_.old_primary_was_read_only) return;
    ctx_.Step("undo_read_only", old_, StepKind::kCleanup, "", [&](std::string* detail) {
      auto done = OpenAndExec(members_, old_, secrets_, ctx_,
                              [](MysqlAdmin& admin) { return ReadOnlyOffSql(admin.dialect()); });
      if (!done) return Fail(detail, done);
      *detail = "old primary " + old_ + " accepts writes again";
      return true;
    });
  }

  // The executed GTID position of the old primary, checked to be GTID text.
  Result<std::string> OldPrimaryPosition() {
    auto admin = Open(members_, old_, secrets_, ctx_);
    if (!admin) return admin.error();
    auto value = (*admin)->Value(GtidPositionSql((*admin)->dialect()));
    if (!value) return value.error();
    if (!IsGtidText(value->value_or(""))) {
      return Error{"unexpected GTID position text from " + old_};
    }
    return **value;
  }

  // 3. The old primary's executed GTID position, now final.
  bool ReadPosition(std::string* detail) {
    auto position = OldPrimaryPosition();
    if (!position) return Fail(detail, position);
    position_ = *position;
    *detail = "executed GTID position " + position_;
    return true;
  }

  // 4. Wait until the candidate applied all of it.
  bool WaitCatchUp(std::string* detail) {
    const auto read_timeout = std::chrono::milliseconds(1000) + ctx_.options().statement_timeout;
    auto opened = Open(members_, cand_, secrets_, ctx_, read_timeout);
    if (!opened) return Fail(detail, opened);
    MysqlAdmin& admin = **opened;
    while (true) {
      const double wait_s =
          std::clamp(std::chrono::duration<double>(ctx_.Remaining()).count(), 0.001, 1.0);
      auto value = admin.Value(WaitGtidSql(admin.dialect(), position_, wait_s));
      if (!value) return Fail(detail, value);
      if (WaitGtidReached(*value)) {
        *detail = cand_ + " applied " + position_;
        return true;
      }
      if (!value->has_value()) {
        return Fail(detail, "the wait for " + position_ + " on " + cand_ +
                                " returned NULL (invalid position?)");
      }
      if (ctx_.Expired()) {
        auto at = admin.Value(GtidPositionSql(admin.dialect()));
        return Fail(detail, "timeout: " + cand_ + " did not apply " + position_ +
                                " within remediation.switchover.timeout (it is at " +
                                (at && at->has_value() ? **at : std::string("?")) + ")");
      }
    }
  }

  // 5. Promote the candidate.
  bool Promote(std::string* detail) {
    return Done(detail, OpenAndExec(members_, cand_, secrets_, ctx_, [&](MysqlAdmin& admin) {
                  return PromoteSql(admin.dialect(), plan_.candidate_channel);
                }));
  }

  std::string HalfPromotedRecovery() const {
    return old_ + " is read-only and " + cand_ +
           " may be half promoted (replication stopped): check SHOW SLAVE STATUS and "
           "@@read_only on " +
           cand_ + "; either finish (RESET SLAVE ALL; SET GLOBAL read_only=0 on " + cand_ +
           ", then POST the switchover again to re-point the others) or undo (START SLAVE on " +
           cand_ + "; SET GLOBAL read_only=0 on " + old_ + ")";
  }

  // 5'. Finishing a half-done switchover: the candidate holds every
  // transaction the old primary executed.
  bool CheckPosition(std::string* detail) {
    auto position = OldPrimaryPosition();
    if (!position) return Fail(detail, position);
    position_ = *position;
    auto admin = Open(members_, cand_, secrets_, ctx_);
    if (!admin) return Fail(detail, admin);
    auto contains = (*admin)->Value(ContainsGtidSql((*admin)->dialect(), position_));
    if (!contains) return Fail(detail, contains);
    if (*contains != "1") {
      return Fail(detail, cand_ + " does not hold every transaction " + old_ + " executed (" +
                              position_ + "): finishing would lose them; needs a person");
    }
    *detail = cand_ + " holds " + old_ + "'s executed GTIDs " + position_;
    return true;
  }

  // The candidate as the others' source. The link is encrypted when the
  // unit's replication user has `tls`: a server demoted from primary, or
  // promoted through RESET ... ALL, keeps no MASTER_SSL of its own, and a
  // source that requires secure transport would refuse it.
  NewSource Source() const {
    const Target& to = cand_access_.target;
    return {to.host, to.port, replication_.username, replication_.tls != nullptr};
  }

  // 6. Re-point one member (the old primary, or a replica on `channel`) at
  // the candidate.
  void Repoint(const std::string& pod, const std::string& channel, bool was_primary) {
    const NewSource source = Source();
    const std::string plan_text = "would run " + DescribeRepoint(dialect_, source) + " on " + pod;
    const bool ok =
        ctx_.Step("repoint", pod, StepKind::kChange, plan_text, [&](std::string* detail) {
          SqlDialect dialect = dialect_;
          auto done = OpenAndExec(members_, pod, secrets_, ctx_, [&](MysqlAdmin& admin) {
            dialect = admin.dialect();
            const NewSource literals = {admin.Quote(source.host), source.port,
                                        admin.Quote(source.user), source.tls};
            return RepointSql(admin.dialect(), channel, literals,
                              admin.Quote(replication_.password.Reveal()), was_primary);
          });
          if (!done) return Fail(detail, done);
          *detail = DescribeRepoint(dialect, source);
          return true;
        });
    if (!ok) not_repointed_.push_back(pod);
  }

  // 7. Verify on fresh reads.
  ActionOutcome Verify() {
    const bool verified = VerifySwitchoverStep(cand_, ctx_);
    ActionOutcome out;
    out.ok = verified && not_repointed_.empty() && ctx_.failed_step().empty();
    if (out.ok) {
      out.summary = cand_ + " is the primary; " +
                    (old_.empty() ? std::string("the others") : old_ + " and the others") +
                    " replicate from it";
      return out;
    }
    out.summary = ctx_.failed_detail();
    std::string pending;
    for (const std::string& pod : not_repointed_) pending += (pending.empty() ? "" : ", ") + pod;
    out.recovery = (promoted_ ? cand_ + " is the new primary (writable). " : "") +
                   (pending.empty() ? std::string("Every member was re-pointed; check the "
                                                  "verify step for what did not converge. ")
                                    : "Not re-pointed: " + pending + ". ") +
                   "POST /api/v1/switchover again with candidate " + cand_ +
                   " to finish (it re-points whatever does not replicate from " + cand_ + ")";
    return out;
  }

  static bool Fail(std::string* detail, std::string why) {
    *detail = std::move(why);
    return false;
  }
  template <typename T>
  static bool Fail(std::string* detail, const Result<T>& failed) {
    return Fail(detail, failed.error().message);
  }
  // A step that ran statements: they are its detail, or the error is.
  static bool Done(std::string* detail, const Result<std::vector<std::string>>& ran) {
    if (!ran) return Fail(detail, ran);
    *detail = Joined(*ran);
    return true;
  }

  const SwitchoverPlan& plan_;
  const MemberMap& members_;
  const Credentials& replication_;
  ActionContext& ctx_;
  const std::vector<std::string> secrets_;
  const std::string& old_;
  const std::string& cand_;
  const MemberAccess& cand_access_;
  SqlDialect dialect_ = SqlDialect::kMariaDb;  // The candidate's, from Preflight.
  std::string position_;                       // The old primary's executed GTIDs.
  bool promoted_;
  bool read_only_set_ = false;
  std::vector<std::string> not_repointed_;
};

}  // namespace

ActionOutcome MysqlSwitchover(const SwitchoverPlan& plan, const MemberMap& members,
                              const Credentials& replication, ActionContext& ctx) {
  return MysqlSwitchoverSteps(plan, members, replication, ctx).Run();
}

}  // namespace dbtopo::remediation
