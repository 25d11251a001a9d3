#pragma once

// One connection to a Redis server or sentinel, for the probes (kept across
// rounds) and remediation's admin connections alike.
//
// Its own non-blocking socket, optionally wrapped in TLS (OpenSSL, the
// `tls:` of the credentials), carries commands formatted by hiredis and
// replies parsed by hiredis's reader: Debian's hiredis 0.14 has no TLS, and
// one transport for both keeps plain and TLS behaving alike. Connect, the
// TLS handshake, AUTH and every pipeline share one deadline, enforced
// whatever the server sends: a server that trickles bytes is cut off when it
// passes. After any I/O error or timeout the connection is dropped, so the
// next exchange reconnects.

#include <hiredis/hiredis.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dbtopo/analysis/model.h"
#include "dbtopo/base/result.h"
#include "dbtopo/base/secret.h"
#include "dbtopo/collectors/tls_client.h"

namespace dbtopo::redis {

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

/// One command as its arguments ("SENTINEL", "REPLICAS", "mymaster"): each
/// is sent as one bulk string, so no argument is ever split or quoted.
using Command = std::vector<std::string>;

class RedisConnection {
 public:
  using Clock = std::chrono::steady_clock;

  /// `timeout` is what an exchange may take (connect, TLS handshake and AUTH
  /// included); it is named in timeout errors.
  RedisConnection(const Target& target, const Credentials& credentials,
                  std::chrono::milliseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  /// Sends `commands` in one write and reads one reply per command, all
  /// before `deadline`, connecting (and AUTHenticating) first when not
  /// connected. An error reply is a reply, not a failure. Errors name the
  /// step (`what` for the pipeline: "INFO replication: timeout after 2000ms")
  /// and never hold the password.
  Result<std::vector<ReplyPtr>> Pipeline(const std::vector<Command>& commands, const char* what,
                                         Clock::time_point deadline);

  /// True while a connection is kept.
  bool Connected() const { return fd_ >= 0; }
  /// The last failed Pipeline() found the connection closed by the peer (a
  /// restart between rounds): one reconnect is worth it.
  bool Lost() const { return lost_; }

  /// Closes the connection; the next Pipeline() reconnects.
  void Drop();

 private:
  Status Connect();
  Status OpenSocket();
  Status Handshake();
  Status Authenticate();
  Status Send(const std::string& bytes, const char* what);
  Status Receive(std::size_t n, const char* what, std::vector<ReplyPtr>* replies);
  Status ReadSome(const char* what);
  Status WaitReady(short events, const char* what);
  // Waits as OpenSSL asks after a non-blocking call returned `ret`; an
  // error for anything but WANT_READ/WANT_WRITE.
  Status WaitTls(int ret, const char* what);
  Error Fail(std::string message);

  const Target target_;
  const Credentials credentials_;
  const std::chrono::milliseconds timeout_;
  SslCtxPtr tls_context_;  // Made on the first TLS connect.
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  redisReader* reader_ = nullptr;
  Clock::time_point deadline_;
  bool lost_ = false;
};

/// One probe of a Redis server or sentinel: runs `poll` (which reads through
/// `connection` and fills the Observation), and when a kept connection was
/// found closed by the peer, runs it once more on a fresh connection within
/// the same deadline. On failure the Observation holds only up=false and the
/// error (nothing half-read is served). Sets probe_duration_seconds.
Observation CollectWithReconnect(
    RedisConnection& connection, std::chrono::milliseconds timeout,
    const std::function<Status(RedisConnection::Clock::time_point deadline, Observation*)>& poll);

}  // namespace dbtopo::redis
