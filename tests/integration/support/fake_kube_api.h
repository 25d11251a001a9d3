#pragma once

// A fake Kubernetes API server for discovery tests: serves v1 PodList and
// watch streams with the real JSON shapes over httplib, on 127.0.0.1 (plain
// HTTP, or HTTPS with optional client certificate verification).
//
//   GET /api/v1/pods, /api/v1/namespaces/{ns}/pods
//       ?labelSelector=  (equality, inequality and exists terms)
//       &limit=&continue=  (pagination; continue tokens are "<offset>:<rv>")
//       &watch=1&resourceVersion=&allowWatchBookmarks=&timeoutSeconds=
//   GET/POST/PUT /apis/coordination.k8s.io/v1/namespaces/{ns}/leases[/{name}]
//       (FakeLeases: resourceVersion conflicts answered 409)
//
// Watches replay the events after `resourceVersion` and then stream new ones
// as newline-delimited JSON (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR). A
// resourceVersion older than the compacted history gets an ERROR event with a
// 410 Status, like the real API server. A label change that makes a pod stop
// (start) matching a watch's selector is sent to that watch as DELETED
// (ADDED), as the API server does.
//
// With RequireToken(), every request without `Authorization: Bearer <token>`
// gets 401 and a Status body. Stop() closes open watches abruptly (no final
// chunk), like a crashed API server.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/fake_leases.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace dbtopo::testing {

/// A pod as the fake serves it.
struct FakePod {
  std::string ns = "default";
  std::string name;
  std::map<std::string, std::string> labels;
  std::string ip = "127.0.0.1";     ///< status.podIP ("" = not assigned yet).
  std::string port_name = "mysql";  ///< Name of the one container port.
  int port = 3306;                  ///< Its containerPort.
  std::string phase = "Running";
  bool ready = true;  ///< Ready condition.
};

/// A v1 Pod object for `pod` (metadata, spec.containers[].ports, status with
/// conditions and containerStatuses), as the API server serializes it.
nlohmann::json PodJson(const FakePod& pod, const std::string& resource_version,
                       const std::string& uid);

/// A minimal kubeconfig (one cluster, user and context) pointing at `server`.
/// `user_yaml` is the body of users[0].user (e.g. "token: abc"), indented by
/// the caller-free helper; `cluster_yaml_extra` is added to clusters[0].cluster.
std::string KubeconfigYaml(const std::string& server, const std::string& user_yaml,
                           const std::string& cluster_yaml_extra = "",
                           const std::string& ns = "default");

class FakeKubeApi {
 public:
  /// TLS files for StartTls (PEM paths).
  struct TlsFiles {
    std::string cert_file;
    std::string key_file;
    /// When set, clients must present a certificate signed by this CA.
    std::string client_ca_file;
  };

  FakeKubeApi();
  ~FakeKubeApi();
  FakeKubeApi(const FakeKubeApi&) = delete;
  FakeKubeApi& operator=(const FakeKubeApi&) = delete;

  /// Listens on 127.0.0.1:`port` (0: any free port) over HTTP. Throws when it
  /// cannot bind.
  void Start(int port = 0);
  /// Same over HTTPS.
  void StartTls(const TlsFiles& files, int port = 0);
  /// Stops serving; open watches are cut without a final chunk. Pods are kept.
  void Stop();
  /// Stop() then start again on the same port (and TLS settings). The watch
  /// history is compacted: resuming from an older resourceVersion gets 410.
  void Restart();
  bool running() const { return server_ != nullptr; }

  int port() const { return port_; }
  /// "http://127.0.0.1:<port>" or "https://...".
  std::string url() const;

  /// The Leases it serves (coordination.k8s.io/v1), kept across restarts.
  FakeLeases& leases() { return leases_; }

  /// Serves `GET /apis/apps/v1/namespaces/{ns}/statefulsets/{name}` with
  /// spec.replicas = `replicas` (other StatefulSets: 404 NotFound).
  void SetStatefulSetReplicas(const std::string& ns, const std::string& name, int replicas);

  /// Requests must carry `Authorization: Bearer <token>`; "" accepts anything.
  void RequireToken(const std::string& token);

  /// Creates (ADDED) or replaces (MODIFIED) a pod; bumps the resourceVersion.
  void Upsert(const FakePod& pod);
  /// Deletes a pod (DELETED with its last state). No-op when unknown.
  void Delete(const std::string& ns, const std::string& name);
  /// Sends a BOOKMARK at the current resourceVersion to watches that allow them.
  void Bookmark();
  /// Sends ERROR 410 to every open watch, ends them, and compacts the history
  /// so that resuming from any older resourceVersion also gets 410.
  void ExpireWatches();
  /// Answers the next `count` requests (list or watch) with `status` and a
  /// Status body.
  void FailNextRequests(int status, int count);

  /// Requests seen, "GET <path>?<query>" (query decoded), in order.
  std::vector<std::string> requests() const;
  int list_requests() const;
  int watch_requests() const;
  int unauthorized_requests() const;
  /// Watches currently streaming.
  int open_watches() const;
  /// The current resourceVersion.
  std::int64_t resource_version() const;

 private:
  struct Watcher;
  struct Event {
    std::int64_t rv;
    std::string type;       // ADDED, MODIFIED, DELETED
    nlohmann::json before;  // null for ADDED
    nlohmann::json after;   // the object after the change (DELETED: last state)
  };

  void Serve(int port);
  void Handle(const httplib::Request& request, httplib::Response& response, const std::string& ns);
  bool Matches(const Watcher& watcher, const nlohmann::json& pod) const;
  std::vector<std::string> EventLines(const Watcher& watcher, const Event& event) const;
  void EmitLocked(const std::string& type, const nlohmann::json& before,
                  const nlohmann::json& after);

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool tls_ = false;
  TlsFiles tls_files_;
  bool stopping_ = false;
  std::string token_;
  std::int64_t rv_ = 1000;
  std::int64_t compacted_rv_ = 0;
  std::int64_t next_uid_ = 1;
  std::map<std::string, nlohmann::json> pods_;  // by "ns/name"
  std::map<std::string, std::string> uids_;     // by "ns/name"
  std::vector<Event> history_;
  std::vector<std::shared_ptr<Watcher>> watchers_;
  int fail_status_ = 0;
  int fail_count_ = 0;
  std::vector<std::string> requests_;
  int list_requests_ = 0;
  int watch_requests_ = 0;
  int unauthorized_requests_ = 0;
  std::map<std::string, int> statefulset_replicas_;  // by "ns/name"
  FakeLeases leases_;
};

}  // namespace dbtopo::testing
