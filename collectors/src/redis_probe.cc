// Probe for engines `redis` and `redis-cluster` (hiredis).
//
// One pipelined round-trip per Collect(): INFO replication, INFO server, ROLE
// and, for redis-cluster, CLUSTER INFO, CLUSTER NODES, CLUSTER MYID. The
// connection persists across calls and is dropped after any I/O error or
// timeout, so the next call reconnects. Connect, AUTH and the whole pipeline
// share one deadline of ProbeOptions::timeout, enforced on a non-blocking
// socket whatever the server sends: a server that trickles bytes is cut off
// when it passes.

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dbtopo/base/log.h"
#include "dbtopo/collectors/probe.h"
#include "dbtopo/collectors/redis_reply.h"
#include "dbtopo/collectors/redis_reply_limits.h"
#include "redis_info_parser.h"

namespace dbtopo {
namespace {

using Clock = std::chrono::steady_clock;

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisProbe : public Probe {
 public:
  RedisProbe(const Target& target, const Credentials& credentials, const ProbeOptions& options)
      : target_(target), credentials_(credentials), options_(options) {}
  ~RedisProbe() override { Drop(); }
  RedisProbe(const RedisProbe&) = delete;
  RedisProbe& operator=(const RedisProbe&) = delete;

  Observation Collect() override {
    const Clock::time_point start = Clock::now();
    deadline_ = start + options_.timeout;
    Observation observation;
    std::string error;
    const bool reused = context_ != nullptr;
    lost_ = false;
    bool ok = Poll(&observation, &error);
    // A kept connection the server closed in between (a restart) fails at
    // once while the server is back: one fresh connection within the same
    // deadline before calling the target down.
    if (!ok && reused && lost_ && Clock::now() < deadline_) {
      observation = Observation{};
      std::string retry_error;
      ok = Poll(&observation, &retry_error);
      if (!ok) error += "; reconnect: " + retry_error;
    }
    if (!ok) {
      // Nothing half-read is served: a failed probe reports only the failure.
      observation = Observation{};
      observation.error = std::move(error);
    }
    observation.probe_duration_seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    return observation;
  }

 private:
  struct Command {
    const char* text;
    bool required;  // An error reply fails the probe.
  };

  bool Cluster() const { return target_.engine == Engine::kRedisCluster; }

  void Drop() {
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
  }

  // Waits until the socket is ready for `events` (POLLIN/POLLOUT) or the
  // probe's deadline passes (then the connection is dropped: the reply in
  // flight is unusable).
  bool WaitReady(short events, const char* what, std::string* error) {
    while (true) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
      if (left.count() <= 0) {
        *error = std::string(what) + ": " + TimeoutError();
        Drop();
        return false;
      }
      pollfd pfd{context_->fd, events, 0};
      const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) {
        *error = std::string(what) + ": poll: " + std::strerror(errno);
        Drop();
        return false;
      }
    }
  }

  // Sends every appended command, then reads `n` replies, all within the
  // deadline whatever the server sends: a server dripping one byte at a
  // time is cut off when the deadline passes.
  bool Exchange(std::size_t n, const char* what, std::vector<ReplyPtr>* replies,
                std::string* error) {
    for (int done = 0; !done;) {
      if (redisBufferWrite(context_, &done) != REDIS_OK) {
        *error = IoError(what);
        Drop();
        return false;
      }
      if (!done && !WaitReady(POLLOUT, what, error)) return false;
    }
    while (replies->size() < n) {
      void* raw = nullptr;
      if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) {
        *error = std::string(what) + ": protocol error: " + context_->errstr;
        Drop();
        return false;
      }
      if (raw != nullptr) {
        replies->emplace_back(static_cast<redisReply*>(raw));
        continue;
      }
      if (!WaitReady(POLLIN, what, error)) return false;
      if (redisBufferRead(context_) != REDIS_OK) {
        *error = IoError(what);
        Drop();
        return false;
      }
    }
    return true;
  }

  std::string TimeoutError() const {
    return "timeout after " + std::to_string(options_.timeout.count()) + "ms";
  }

  // hiredis reports a socket timeout as EAGAIN ("Resource temporarily
  // unavailable"); say what it means.
  std::string IoError(const char* what) {
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

  bool Connect(std::string* error) {
    // Non-blocking: connect, AUTH and every read wait in WaitReady(), which
    // honours the probe's deadline.
    context_ = redisConnectNonBlock(target_.host.c_str(), target_.port);
    if (context_ == nullptr) {
      *error = "connect: out of memory";
      return false;
    }
    if (context_->err != 0) {
      *error = IoError("connect");
      Drop();
      return false;
    }
    redis::LimitReplies(context_->reader);
    if (!WaitReady(POLLOUT, "connect", error)) return false;
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (::getsockopt(context_->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
      *error = std::string("connect: ") + std::strerror(so_error != 0 ? so_error : errno);
      Drop();
      return false;
    }
    if (credentials_.password.empty()) return true;
    // The password is passed as an argument, never formatted into a string
    // that could end up in an error or a log.
    if (credentials_.username.empty()) {
      redisAppendCommand(context_, "AUTH %s", credentials_.password.Reveal().c_str());
    } else {
      redisAppendCommand(context_, "AUTH %s %s", credentials_.username.c_str(),
                         credentials_.password.Reveal().c_str());
    }
    std::vector<ReplyPtr> replies;
    if (!Exchange(1, "AUTH", &replies, error)) return false;
    const redisReply* reply = replies.front().get();
    if (reply->type == REDIS_REPLY_ERROR) {
      // Server texts: "WRONGPASS invalid username-password pair ...",
      // "ERR AUTH <password> called without any password configured ...".
      // The latter quotes the literal "<password>", not the value.
      *error = "AUTH failed: " + std::string(reply->str, reply->len);
      Drop();
      return false;
    }
    return true;
  }

  bool Poll(Observation* observation, std::string* error) {
    if (context_ == nullptr && !Connect(error)) return false;

    std::vector<Command> commands = {
        {"INFO replication", true}, {"INFO server", false}, {"ROLE", false}};
    if (Cluster()) {
      commands.push_back({"CLUSTER INFO", true});
      commands.push_back({"CLUSTER NODES", true});
      commands.push_back({"CLUSTER MYID", false});
    }
    for (const Command& c : commands) {
      if (redisAppendCommand(context_, c.text) != REDIS_OK) {
        *error = IoError(c.text);
        Drop();
        return false;
      }
    }
    std::vector<ReplyPtr> replies;
    if (!Exchange(commands.size(), commands.front().text, &replies, error)) return false;

    redis::RedisReplies parsed;
    std::optional<std::string>* texts[] = {
        &parsed.info_replication, &parsed.info_server,   nullptr,
        &parsed.cluster_info,     &parsed.cluster_nodes, &parsed.cluster_myid};
    for (size_t i = 0; i < commands.size(); ++i) {
      const redisReply* reply = replies[i].get();
      if (i == 2) {
        parsed.role = redis::RoleFromReply(reply);
        continue;
      }
      auto text = redis::TextFromReply(reply);
      if (text) *texts[i] = std::move(text).value();
      if (commands[i].required && !texts[i]->has_value()) {
        // E.g. "NOPERM ...", "ERR This instance has cluster support disabled".
        // The connection is fine; keep it.
        *error = std::string(commands[i].text) + ": " +
                 (text ? "unexpected reply type" : text.error().message);
        return false;
      }
    }

    redis::FillRedis(parsed, observation);
    if (Cluster()) {
      const int bad_lines = redis::FillRedisCluster(parsed, observation);
      if (bad_lines != last_bad_lines_ && bad_lines > 0) {
        log::Warn("redis-cluster: skipped malformed CLUSTER NODES lines",
                  {{"target", target_.Key()}, {"lines", std::to_string(bad_lines)}});
      }
      last_bad_lines_ = bad_lines;
    }
    observation->up = true;
    return true;
  }

  const Target target_;
  const Credentials credentials_;
  const ProbeOptions options_;
  redisContext* context_ = nullptr;
  Clock::time_point deadline_;
  bool lost_ = false;  // The last Poll() found the connection closed by the peer.
  int last_bad_lines_ = 0;
};

}  // namespace

std::unique_ptr<Probe> MakeRedisProbe(const Target& target, const Credentials& credentials,
                                      const ProbeOptions& options) {
  return std::make_unique<RedisProbe>(target, credentials, options);
}

}  // namespace dbtopo
