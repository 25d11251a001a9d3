#include "dbtopo/collectors/redis_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "dbtopo/collectors/redis_reply_limits.h"

namespace dbtopo::redis {
namespace {

bool IsIpAddress(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::string CommandBytes(const Command& command) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const std::string& arg : command) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  char* formatted = nullptr;
  const int n = redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(),
                                       lengths.data());
  std::string bytes = n > 0 ? std::string(formatted, static_cast<std::size_t>(n)) : "";
  redisFreeCommand(formatted);
  return bytes;
}

}  // namespace

RedisConnection::RedisConnection(const Target& target, const Credentials& credentials,
                                 std::chrono::milliseconds timeout)
    : target_(target), credentials_(credentials), timeout_(timeout) {}

RedisConnection::~RedisConnection() { Drop(); }

void RedisConnection::Drop() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  ssl_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = nullptr;
}

Error RedisConnection::Fail(std::string message) {
  Drop();
  return Error{std::move(message)};
}

// Waits until the socket is ready for `events` (POLLIN/POLLOUT) or the
// deadline passes (then the connection is dropped: the reply in flight is
// unusable).
Status RedisConnection::WaitReady(short events, const char* what) {
  while (true) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) {
      return Fail(std::string(what) + ": timeout after " + std::to_string(timeout_.count()) + "ms");
    }
    pollfd pfd{fd_, events, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready > 0) return {};
    if (ready < 0 && errno != EINTR) {
      return Fail(std::string(what) + ": poll: " + std::strerror(errno));
    }
  }
}

Status RedisConnection::WaitTls(int ret, const char* what) {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      return WaitReady(POLLIN, what);
    case SSL_ERROR_WANT_WRITE:
      return WaitReady(POLLOUT, what);
    case SSL_ERROR_ZERO_RETURN:
      lost_ = true;
      return Fail(std::string(what) + ": connection closed by the server");
    case SSL_ERROR_SYSCALL:
      lost_ = true;
      return Fail(std::string(what) + ": " +
                  (errno != 0 ? std::strerror(errno) : "connection closed by the server"));
    default:
      return Fail(std::string(what) + ": TLS: " + TakeOpenSslError("protocol error"));
  }
}

Status RedisConnection::OpenSocket() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(target_.port);
  if (const int rc = ::getaddrinfo(target_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Error{"connect: " + target_.host + ": " + gai_strerror(rc)};
  }
  std::string error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd_ < 0) continue;
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      error = std::strerror(errno);
    } else if (Status ready = WaitReady(POLLOUT, "connect"); !ready) {
      ::freeaddrinfo(found);
      return ready;
    } else {
      int so_error = 0;
      socklen_t len = sizeof so_error;
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error == 0) break;
      error = std::strerror(so_error);
    }
    ::close(fd_);
    fd_ = -1;
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) return Error{"connect: " + error};
  return {};
}

// The TLS handshake; the server certificate is verified against
// tls.server_name (else the host): a name as DNS name, an address as IP.
Status RedisConnection::Handshake() {
  const TlsClientConfig& tls = *credentials_.tls;
  if (tls_context_ == nullptr) {
    auto made = NewTlsClientContext(tls);
    if (!made) return Fail(made.error().message);
    tls_context_ = std::move(made).value();
  }
  ERR_clear_error();
  ssl_ = SSL_new(tls_context_.get());
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    return Fail("TLS: " + TakeOpenSslError("cannot start a session"));
  }
  const std::string& name = tls.server_name.empty() ? target_.host : tls.server_name;
  if (!IsIpAddress(name)) SSL_set_tlsext_host_name(ssl_, name.c_str());
  if (!tls.insecure_skip_verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    if (IsIpAddress(name)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    }
  }
  while (true) {
    const int ret = SSL_connect(ssl_);
    if (ret == 1) return {};
    const int kind = SSL_get_error(ssl_, ret);
    if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) {
      // A plain-text Redis reads the ClientHello as the start of an inline
      // command and waits for its end: the handshake times out with not
      // one byte back. Say so, or the error reads like a slow server.
      const bool heard = BIO_number_read(SSL_get_rbio(ssl_)) > 0;
      if (Status waited = WaitTls(ret, "TLS handshake"); !waited) {
        if (heard) return waited;
        return Error{waited.error().message +
                     " with no answer to the ClientHello (does this port speak TLS?)"};
      }
      continue;
    }
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      ERR_clear_error();
      return Fail("TLS handshake: certificate verify failed: " +
                  std::string(X509_verify_cert_error_string(verify)) + " (server name " + name +
                  ")");
    }
    if (kind == SSL_ERROR_SYSCALL || kind == SSL_ERROR_ZERO_RETURN) {
      return Fail("TLS handshake: connection closed by the server (does it speak TLS?)");
    }
    return Fail("TLS handshake: " + TakeOpenSslError("failed"));
  }
}

Status RedisConnection::Authenticate() {
  if (credentials_.password.empty()) return {};
  // The password is an argument, never formatted into a string that could
  // end up in an error or a log.
  Command auth = {"AUTH"};
  if (!credentials_.username.empty()) auth.push_back(credentials_.username);
  auth.push_back(credentials_.password.Reveal());
  if (Status sent = Send(CommandBytes(auth), "AUTH"); !sent) return sent;
  std::vector<ReplyPtr> replies;
  if (Status read = Receive(1, "AUTH", &replies); !read) return read;
  const redisReply* reply = replies.front().get();
  if (reply->type == REDIS_REPLY_ERROR) {
    // Server texts: "WRONGPASS invalid username-password pair ...",
    // "ERR AUTH <password> called without any password configured ...".
    // The latter quotes the literal "<password>", not the value.
    return Fail("AUTH failed: " + std::string(reply->str, reply->len));
  }
  return {};
}

Status RedisConnection::Connect() {
  if (Status opened = OpenSocket(); !opened) return opened;
  reader_ = redisReaderCreate();
  if (reader_ == nullptr) return Fail("connect: out of memory");
  LimitReplies(reader_);
  if (credentials_.tls != nullptr) {
    if (Status shook = Handshake(); !shook) return shook;
  }
  return Authenticate();
}

Status RedisConnection::Send(const std::string& bytes, const char* what) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const char* data = bytes.data() + sent;
    const std::size_t left = bytes.size() - sent;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int n = SSL_write(ssl_, data, static_cast<int>(left));
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (Status waited = WaitTls(n, what); !waited) {
        return waited;
      }
      continue;
    }
    const ssize_t n = ::send(fd_, data, left, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (Status ready = WaitReady(POLLOUT, what); !ready) return ready;
    } else {
      lost_ = true;
      return Fail(std::string(what) + ": " + std::strerror(errno));
    }
  }
  return {};
}

// Reads what the socket has (waiting for it within the deadline) into the
// reply reader.
Status RedisConnection::ReadSome(const char* what) {
  char buffer[16 * 1024];
  while (true) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int n = SSL_read(ssl_, buffer, sizeof buffer);
      if (n > 0)
        return redisReaderFeed(reader_, buffer, static_cast<std::size_t>(n)) == REDIS_OK
                   ? Status()
                   : Fail(std::string(what) + ": out of memory");
      if (Status waited = WaitTls(n, what); !waited) return waited;
      continue;
    }
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      return redisReaderFeed(reader_, buffer, static_cast<std::size_t>(n)) == REDIS_OK
                 ? Status()
                 : Fail(std::string(what) + ": out of memory");
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (Status ready = WaitReady(POLLIN, what); !ready) return ready;
      continue;
    }
    // Closed by the peer (EOF, reset): worth one reconnect.
    lost_ = true;
    return Fail(std::string(what) + ": " +
                (n == 0 ? std::string("connection closed by the server") : std::strerror(errno)));
  }
}

Status RedisConnection::Receive(std::size_t n, const char* what, std::vector<ReplyPtr>* replies) {
  while (replies->size() < n) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      return Fail(std::string(what) + ": protocol error: " + reader_->errstr);
    }
    if (raw != nullptr) {
      replies->emplace_back(static_cast<redisReply*>(raw));
      continue;
    }
    if (Status read = ReadSome(what); !read) return read;
  }
  return {};
}

Result<std::vector<ReplyPtr>> RedisConnection::Pipeline(const std::vector<Command>& commands,
                                                        const char* what,
                                                        Clock::time_point deadline) {
  deadline_ = deadline;
  lost_ = false;
  if (fd_ < 0) {
    if (Status connected = Connect(); !connected) return connected.error();
  }
  std::string bytes;
  for (const Command& command : commands) bytes += CommandBytes(command);
  if (Status sent = Send(bytes, what); !sent) return sent.error();
  std::vector<ReplyPtr> replies;
  if (Status read = Receive(commands.size(), what, &replies); !read) return read.error();
  return replies;
}

Observation CollectWithReconnect(
    RedisConnection& connection, std::chrono::milliseconds timeout,
    const std::function<Status(RedisConnection::Clock::time_point deadline, Observation*)>& poll) {
  using Clock = RedisConnection::Clock;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + timeout;
  Observation observation;
  const bool reused = connection.Connected();
  Status status = poll(deadline, &observation);
  // A kept connection the server closed in between (a restart) fails at
  // once while the server is back: one fresh connection within the same
  // deadline before calling the target down.
  if (!status && reused && connection.Lost() && Clock::now() < deadline) {
    const std::string first = status.error().message;
    observation = Observation{};
    status = poll(deadline, &observation);
    if (!status) status = Error{first + "; reconnect: " + status.error().message};
  }
  if (!status) {
    // Nothing half-read is served: a failed probe reports only the failure.
    observation = Observation{};
    observation.error = status.error().message;
  }
  observation.probe_duration_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return observation;
}

}  // namespace dbtopo::redis
