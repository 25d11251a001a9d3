#include "support/drip_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "support/loopback.h"

namespace dbtopo::testing {

DripServer::DripServer(std::string payload, std::chrono::milliseconds interval)
    : payload_(std::move(payload)), interval_(interval) {
  listen_fd_ = ListenLoopback(&port_);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

DripServer::~DripServer() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::lock_guard<std::mutex> lock(mu_);
  for (std::thread& t : drips_) t.join();
}

void DripServer::AcceptLoop() {
  while (!stop_) {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard<std::mutex> lock(mu_);
    drips_.emplace_back([this, fd] { Drip(fd); });
  }
}

void DripServer::Drip(int fd) {
  for (std::size_t i = 0; !stop_; ++i) {
    const char byte = payload_[i % payload_.size()];
    if (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) break;  // The client gave up.
    // Sleep in short steps so the destructor does not wait a whole interval.
    const auto until = std::chrono::steady_clock::now() + interval_;
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ::close(fd);
}

}  // namespace dbtopo::testing
