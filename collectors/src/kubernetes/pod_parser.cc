#include "kubernetes/pod_parser.h"

#include <nlohmann/json.hpp>

namespace dbtopo::kube {
namespace {

using nlohmann::json;

// Field readers that tolerate absence and wrong types (-> empty).
std::string Str(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

const json& Obj(const json& object, const char* key) {
  static const json kEmpty = json::object();
  if (!object.is_object()) return kEmpty;
  auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return kEmpty;
  return *it;
}

const json& Arr(const json& object, const char* key) {
  static const json kEmpty = json::array();
  if (!object.is_object()) return kEmpty;
  auto it = object.find(key);
  if (it == object.end() || !it->is_array()) return kEmpty;
  return *it;
}

Result<PodInfo> PodFromJson(const json& pod) {
  if (!pod.is_object()) return Error{"pod is not a JSON object"};
  const std::string kind = Str(pod, "kind");
  if (!kind.empty() && kind != "Pod") return Error{"object kind is \"" + kind + "\", want Pod"};
  PodInfo info;
  const json& metadata = Obj(pod, "metadata");
  info.name = Str(metadata, "name");
  if (info.name.empty()) return Error{"pod without metadata.name"};
  info.ns = Str(metadata, "namespace");
  info.uid = Str(metadata, "uid");
  info.resource_version = Str(metadata, "resourceVersion");
  info.deleting =
      metadata.contains("deletionTimestamp") && !metadata["deletionTimestamp"].is_null();
  for (const auto& [key, value] : Obj(metadata, "labels").items()) {
    if (value.is_string()) info.labels[key] = value.get<std::string>();
  }
  for (const json& container : Arr(Obj(pod, "spec"), "containers")) {
    for (const json& port : Arr(container, "ports")) {
      ContainerPort p;
      p.container = Str(container, "name");
      p.name = Str(port, "name");
      p.protocol = Str(port, "protocol");
      if (p.protocol.empty()) p.protocol = "TCP";
      if (port.is_object() && port.contains("containerPort") &&
          port["containerPort"].is_number_integer()) {
        p.port = port["containerPort"].get<int>();
      }
      info.ports.push_back(std::move(p));
    }
  }
  const json& status = Obj(pod, "status");
  info.phase = Str(status, "phase");
  info.pod_ip = Str(status, "podIP");
  if (info.pod_ip.empty()) {
    const json& ips = Arr(status, "podIPs");
    if (!ips.empty()) info.pod_ip = Str(ips[0], "ip");
  }
  for (const json& condition : Arr(status, "conditions")) {
    if (Str(condition, "type") == "Ready") info.ready = Str(condition, "status") == "True";
  }
  return info;
}

ApiStatus StatusFromJson(const json& object) {
  ApiStatus status;
  status.reason = Str(object, "reason");
  status.message = Str(object, "message");
  if (object.is_object() && object.contains("code") && object["code"].is_number_integer()) {
    status.code = object["code"].get<int>();
  }
  return status;
}

Result<json> ParseJson(std::string_view text, const char* what) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    std::string head(text.substr(0, 80));
    return Error{std::string(what) + " is not valid JSON (starts with \"" + head + "\")"};
  }
  return parsed;
}

}  // namespace

const char* WatchEventTypeName(WatchEvent::Type type) {
  switch (type) {
    case WatchEvent::Type::kAdded:
      return "ADDED";
    case WatchEvent::Type::kModified:
      return "MODIFIED";
    case WatchEvent::Type::kDeleted:
      return "DELETED";
    case WatchEvent::Type::kBookmark:
      return "BOOKMARK";
    case WatchEvent::Type::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

Result<PodInfo> ParsePod(std::string_view json_text) {
  auto parsed = ParseJson(json_text, "pod");
  if (!parsed) return parsed.error();
  return PodFromJson(*parsed);
}

Result<PodList> ParsePodList(std::string_view json_text) {
  auto parsed = ParseJson(json_text, "pod list");
  if (!parsed) return parsed.error();
  const json& body = *parsed;
  if (!body.is_object()) return Error{"pod list is not a JSON object"};
  const std::string kind = Str(body, "kind");
  if (kind == "Status") {
    const ApiStatus status = StatusFromJson(body);
    return Error{"API server returned a Status instead of a PodList: " +
                 std::to_string(status.code) + " " + status.reason + ": " + status.message};
  }
  if (!kind.empty() && kind != "PodList")
    return Error{"object kind is \"" + kind + "\", want PodList"};
  if (body.contains("items") && !body["items"].is_array() && !body["items"].is_null()) {
    return Error{std::string("pod list \"items\" is not an array")};
  }
  PodList list;
  const json& metadata = Obj(body, "metadata");
  list.resource_version = Str(metadata, "resourceVersion");
  list.continue_token = Str(metadata, "continue");
  const json& items = Arr(body, "items");
  for (std::size_t i = 0; i < items.size(); ++i) {
    // List items omit kind/apiVersion; namespace is always in metadata.
    auto pod = PodFromJson(items[i]);
    if (!pod) return Error{"pod list items[" + std::to_string(i) + "]: " + pod.error().message};
    list.items.push_back(std::move(pod).value());
  }
  return list;
}

Result<WatchEvent> ParseWatchEvent(std::string_view json_line) {
  auto parsed = ParseJson(json_line, "watch event");
  if (!parsed) return parsed.error();
  const json& body = *parsed;
  if (!body.is_object()) return Error{"watch event is not a JSON object"};
  const std::string type = Str(body, "type");
  const json& object = Obj(body, "object");
  if (!body.contains("object") || !body["object"].is_object()) {
    return Error{"watch event " + (type.empty() ? std::string("(no type)") : type) +
                 " without an object"};
  }
  WatchEvent event;
  if (type == "ADDED") {
    event.type = WatchEvent::Type::kAdded;
  } else if (type == "MODIFIED") {
    event.type = WatchEvent::Type::kModified;
  } else if (type == "DELETED") {
    event.type = WatchEvent::Type::kDeleted;
  } else if (type == "BOOKMARK") {
    event.type = WatchEvent::Type::kBookmark;
    event.resource_version = Str(Obj(object, "metadata"), "resourceVersion");
    if (event.resource_version.empty()) return Error{"BOOKMARK without resourceVersion"};
    return event;
  } else if (type == "ERROR") {
    event.type = WatchEvent::Type::kError;
    event.status = StatusFromJson(object);
    return event;
  } else {
    return Error{"unknown watch event type \"" + type + "\""};
  }
  auto pod = PodFromJson(object);
  if (!pod) {
    return Error{std::string(WatchEventTypeName(event.type)) + " event: " + pod.error().message};
  }
  event.pod = std::move(pod).value();
  event.resource_version = event.pod.resource_version;
  return event;
}

std::optional<ApiStatus> ParseStatus(std::string_view json_text) {
  json body = json::parse(json_text, nullptr, false);
  if (body.is_discarded() || !body.is_object() || Str(body, "kind") != "Status") {
    return std::nullopt;
  }
  return StatusFromJson(body);
}

}  // namespace dbtopo::kube
