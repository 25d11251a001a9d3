// Probe for engines `redis` and `redis-cluster` (hiredis).
//
// One pipelined round-trip per Collect(): INFO replication, INFO server, ROLE
// and, for redis-cluster, CLUSTER INFO, CLUSTER NODES, CLUSTER MYID. The
// connection persists across calls and is dropped after any I/O error or
// timeout, so the next call reconnects. Connect, AUTH and the whole pipeline
// share one deadline of ProbeOptions::timeout: before each read the socket
// timeout is set to what is left, so a server that trickles bytes cannot
// stretch a probe past the deadline by much.

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dbtopo/collectors/probe.h"
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

timeval ToTimeval(std::chrono::microseconds us) {
  // 0 would mean "block forever" to the socket layer.
  us = std::max(us, std::chrono::microseconds(1000));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us.count() / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(us.count() % 1000000);
  return tv;
}

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

  // Sets the socket timeout to the time left; false when none is left.
  bool ArmTimeout(std::string* error) {
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) {
      *error = TimeoutError();
      return false;
    }
    if (redisSetTimeout(context_, ToTimeval(left)) != REDIS_OK) {
      *error = "setting socket timeout failed";
      return false;
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
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - Clock::now());
    context_ = redisConnectWithTimeout(target_.host.c_str(), target_.port, ToTimeval(left));
    if (context_ == nullptr) {
      *error = "connect: out of memory";
      return false;
    }
    if (context_->err != 0) {
      *error = IoError("connect");
      Drop();
      return false;
    }
    if (credentials_.password.empty()) return true;
    if (!ArmTimeout(error)) {
      Drop();
      return false;
    }
    // The password is passed as an argument, never formatted into a string
    // that could end up in an error or a log.
    ReplyPtr reply;
    if (credentials_.username.empty()) {
      reply.reset(static_cast<redisReply*>(
          redisCommand(context_, "AUTH %s", credentials_.password.Reveal().c_str())));
    } else {
      reply.reset(static_cast<redisReply*>(redisCommand(context_, "AUTH %s %s",
                                                        credentials_.username.c_str(),
                                                        credentials_.password.Reveal().c_str())));
    }
    if (reply == nullptr) {
      *error = IoError("AUTH");
      Drop();
      return false;
    }
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
    for (const Command& c : commands) {
      if (!ArmTimeout(error)) {
        *error = std::string(c.text) + ": " + *error;
        Drop();
        return false;
      }
      void* raw = nullptr;
      if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
        *error = IoError(c.text);
        Drop();
        return false;
      }
      replies.emplace_back(static_cast<redisReply*>(raw));
    }

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
      std::string server_error;
      *texts[i] = redis::TextFromReply(reply, &server_error);
      if (commands[i].required && !texts[i]->has_value()) {
        // E.g. "NOPERM ...", "ERR This instance has cluster support disabled".
        // The connection is fine; keep it.
        *error = std::string(commands[i].text) + ": " +
                 (server_error.empty() ? "unexpected reply type" : server_error);
        return false;
      }
    }

    redis::FillRedis(parsed, observation);
    if (Cluster()) {
      const int bad_lines = redis::FillRedisCluster(parsed, observation);
      if (bad_lines != last_bad_lines_ && bad_lines > 0) {
        spdlog::warn("redis-cluster {}: skipped {} malformed CLUSTER NODES line(s)", target_.Key(),
                     bad_lines);
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
