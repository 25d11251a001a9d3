#pragma once

// A hostile server for deadline tests: accepts every connection on
// 127.0.0.1:<free port> and sends `payload` one byte per `interval`,
// repeating it, never closing and never reading. Each byte arrives well
// within any per-read timeout, so only a deadline on the whole exchange
// stops a client.

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dbtopo::testing {

class DripServer {
 public:
  DripServer(std::string payload, std::chrono::milliseconds interval);
  ~DripServer();
  DripServer(const DripServer&) = delete;
  DripServer& operator=(const DripServer&) = delete;

  int port() const { return port_; }
  /// Connections accepted so far.
  int connections() const { return connections_; }

 private:
  void AcceptLoop();
  void Drip(int fd);

  std::string payload_;
  std::chrono::milliseconds interval_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<std::thread> drips_;  // Guarded by mu_.
  std::thread acceptor_;
};

}  // namespace dbtopo::testing
