#include "connection_stream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace dbtopo {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

void AddressOf(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                      : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(serv);
  }
}

}  // namespace

ConnectionStream::ConnectionStream(int fd, SSL_CTX* tls, std::chrono::milliseconds read_timeout,
                                   std::chrono::milliseconds write_timeout)
    : fd_(fd), read_timeout_(read_timeout), write_timeout_(write_timeout) {
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  if (tls != nullptr) {
    ssl_ = SSL_new(tls);
    if (ssl_ != nullptr) SSL_set_fd(ssl_, fd_);
  }
}

ConnectionStream::~ConnectionStream() {
  if (ssl_ != nullptr) {
    // One close_notify, without waiting for the peer's.
    if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
}

bool ConnectionStream::Poll(short events, Clock::duration wait) const {
  if (wait <= Clock::duration::zero()) return false;
  pollfd p{fd_, events, 0};
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  int rc;
  do {
    rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(ms, 1 << 30)));
  } while (rc < 0 && errno == EINTR);
  // Readable also when the peer closed or failed: the next read tells which.
  return rc > 0;
}

ConnectionStream::Clock::duration ConnectionStream::ReadWait() const {
  return std::min<Clock::duration>(read_timeout_, deadline_ - Clock::now());
}

bool ConnectionStream::Buffered() const {
  return offset_ < buffer_.size() || (ssl_ != nullptr && SSL_pending(ssl_) > 0);
}

bool ConnectionStream::WaitForTls(int ret, Clock::duration wait) {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      return Poll(POLLIN, wait);
    case SSL_ERROR_WANT_WRITE:
      return Poll(POLLOUT, wait);
    default:
      return false;  // closed, protocol error or a failed handshake
  }
}

bool ConnectionStream::Handshake() {
  if (ssl_ == nullptr) return true;
  for (;;) {
    const int ret = SSL_accept(ssl_);
    if (ret == 1) return true;
    if (!WaitForTls(ret, ReadWait())) return false;
  }
}

bool ConnectionStream::WaitForRequest(std::chrono::milliseconds idle,
                                      const std::function<bool()>& stopping) const {
  const Clock::time_point until = Clock::now() + idle;
  while (!Buffered()) {
    if (stopping()) return false;
    const auto left = until - Clock::now();
    if (left <= Clock::duration::zero()) return false;
    if (Poll(POLLIN, std::min<Clock::duration>(left, std::chrono::milliseconds(100)))) {
      return true;
    }
  }
  return true;
}

bool ConnectionStream::Fill() {
  buffer_.resize(kReadChunk);
  offset_ = 0;
  for (;;) {
    if (ssl_ != nullptr) {
      const int n = SSL_read(ssl_, buffer_.data(), static_cast<int>(buffer_.size()));
      if (n > 0) {
        buffer_.resize(static_cast<std::size_t>(n));
        return true;
      }
      if (!WaitForTls(n, ReadWait())) break;
      continue;
    }
    const ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
    if (n > 0) {
      buffer_.resize(static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0) break;  // the client closed
    if (errno == EINTR) continue;
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || !Poll(POLLIN, ReadWait())) break;
  }
  buffer_.clear();
  return false;
}

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (offset_ >= buffer_.size() && !Fill()) return -1;
  const std::size_t n = std::min(size, buffer_.size() - offset_);
  std::copy_n(buffer_.data() + offset_, n, ptr);
  offset_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  for (;;) {
    if (ssl_ != nullptr) {
      const int n = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
      if (n > 0) return n;
      if (!WaitForTls(n, write_timeout_)) return -1;
      continue;
    }
    const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || !Poll(POLLOUT, write_timeout_)) return -1;
  }
}

bool ConnectionStream::is_readable() const { return Buffered() || Poll(POLLIN, ReadWait()); }

bool ConnectionStream::is_writable() const { return Poll(POLLOUT, write_timeout_); }

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  AddressOf(fd_, true, ip, port);
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  AddressOf(fd_, false, ip, port);
}

}  // namespace dbtopo
