#include "remediation_api.h"

#include <nlohmann/json.hpp>

#include "remediation_requests.h"

namespace dbtopo {
namespace {

// Server texts may hold invalid UTF-8: replace, never throw.
std::string Dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ErrorJson(const std::string& message) { return Dump({{"error", message}}); }

nlohmann::json AlertDecisionJson(const AlertDecision& d) {
  nlohmann::json json = {{"alertname", d.alertname}, {"status", d.status},
                         {"namespace", d.ns},        {"db_cluster", d.db_cluster},
                         {"component", d.component}, {"pod", d.pod},
                         {"decision", d.decision},   {"reason", d.reason}};
  if (!d.action.empty()) json["action"] = d.action;
  if (d.record) json["record"] = RemediationRecordJson(*d.record);
  return json;
}

}  // namespace

int HttpStatusOf(RemediationCode code) {
  switch (code) {
    case RemediationCode::kOk:
      return 200;
    case RemediationCode::kBadRequest:
      return 400;
    case RemediationCode::kNotFound:
      return 404;
    case RemediationCode::kBusy:
      return 409;
    case RemediationCode::kRefused:
      return 422;
    case RemediationCode::kCoolingDown:
      return 429;
    case RemediationCode::kFailed:
      return 500;
    case RemediationCode::kUnavailable:
      return 503;
  }
  return 500;
}

HttpReply RemediationApi::Switchover(std::string_view authorization, std::string_view body) {
  if (auto denied = CheckToken(authorization, "/api/v1/switchover")) return *denied;
  if (auto follower = CheckLeader("/api/v1/switchover")) return *follower;
  auto parsed = ParseSwitchoverRequest(body);
  if (!parsed) return {400, ErrorJson(parsed.error().message)};
  const RemediationRecord record = remediator_->Switchover(*parsed, "api");
  return {HttpStatusOf(record.code), Dump(RemediationRecordJson(record))};
}

HttpReply RemediationApi::Alerts(std::string_view authorization, std::string_view body) {
  if (auto denied = CheckToken(authorization, "/api/v1/alerts")) return *denied;
  if (auto follower = CheckLeader("/api/v1/alerts")) return *follower;
  auto parsed = ParseAlertmanagerPayload(body);
  if (!parsed) return {400, ErrorJson(parsed.error().message)};
  nlohmann::json out = nlohmann::json::array();
  for (const AlertDecision& d : remediator_->OnAlerts(*parsed)) {
    out.push_back(AlertDecisionJson(d));
  }
  return {200, Dump({{"alerts", out}})};
}

std::optional<HttpReply> RemediationApi::CheckToken(std::string_view authorization,
                                                    const char* path) const {
  const Secret& token = remediator_->config().token;
  if (BearerTokenMatches(authorization, token)) return std::nullopt;
  const std::string why = token.empty()
                              ? "remediation.token_file is not configured: every POST is refused"
                          : authorization.empty() ? "missing Authorization: Bearer <token> header"
                                                  : "wrong or malformed bearer token";
  log::To(log_, log::Level::kWarn, "remediation request rejected",
          {{"path", path}, {"status", "401"}, {"reason", why}});
  return HttpReply{401, ErrorJson(why)};
}

// A follower answers 503 naming the holder, so the caller can retry there.
std::optional<HttpReply> RemediationApi::CheckLeader(const char* path) const {
  const Leadership l = remediator_->CurrentLeadership();
  if (l.leader) return std::nullopt;
  log::To(log_, log::Level::kInfo, "remediation request refused: not the leader",
          {{"path", path}, {"status", "503"}, {"holder", l.holder}, {"lease", l.lease}});
  return HttpReply{503, Dump({{"error", NotLeaderReason(l)},
                              {"holder", l.holder},
                              {"lease", l.lease},
                              {"identity", l.identity}})};
}

}  // namespace dbtopo
