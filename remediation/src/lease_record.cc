#include "lease_record.h"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace dbtopo {
namespace {

using nlohmann::json;

// Reads spec[key] into *out when present; false (with *error) on a wrong type.
bool ReadString(const json& object, const char* key, const std::string& where, std::string* out,
                std::string* error) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return true;
  if (!it->is_string()) {
    *error = where + key + ": not a string";
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

bool ReadInt(const json& object, const char* key, std::string* error, int* out) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return true;
  if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() > 1 << 30) {
    *error = std::string("spec.") + key + ": not a non-negative integer";
    return false;
  }
  *out = it->get<int>();
  return true;
}

}  // namespace

Result<LeaseRecord> ParseLease(std::string_view text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error{"not JSON"};
  if (!doc.is_object()) return Error{"not a JSON object"};
  LeaseRecord record;
  std::string error;
  const json empty = json::object();
  const json& metadata = doc.contains("metadata") ? doc["metadata"] : empty;
  const json& spec = doc.contains("spec") ? doc["spec"] : empty;
  if (!metadata.is_object()) return Error{"metadata: not an object"};
  if (!spec.is_object()) return Error{"spec: not an object"};
  if (!ReadString(metadata, "resourceVersion", "metadata.", &record.resource_version, &error) ||
      !ReadString(spec, "holderIdentity", "spec.", &record.holder, &error) ||
      !ReadString(spec, "acquireTime", "spec.", &record.acquire_time, &error) ||
      !ReadString(spec, "renewTime", "spec.", &record.renew_time, &error) ||
      !ReadInt(spec, "leaseDurationSeconds", &error, &record.lease_duration_seconds) ||
      !ReadInt(spec, "leaseTransitions", &error, &record.transitions)) {
    return Error{error};
  }
  return record;
}

std::string LeaseJson(const std::string& ns, const std::string& name, const LeaseRecord& record) {
  json metadata = {{"name", name}, {"namespace", ns}};
  if (!record.resource_version.empty()) metadata["resourceVersion"] = record.resource_version;
  json spec = {{"holderIdentity", record.holder},
               {"leaseDurationSeconds", record.lease_duration_seconds},
               {"leaseTransitions", record.transitions}};
  if (!record.acquire_time.empty()) spec["acquireTime"] = record.acquire_time;
  if (!record.renew_time.empty()) spec["renewTime"] = record.renew_time;
  return json{{"apiVersion", "coordination.k8s.io/v1"},
              {"kind", "Lease"},
              {"metadata", metadata},
              {"spec", spec}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string FormatMicroTime(std::chrono::system_clock::time_point t) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros % 1'000'000));
  return std::string(text, n) + fraction;
}

LeaseStep DecideLeaseStep(const std::optional<LeaseRecord>& current, const std::string& identity,
                          bool expired) {
  if (!current) return LeaseStep::kCreate;
  if (current->holder == identity) return LeaseStep::kRenew;
  if (current->holder.empty() || expired) return LeaseStep::kTakeOver;
  return LeaseStep::kFollow;
}

LeaseRecord NextLeaseRecord(const std::optional<LeaseRecord>& current, LeaseStep step,
                            const std::string& identity, int lease_duration_seconds,
                            const std::string& now) {
  LeaseRecord next;
  next.holder = identity;
  next.lease_duration_seconds = lease_duration_seconds;
  next.renew_time = now;
  if (current) next.resource_version = current->resource_version;
  if (step == LeaseStep::kRenew && current) {
    next.acquire_time = current->acquire_time.empty() ? now : current->acquire_time;
    next.transitions = current->transitions;
  } else {
    next.acquire_time = now;
    // Every change of holder counts, as client-go counts it.
    next.transitions = current ? current->transitions + 1 : 0;
  }
  return next;
}

LeaseRecord ReleasedLeaseRecord(const LeaseRecord& current, const std::string& now) {
  LeaseRecord released;
  released.lease_duration_seconds = 1;
  released.acquire_time = now;
  released.renew_time = now;
  released.transitions = current.transitions;
  released.resource_version = current.resource_version;
  return released;
}

}  // namespace dbtopo
