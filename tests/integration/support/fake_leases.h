#pragma once

// coordination.k8s.io/v1 Leases as the Kubernetes API server serves them,
// for leader election tests. FakeKubeApi serves them beside its pods:
//
//   GET  /apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}
//   POST /apis/coordination.k8s.io/v1/namespaces/{ns}/leases
//   PUT  /apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}
//
// with the API server's optimistic concurrency: every write gets a new
// metadata.resourceVersion; a PUT carrying another resourceVersion than the
// stored one gets 409 Conflict, a POST of an existing name 409
// AlreadyExists, a GET or PUT of a missing Lease 404 NotFound (Status
// bodies). Every accepted write is kept in order, for tests to check.

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace httplib {
class Server;
}  // namespace httplib

namespace dbtopo::testing {

class FakeLeases {
 public:
  /// One accepted write.
  struct Write {
    std::string method;  ///< POST or PUT.
    std::string lease;   ///< "ns/name".
    std::string holder;  ///< spec.holderIdentity written ("" = released).
    std::string resource_version;
  };

  /// Adds the routes to `server` (before it listens).
  void Register(httplib::Server* server);

  /// spec.holderIdentity of `ns/name`; "" when absent or released.
  std::string Holder(const std::string& ns, const std::string& name) const;
  /// The stored object, or null.
  nlohmann::json Get(const std::string& ns, const std::string& name) const;
  /// Writes accepted so far, in order.
  std::vector<Write> writes() const;
  /// Writes refused with 409.
  int conflicts() const;
  /// Answers the next `count` lease requests with 500 (an API outage).
  void FailNextRequests(int count);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, nlohmann::json> leases_;  // by "ns/name"
  std::int64_t rv_ = 5000;
  std::vector<Write> writes_;
  int conflicts_ = 0;
  int fail_count_ = 0;
};

}  // namespace dbtopo::testing
