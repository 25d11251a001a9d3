#include <map>

#include "dbtopo/remediation/status.h"

namespace dbtopo {

nlohmann::json RemediationRecordJson(const RemediationRecord& r) {
  nlohmann::json steps = nlohmann::json::array();
  for (const RemediationStep& s : r.steps) {
    steps.push_back({{"name", s.name},
                     {"pod", s.pod},
                     {"status", s.status},
                     {"detail", s.detail},
                     {"duration_seconds", s.duration_seconds}});
  }
  return {{"id", r.id},
          {"started_unix", r.started_unix},
          {"duration_seconds", r.duration_seconds},
          {"namespace", r.unit.ns},
          {"db_cluster", r.unit.db_cluster},
          {"component", r.unit.component},
          {"action", r.action},
          {"method", r.method},
          {"trigger", r.trigger},
          {"result", r.result},
          {"reason", r.reason},
          {"old_primary", r.old_primary},
          {"candidate", r.candidate},
          {"fenced", r.fenced},
          {"failed_step", r.failed_step},
          {"recovery", r.recovery},
          {"steps", steps}};
}

nlohmann::json RemediationStatusJson(const RemediationStatus& status) {
  nlohmann::json in_flight = nlohmann::json::array();
  for (const auto& [unit, action] : status.in_flight) {
    in_flight.push_back({{"namespace", unit.ns},
                         {"db_cluster", unit.db_cluster},
                         {"component", unit.component},
                         {"action", action}});
  }
  nlohmann::json totals = nlohmann::json::array();
  for (const auto& [key, count] : status.actions_total) {
    totals.push_back({{"action", key.first}, {"result", key.second}, {"count", count}});
  }
  std::map<UnitId, nlohmann::json> by_unit;
  for (const RemediationRecord& r : status.recent) {
    nlohmann::json& actions = by_unit[r.unit];
    if (actions.is_null()) actions = nlohmann::json::array();
    actions.push_back(RemediationRecordJson(r));
  }
  nlohmann::json units = nlohmann::json::array();
  for (auto& [unit, actions] : by_unit) {
    units.push_back({{"namespace", unit.ns},
                     {"db_cluster", unit.db_cluster},
                     {"component", unit.component},
                     {"last_actions", std::move(actions)}});
  }
  nlohmann::json held_back = nlohmann::json::array();
  for (const HeldBackAction& h : status.held_back) {
    held_back.push_back(
        {{"namespace", h.unit.ns},
         {"db_cluster", h.unit.db_cluster},
         {"component", h.unit.component},
         {"action", h.action},
         {"trigger", h.trigger},
         {"reason", h.reason},
         {"since_unix", h.since_unix},
         {"blocked_until", h.blocked_until_unix > 0 ? nlohmann::json(h.blocked_until_unix)
                                                    : nlohmann::json(nullptr)}});
  }
  return {{"enabled", status.enabled},
          {"dry_run", !status.enabled},
          {"fence_stray_primaries", status.fence_stray_primaries},
          {"switchover_action", status.switchover_action},
          {"in_flight", in_flight},
          {"actions_total", totals},
          {"units", units},
          {"held_back", held_back},
          {"leader",
           {{"elected", status.leadership.elected},
            {"is_leader", status.leadership.leader},
            {"holder", status.leadership.holder},
            {"lease", status.leadership.lease},
            {"identity", status.leadership.identity}}}};
}

}  // namespace dbtopo
