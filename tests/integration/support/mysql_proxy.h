#pragma once

// A TCP relay in front of one MySQL/MariaDB server that can cut one user's
// connections and keep everybody else's: what a network policy blocking the
// exporter does, while the replicas keep streaming from the same address.
//
// It reads the user name from each client's handshake response (the first
// client packet of the MySQL protocol, sent in clear text when the client
// does not ask for TLS); everything else is relayed byte for byte.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dbtopo::testing {

class MysqlProxy {
 public:
  /// Listens on 127.0.0.1:<free port> and relays to 127.0.0.1:target_port.
  explicit MysqlProxy(int target_port);
  ~MysqlProxy();
  MysqlProxy(const MysqlProxy&) = delete;
  MysqlProxy& operator=(const MysqlProxy&) = delete;

  int port() const { return port_; }
  /// Closes every relayed connection of `user` and every new one right after
  /// its handshake response: that client sees "Lost connection".
  void Block(const std::string& user);
  /// Lets `user` through again.
  void Unblock();

 private:
  struct Link;
  void AcceptLoop();
  void Relay(std::shared_ptr<Link> link);
  bool IsBlocked(const std::string& user);

  int port_ = 0;
  int listen_fd_ = -1;
  int target_port_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string blocked_;                       // Guarded by mu_.
  std::vector<std::shared_ptr<Link>> links_;  // Guarded by mu_.
  std::vector<std::thread> threads_;          // Guarded by mu_.
  std::thread acceptor_;
};

}  // namespace dbtopo::testing
