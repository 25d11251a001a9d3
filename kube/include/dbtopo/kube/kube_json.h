#pragma once

// Reading the Kubernetes API's answers to the kubeblocks action: pure
// functions over the response body, so that any body (garbage, another
// kind, a truncated object) gives "" rather than an exception.

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

namespace dbtopo::kube {

/// "HTTP <status>: <message>" from an API error: the Status object's
/// `message` when the body is one, else the first 300 bytes of the body.
/// `status` 0 means no response; `transport_error` then says why.
std::string KubeApiError(int status, const std::string& body, const std::string& transport_error);

/// The string at `path` (e.g. {"metadata", "name"}), "" when any step is
/// missing or not an object, or the leaf is not a string.
std::string StringAt(const nlohmann::json& j, std::initializer_list<const char*> path);

/// "<reason>: <message>" of the last `status.conditions[]` entry of an
/// OpsRequest, "" when there is none.
std::string LastConditionMessage(const nlohmann::json& ops);

}  // namespace dbtopo::kube
