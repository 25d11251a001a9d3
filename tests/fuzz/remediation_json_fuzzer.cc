// libFuzzer: request and answer bodies of remediation -> the Alertmanager
// webhook payload, the switchover request, and the Kubernetes API answers the
// kubeblocks action reads (Status message, metadata.name, status.phase,
// last condition). Seeds are real Alertmanager v4 payloads, switchover
// requests and OpsRequest objects. Must not crash, hang or leak.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "kube_json.h"
#include "policy.h"
#include "switchover_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)dbtopo::remediation::ParseAlertmanagerPayload(text);
  (void)dbtopo::remediation::ParseSwitchoverRequest(text);
  (void)dbtopo::remediation::KubeApiError(422, text, "");
  const nlohmann::json ops = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  (void)dbtopo::remediation::StringAt(ops, {"metadata", "name"});
  (void)dbtopo::remediation::StringAt(ops, {"status", "phase"});
  (void)dbtopo::remediation::LastConditionMessage(ops);
  return 0;
}
