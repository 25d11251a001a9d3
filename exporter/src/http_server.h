#pragma once

// The HTTP side: /metrics, /-/healthy, /-/ready, /, /api/v1/topology.
// Handlers only read the latest Snapshot (pre-rendered text), so a scrape
// costs a copy and never waits on a database.
//
// Remediation: POST /api/v1/switchover and POST /api/v1/alerts go to the
// Remediator (SetRemediator; 503 without one). They are protected by the
// remediation Bearer token instead of the web config's basic auth (one
// Authorization header cannot carry both), so Alertmanager's
// `authorization: {credentials_file: ...}` works with a basic-auth exporter.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "basic_auth.h"
#include "dbtopo/base/mutex.h"
#include "remediation_api.h"
#include "snapshot.h"
#include "web_config.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace dbtopo {

class Remediator;

/// Splits "host:port" / ":port" / "[v6]:port" (empty host = all interfaces).
bool ParseListenAddress(const std::string& address, std::string* host, int* port);

class HttpServer {
 public:
  HttpServer(const SnapshotStore* store, WebConfig web_config);
  ~HttpServer();

  /// Binds `listen_address`; the error names the address or the TLS problem.
  Status Bind(const std::string& listen_address);
  /// Serves until Stop(). Blocks. Returns at once if Stop() came first.
  void Serve();
  /// Makes Serve() return, whether it has started listening yet or not.
  /// Safe from any thread.
  void Stop();
  /// The bound port (useful when listening on port 0).
  int port() const { return port_; }
  /// Serves the remediation POST endpoints from `remediator` (not owned;
  /// must outlive Serve()). Call before Serve().
  void SetRemediator(Remediator* remediator) {
    remediation_api_ =
        remediator == nullptr ? nullptr : std::make_unique<RemediationApi>(remediator);
  }

 private:
  void Routes();
  // Workers, timeouts, keep-alive, body limit and socket options: slow or
  // idle clients hold a worker each only until a timeout closes them.
  void ConfigureConnections();
  // Before routing and before any body is read: the body limit, then basic
  // auth (health probes and the Bearer-token POSTs excepted). True when it
  // answered the request itself (413, 429, 401).
  bool Gate(const httplib::Request& req, httplib::Response& res);
  void ServeMetrics(const httplib::Request& req, httplib::Response& res) const;
  void ServeTopology(const httplib::Request& req, httplib::Response& res) const;
  void ServeRemediation(const httplib::Request& req, httplib::Response& res, bool alerts) const;
  /// Content-Length above kMaxBodyBytes (or not a number).
  static bool BodyTooLarge(const httplib::Request& req);

  /// Connection workers kept ready, and the most there can be; only
  /// connections beyond kMaxConnections wait for a worker.
  static constexpr std::size_t kCoreWorkers = 16;
  static constexpr std::size_t kMaxConnections = 1024;
  /// A TLS handshake, and each request's line, headers and body, must
  /// arrive within this; slower clients are disconnected.
  static constexpr std::chrono::seconds kRequestReadDeadline{10};
  /// TCP_DEFER_ACCEPT: how long a silent new connection stays in the kernel.
  static constexpr int kDeferAcceptSeconds = 5;
  /// Largest request body accepted (Alertmanager batches, switchover JSON).
  static constexpr std::size_t kMaxBodyBytes = 1 << 20;

  const SnapshotStore* store_;
  WebConfig web_config_;
  std::unique_ptr<BasicAuth> basic_auth_;
  std::unique_ptr<httplib::Server> server_;
  std::string tls_error_;  // why the TLS context could not be made, or empty
  Mutex stop_mutex_;
  bool stop_requested_ DBTOPO_GUARDED_BY(stop_mutex_) = false;
  bool serving_ DBTOPO_GUARDED_BY(stop_mutex_) = false;
  int port_ = 0;
  int listen_fd_ = -1;  // Set by the socket-options hook when binding.
  std::unique_ptr<RemediationApi> remediation_api_;
};

}  // namespace dbtopo
