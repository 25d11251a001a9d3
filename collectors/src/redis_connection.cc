#include "redis_connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "dbtopo/collectors/redis_reply_limits.h"

namespace dbtopo::redis {

RedisConnection::RedisConnection(const Target& target, const Credentials& credentials,
                                 std::chrono::milliseconds timeout)
    : target_(target), credentials_(credentials), timeout_(timeout) {}

RedisConnection::~RedisConnection() { Drop(); }

void RedisConnection::Drop() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

Error RedisConnection::Fail(std::string message) {
  Drop();
  return Error{std::move(message)};
}

std::string RedisConnection::TimeoutError() const {
  return "timeout after " + std::to_string(timeout_.count()) + "ms";
}

// hiredis reports a socket timeout as EAGAIN ("Resource temporarily
// unavailable"); say what it means.
std::string RedisConnection::IoError(const char* what) {
  if (context_ != nullptr && context_->err == REDIS_ERR_IO &&
      (errno == EAGAIN || errno == EWOULDBLOCK || Clock::now() >= deadline_)) {
    return std::string(what) + ": " + TimeoutError();
  }
  // Closed by the peer (EOF, reset): worth one reconnect.
  if (context_ != nullptr && (context_->err == REDIS_ERR_EOF || context_->err == REDIS_ERR_IO)) {
    lost_ = true;
  }
  std::string detail =
      context_ != nullptr && context_->errstr[0] != '\0' ? context_->errstr : "connection error";
  return std::string(what) + ": " + detail;
}

// Waits until the socket is ready for `events` (POLLIN/POLLOUT) or the
// deadline passes (then the connection is dropped: the reply in flight is
// unusable).
Status RedisConnection::WaitReady(short events, const char* what) {
  while (true) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) return Fail(std::string(what) + ": " + TimeoutError());
    pollfd pfd{context_->fd, events, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready > 0) return {};
    if (ready < 0 && errno != EINTR) {
      return Fail(std::string(what) + ": poll: " + std::strerror(errno));
    }
  }
}

// Sends every appended command, then reads `n` replies, all within the
// deadline whatever the server sends: a server dripping one byte at a time
// is cut off when the deadline passes.
Status RedisConnection::Exchange(std::size_t n, const char* what, std::vector<ReplyPtr>* replies) {
  for (int done = 0; !done;) {
    if (redisBufferWrite(context_, &done) != REDIS_OK) return Fail(IoError(what));
    if (!done) {
      if (Status ready = WaitReady(POLLOUT, what); !ready) return ready;
    }
  }
  while (replies->size() < n) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) {
      return Fail(std::string(what) + ": protocol error: " + context_->errstr);
    }
    if (raw != nullptr) {
      replies->emplace_back(static_cast<redisReply*>(raw));
      continue;
    }
    if (Status ready = WaitReady(POLLIN, what); !ready) return ready;
    if (redisBufferRead(context_) != REDIS_OK) return Fail(IoError(what));
  }
  return {};
}

Status RedisConnection::Connect() {
  // Non-blocking: connect, AUTH and every read wait in WaitReady(), which
  // honours the deadline.
  context_ = redisConnectNonBlock(target_.host.c_str(), target_.port);
  if (context_ == nullptr) return Error{"connect: out of memory"};
  if (context_->err != 0) return Fail(IoError("connect"));
  LimitReplies(context_->reader);
  if (Status ready = WaitReady(POLLOUT, "connect"); !ready) return ready;
  int so_error = 0;
  socklen_t len = sizeof so_error;
  if (::getsockopt(context_->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
    return Fail(std::string("connect: ") + std::strerror(so_error != 0 ? so_error : errno));
  }
  if (credentials_.password.empty()) return {};
  // The password is passed as an argument, never formatted into a string
  // that could end up in an error or a log.
  if (credentials_.username.empty()) {
    redisAppendCommand(context_, "AUTH %s", credentials_.password.Reveal().c_str());
  } else {
    redisAppendCommand(context_, "AUTH %s %s", credentials_.username.c_str(),
                       credentials_.password.Reveal().c_str());
  }
  std::vector<ReplyPtr> replies;
  if (Status sent = Exchange(1, "AUTH", &replies); !sent) return sent;
  const redisReply* reply = replies.front().get();
  if (reply->type == REDIS_REPLY_ERROR) {
    // Server texts: "WRONGPASS invalid username-password pair ...",
    // "ERR AUTH <password> called without any password configured ...".
    // The latter quotes the literal "<password>", not the value.
    return Fail("AUTH failed: " + std::string(reply->str, reply->len));
  }
  return {};
}

Result<std::vector<ReplyPtr>> RedisConnection::Pipeline(const std::vector<Command>& commands,
                                                        const char* what,
                                                        Clock::time_point deadline) {
  deadline_ = deadline;
  lost_ = false;
  if (context_ == nullptr) {
    if (Status connected = Connect(); !connected) return connected.error();
  }
  for (const Command& command : commands) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
      return Fail(IoError(what));
    }
  }
  std::vector<ReplyPtr> replies;
  if (Status exchanged = Exchange(commands.size(), what, &replies); !exchanged) {
    return exchanged.error();
  }
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
