#pragma once

// Kubernetes API JSON -> plain pod structs: a PodList (GET .../pods) and the
// newline-delimited watch events (GET .../pods?watch=1). Only the fields the
// exporter uses are read; everything else is ignored, and a missing optional
// field is just empty. Parsing never throws: malformed input gives an error
// string naming what was wrong.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbtopo/base/result.h"

namespace dbtopo::kube {

/// `spec.containers[].ports[]`.
struct ContainerPort {
  std::string container;  ///< `spec.containers[].name`.
  std::string name;       ///< Port `name` ("" when unnamed).
  int port = 0;           ///< `containerPort`.
  std::string protocol;   ///< `protocol`, "TCP" when absent.
};

/// The parts of a v1 Pod the exporter needs.
struct PodInfo {
  std::string ns;                             ///< `metadata.namespace`.
  std::string name;                           ///< `metadata.name`.
  std::string uid;                            ///< `metadata.uid`.
  std::string resource_version;               ///< `metadata.resourceVersion`.
  std::map<std::string, std::string> labels;  ///< `metadata.labels`.
  bool deleting = false;                      ///< `metadata.deletionTimestamp` is set.
  std::string phase;   ///< `status.phase`: Pending, Running, Succeeded, Failed, Unknown.
  std::string pod_ip;  ///< `status.podIP` ("" before the pod has an IP).
  /// `status.conditions[type=Ready].status == "True"`.
  bool ready = false;
  std::vector<ContainerPort> ports;

  /// "namespace/name".
  std::string Key() const { return ns + "/" + name; }
};

/// A v1 PodList (one page of it).
struct PodList {
  std::string resource_version;  ///< `metadata.resourceVersion`: where a watch starts.
  std::string continue_token;    ///< `metadata.continue`: "" on the last page.
  std::vector<PodInfo> items;
};

/// A v1 Status (`kind: Status`), as sent in error bodies and ERROR events.
struct ApiStatus {
  int code = 0;         ///< HTTP code, e.g. 410.
  std::string reason;   ///< e.g. "Expired", "Gone", "Unauthorized", "Forbidden".
  std::string message;  ///< Human-readable; never contains credentials.
};

/// One watch event line.
struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  /// The pod for ADDED/MODIFIED/DELETED (last known state for DELETED).
  PodInfo pod;
  /// BOOKMARK (and every pod event): the resourceVersion to resume from.
  std::string resource_version;
  /// ERROR: the Status object.
  ApiStatus status;
};

/// "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR".
const char* WatchEventTypeName(WatchEvent::Type type);

/// Parses one v1 Pod object (JSON text).
Result<PodInfo> ParsePod(std::string_view json_text);
/// Parses a v1 PodList body. Items that are not objects are an error.
Result<PodList> ParsePodList(std::string_view json_text);
/// Parses one line of a watch stream (`{"type":..., "object":{...}}`).
Result<WatchEvent> ParseWatchEvent(std::string_view json_line);
/// Parses a v1 Status body; std::nullopt when `json_text` is not a Status
/// (e.g. a proxy's HTML error page).
std::optional<ApiStatus> ParseStatus(std::string_view json_text);

}  // namespace dbtopo::kube
