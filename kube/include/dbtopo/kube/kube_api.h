#pragma once

#include <memory>
#include <string>

#include "dbtopo/base/result.h"

namespace dbtopo {

/// The slice of the Kubernetes API that remediation (the kubeblocks action,
/// leader election) and sharding need: plain requests on paths, for a fake in
/// tests.
class KubeApi {
 public:
  struct Response {
    int status = 0;     ///< HTTP status; 0 when no response arrived.
    std::string body;   ///< Response body.
    std::string error;  ///< Transport error when status is 0.
  };
  virtual ~KubeApi() = default;
  /// POST `path` with a JSON `body`.
  virtual Response Post(const std::string& path, const std::string& body) = 0;
  /// PUT `path` with a JSON `body` (replaces the object; 409 on a stale
  /// resourceVersion).
  virtual Response Put(const std::string& path, const std::string& body) = 0;
  /// GET `path`.
  virtual Response Get(const std::string& path) = 0;
  /// "https://host:port (kubeconfig ...)" for messages; no secrets.
  virtual std::string Describe() const = 0;
  /// The kubeconfig context's (or the service account's) namespace; "" when
  /// unset.
  virtual std::string Namespace() const = 0;
};

/// A KubeApi over KubeClient, for `kubeconfig` (""
/// => $KUBECONFIG, else the in-cluster service account). Returns an error
/// message (naming the kubeconfig problem) when it cannot be set up.
Result<std::unique_ptr<KubeApi>> MakeKubeApi(const std::string& kubeconfig);

}  // namespace dbtopo
