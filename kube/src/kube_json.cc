#include "dbtopo/kube/kube_json.h"

namespace dbtopo::kube {

std::string KubeApiError(int status, const std::string& body, const std::string& transport_error) {
  if (status == 0) return "no response: " + transport_error;
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string message = StringAt(parsed, {"message"});
  if (message.empty()) message = body.substr(0, 300);
  return "HTTP " + std::to_string(status) + ": " + message;
}

std::string StringAt(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* at = &j;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return "";
    at = &(*at)[key];
  }
  return at->is_string() ? at->get<std::string>() : "";
}

std::string LastConditionMessage(const nlohmann::json& ops) {
  if (!ops.is_object() || !ops.contains("status")) return "";
  const nlohmann::json& status = ops["status"];
  if (!status.is_object() || !status.contains("conditions")) return "";
  const nlohmann::json& conditions = status["conditions"];
  if (!conditions.is_array() || conditions.empty()) return "";
  const nlohmann::json& c = conditions.back();
  return StringAt(c, {"reason"}) + ": " + StringAt(c, {"message"});
}

}  // namespace dbtopo::kube
