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

#include "mysql_admin.h"

namespace dbtopo::remediation {

using mysql_admin::Joined;

ActionOutcome MysqlFence(const FencePlan& plan, const MemberMap& members, ActionContext& ctx) {
  ActionOutcome out;
  std::vector<std::string> failed;
  for (const std::string& pod : plan.strays) {
    const bool ok = ctx.Step(
        "set_read_only", pod, StepKind::kChange,
        "would set read_only=1 (MySQL: super_read_only=1) on " + pod + " and nothing else",
        [&](std::string* detail) {
          auto ran = mysql_admin::OpenAndExec(
              members, pod, {}, ctx,
              [](mysql_admin::MysqlAdmin& admin) { return ReadOnlyOnSql(admin.dialect()); });
          *detail = ran ? Joined(*ran) : ran.error().message;
          return ran.ok();
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
