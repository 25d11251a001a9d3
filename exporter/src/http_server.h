#pragma once

// The HTTP side: /metrics, /-/healthy, /-/ready, /, /api/v1/topology.
// Handlers only read the latest Snapshot (pre-rendered text), so a scrape
// costs a copy and never waits on a database.

#include <functional>
#include <memory>
#include <string>

#include "snapshot.h"
#include "web_config.h"

namespace httplib {
class Server;
}

namespace dbtopo {

/// Splits "host:port" / ":port" / "[v6]:port" (empty host = all interfaces).
bool ParseListenAddress(const std::string& address, std::string* host, int* port);

class HttpServer {
 public:
  HttpServer(const SnapshotStore* store, WebConfig web_config);
  ~HttpServer();

  /// Binds `listen_address`; returns false (with *error set) on failure.
  bool Bind(const std::string& listen_address, std::string* error);
  /// Serves until Stop(). Blocks.
  void Serve();
  void Stop();
  /// The bound port (useful when listening on port 0).
  int port() const { return port_; }

 private:
  void Routes();

  const SnapshotStore* store_;
  WebConfig web_config_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
};

}  // namespace dbtopo
