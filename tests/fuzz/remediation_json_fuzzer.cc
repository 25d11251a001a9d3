// libFuzzer: request and answer bodies of remediation -> the Alertmanager
// webhook payload, the switchover request, and the Kubernetes API answers the
// kubeblocks action reads (Status message, metadata.name, status.phase,
// last condition), and the Leases leader election reads. Seeds are real Alertmanager v4 payloads,
// switchover requests and OpsRequest objects. Must not crash, hang or leak.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "dbtopo/kube/kube_json.h"
#include "lease_record.h"
#include "policy.h"
#include "remediation_requests.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)dbtopo::ParseAlertmanagerPayload(text);
  (void)dbtopo::ParseSwitchoverRequest(text);
  (void)dbtopo::kube::KubeApiError(422, text, "");
  const nlohmann::json ops = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  (void)dbtopo::kube::StringAt(ops, {"metadata", "name"});
  (void)dbtopo::kube::StringAt(ops, {"status", "phase"});
  (void)dbtopo::kube::LastConditionMessage(ops);
  // A Lease read back after it was written must be the same record.
  auto lease = dbtopo::ParseLease(text);
  if (lease.ok()) {
    const dbtopo::LeaseRecord& record = *lease;
    (void)dbtopo::DecideLeaseStep(record, "exporter-0", false);
    const auto again = dbtopo::ParseLease(dbtopo::LeaseJson("ns", "l", record));
    if (!again.ok() || !again->SameRecord(record)) __builtin_trap();
  }
  return 0;
}
