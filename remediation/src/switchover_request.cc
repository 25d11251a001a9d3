#include "switchover_request.h"

#include <nlohmann/json.hpp>
#include <set>

namespace dbtopo::remediation {
namespace {

bool OptionalString(const nlohmann::json& body, const char* key, std::string* out, bool* set,
                    std::string* error) {
  if (!body.contains(key)) return true;
  if (!body[key].is_string()) {
    *error = std::string("\"") + key + "\" must be a string";
    return false;
  }
  *out = body[key].get<std::string>();
  if (set != nullptr) *set = true;
  return true;
}

}  // namespace

std::variant<SwitchoverRequest, std::string> ParseSwitchoverRequest(std::string_view body_text) {
  const nlohmann::json body = nlohmann::json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return "body must be a JSON object {\"db_cluster\", \"candidate\"}";
  }
  static const std::set<std::string> kKeys = {"db_cluster", "candidate", "namespace", "component",
                                              "dry_run"};
  for (const auto& [key, value] : body.items()) {
    if (!kKeys.contains(key)) {
      return "unknown key \"" + key +
             "\" (want db_cluster, candidate, namespace, component, dry_run)";
    }
  }
  SwitchoverRequest request;
  std::string error;
  if (!OptionalString(body, "db_cluster", &request.db_cluster, nullptr, &error) ||
      !OptionalString(body, "candidate", &request.candidate, nullptr, &error) ||
      !OptionalString(body, "namespace", &request.ns, &request.ns_set, &error) ||
      !OptionalString(body, "component", &request.component, &request.component_set, &error)) {
    return error;
  }
  if (body.contains("dry_run")) {
    if (!body["dry_run"].is_boolean()) return std::string("\"dry_run\" must be a boolean");
    request.dry_run = body["dry_run"].get<bool>();
  }
  if (request.db_cluster.empty()) return std::string("\"db_cluster\" is required");
  if (request.candidate.empty()) return std::string("\"candidate\" is required");
  return request;
}

}  // namespace dbtopo::remediation
