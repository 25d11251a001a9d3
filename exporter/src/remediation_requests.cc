#include "remediation_requests.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <nlohmann/json.hpp>
#include <set>

#include "dbtopo/base/strings.h"

namespace dbtopo {
namespace {

void Sha256(std::string_view data, unsigned char out[SHA256_DIGEST_LENGTH]) {
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
}

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

Result<SwitchoverRequest> ParseSwitchoverRequest(std::string_view body_text) {
  const nlohmann::json body = nlohmann::json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return Error{"body must be a JSON object {\"db_cluster\", \"candidate\"}"};
  }
  static const std::set<std::string> kKeys = {"db_cluster", "candidate", "namespace", "component",
                                              "dry_run"};
  for (const auto& [key, value] : body.items()) {
    if (!kKeys.contains(key)) {
      return Error{"unknown key \"" + key +
                   "\" (want db_cluster, candidate, namespace, component, dry_run)"};
    }
  }
  SwitchoverRequest request;
  std::string error;
  if (!OptionalString(body, "db_cluster", &request.db_cluster, nullptr, &error) ||
      !OptionalString(body, "candidate", &request.candidate, nullptr, &error) ||
      !OptionalString(body, "namespace", &request.ns, &request.ns_set, &error) ||
      !OptionalString(body, "component", &request.component, &request.component_set, &error)) {
    return Error{error};
  }
  if (body.contains("dry_run")) {
    if (!body["dry_run"].is_boolean()) return Error{"\"dry_run\" must be a boolean"};
    request.dry_run = body["dry_run"].get<bool>();
  }
  if (request.db_cluster.empty()) return Error{"\"db_cluster\" is required"};
  if (request.candidate.empty()) return Error{"\"candidate\" is required"};
  return request;
}

bool BearerTokenMatches(std::string_view authorization, const Secret& expected) {
  if (expected.empty()) return false;
  std::string_view header = Trim(authorization);
  const std::size_t space = header.find(' ');
  if (space == std::string_view::npos) return false;
  if (!EqualsIgnoreCase(header.substr(0, space), "bearer")) return false;
  const std::string_view token = Trim(header.substr(space + 1));
  unsigned char got[SHA256_DIGEST_LENGTH];
  unsigned char want[SHA256_DIGEST_LENGTH];
  Sha256(token, got);
  Sha256(expected.Reveal(), want);
  return CRYPTO_memcmp(got, want, SHA256_DIGEST_LENGTH) == 0;
}

Result<std::vector<Alert>> ParseAlertmanagerPayload(std::string_view body) {
  const nlohmann::json root = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Error{"body is not JSON"};
  if (!root.is_object()) return Error{"body is not a JSON object"};
  if (root.contains("version") && root["version"].is_string() && root["version"] != "4") {
    return Error{"unsupported Alertmanager webhook version \"" +
                 root["version"].get<std::string>() + "\" (want 4)"};
  }
  if (!root.contains("alerts") || !root["alerts"].is_array()) {
    return Error{"\"alerts\" must be an array"};
  }
  std::vector<Alert> alerts;
  for (const nlohmann::json& a : root["alerts"]) {
    if (!a.is_object()) return Error{"every alert must be an object"};
    Alert alert;
    if (a.contains("status") && a["status"].is_string()) {
      alert.status = a["status"].get<std::string>();
    } else if (root.contains("status") && root["status"].is_string()) {
      alert.status = root["status"].get<std::string>();
    }
    if (a.contains("labels")) {
      if (!a["labels"].is_object()) return Error{"alert labels must be an object"};
      for (const auto& [k, v] : a["labels"].items()) {
        if (v.is_string()) alert.labels[k] = v.get<std::string>();
      }
    }
    alerts.push_back(std::move(alert));
  }
  return alerts;
}

}  // namespace dbtopo
