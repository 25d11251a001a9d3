#include "support/mysql_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "support/loopback.h"

namespace dbtopo::testing {
namespace {

// HandshakeResponse41: 4-byte header, capabilities (4), max packet (4),
// charset (1), 23 filler bytes, then the NUL-terminated user name. "" while
// incomplete, or for an SSL request (which carries no user).
std::string UserOf(const std::string& first_packet) {
  constexpr std::size_t kUserOffset = 4 + 4 + 4 + 1 + 23;
  if (first_packet.size() <= kUserOffset) return "";
  const std::size_t end = first_packet.find('\0', kUserOffset);
  if (end == std::string::npos) return "";
  return first_packet.substr(kUserOffset, end - kUserOffset);
}

// The first client packet is complete once its 3-byte length is satisfied.
bool PacketComplete(const std::string& buffer) {
  if (buffer.size() < 4) return false;
  const std::size_t length = static_cast<unsigned char>(buffer[0]) |
                             static_cast<unsigned char>(buffer[1]) << 8 |
                             static_cast<unsigned char>(buffer[2]) << 16;
  return buffer.size() >= 4 + length;
}

}  // namespace

struct MysqlProxy::Link {
  int client = -1;
  int server = -1;
  std::mutex mu;
  std::string user;  // Guarded by mu; "" until the handshake response.
  std::atomic<bool> cut{false};
};

MysqlProxy::MysqlProxy(int target_port) : target_port_(target_port) {
  listen_fd_ = ListenLoopback(&port_);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

MysqlProxy::~MysqlProxy() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

void MysqlProxy::Block(const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  blocked_ = user;
  for (const auto& link : links_) {
    std::lock_guard<std::mutex> link_lock(link->mu);
    if (link->user == user) link->cut = true;
  }
}

void MysqlProxy::Unblock() {
  std::lock_guard<std::mutex> lock(mu_);
  blocked_.clear();
}

bool MysqlProxy::IsBlocked(const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  return !blocked_.empty() && user == blocked_;
}

void MysqlProxy::AcceptLoop() {
  while (!stop_) {
    const int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    auto link = std::make_shared<Link>();
    link->client = client;
    link->server = ConnectLoopback(target_port_);
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(links_, [](const auto& l) { return l->client < 0; });
    links_.push_back(link);
    threads_.emplace_back([this, link] { Relay(link); });
  }
}

void MysqlProxy::Relay(std::shared_ptr<Link> link) {
  std::string first_packet;
  bool handshake_seen = false;
  char buffer[16384];
  while (!stop_ && !link->cut && link->server >= 0) {
    pollfd fds[2] = {{link->client, POLLIN, 0}, {link->server, POLLIN, 0}};
    if (::poll(fds, 2, 100) <= 0) continue;
    bool closed = false;
    for (int i = 0; i < 2 && !closed; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        closed = true;
        break;
      }
      if (i == 0 && !handshake_seen) {
        first_packet.append(buffer, static_cast<std::size_t>(n));
        if (PacketComplete(first_packet)) {
          handshake_seen = true;
          const std::string user = UserOf(first_packet);
          {
            std::lock_guard<std::mutex> lock(link->mu);
            link->user = user;
          }
          // Not under link->mu: Block() takes mu_ then link->mu.
          if (IsBlocked(user)) link->cut = true;
        }
      }
      if (link->cut) break;
      const int to = i == 0 ? link->server : link->client;
      if (::send(to, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) closed = true;
    }
    if (closed) break;
  }
  ::close(link->client);
  if (link->server >= 0) ::close(link->server);
  std::lock_guard<std::mutex> lock(mu_);
  link->client = -1;
}

}  // namespace dbtopo::testing
