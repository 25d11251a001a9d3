#pragma once

// Admin connections for the native Redis actions (switchover, CLUSTER
// FAILOVER, fence in redis_actions.cc): one connection per member and step,
// logged in with the cluster's credentials, replies read by the collectors'
// reply readers.

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actions.h"
#include "dbtopo/base/result.h"
#include "dbtopo/collectors/redis_reply.h"
#include "dbtopo/collectors/redis_reply_limits.h"

namespace dbtopo::remediation::redis_admin {

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

inline timeval ToTimeval(std::chrono::milliseconds ms) {
  ms = std::max(ms, std::chrono::milliseconds(1));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

/// One admin connection to one member; errors name the pod and address.
class RedisAdmin {
 public:
  explicit RedisAdmin(const MemberAccess& access) : access_(access) {}
  ~RedisAdmin() {
    if (context_ != nullptr) redisFree(context_);
  }
  RedisAdmin(const RedisAdmin&) = delete;
  RedisAdmin& operator=(const RedisAdmin&) = delete;

  Status Connect(std::chrono::milliseconds timeout) {
    timeout_ = timeout;
    context_ = redisConnectWithTimeout(access_.target.host.c_str(), access_.target.port,
                                       ToTimeval(timeout));
    if (context_ == nullptr || context_->err != 0) {
      return Error{Where() + ": connect: " +
                   (context_ != nullptr ? std::string(context_->errstr) : "out of memory")};
    }
    redis::LimitReplies(context_->reader);
    redisSetTimeout(context_, ToTimeval(timeout));
    if (access_.credentials == nullptr || access_.credentials->password.empty()) return {};
    std::vector<std::string> auth = {"AUTH"};
    if (!access_.credentials->username.empty()) auth.push_back(access_.credentials->username);
    auth.push_back(access_.credentials->password.Reveal());
    // The password is an argument, never formatted into the error.
    if (auto reply = Run(auth, "AUTH"); !reply) return reply.error();
    return {};
  }

  /// Runs argv; the reply as redis::CommandReplyText reads it. `what` names
  /// the command in errors (default argv joined). Errors name the pod and
  /// address: no answer in time, a connection error, the server's error.
  Result<std::string> Run(const std::vector<std::string>& argv, const std::string& what = "") {
    auto reply = RunReply(argv, what);
    if (!reply) return reply.error();
    auto text = redis::CommandReplyText(**reply);
    if (!text) return Error{Where() + ": " + Name(argv, what) + ": " + text.error().message};
    return text;
  }

  /// `CONFIG GET <parameter>`: its value (the second element of the reply);
  /// an error when the server does not know the parameter.
  Result<std::string> ConfigGet(const std::string& parameter) {
    auto reply = RunReply({"CONFIG", "GET", parameter}, "");
    if (!reply) return reply.error();
    const redisReply& r = **reply;
    if (r.type != REDIS_REPLY_ARRAY || r.elements != 2 ||
        r.element[1]->type != REDIS_REPLY_STRING) {
      return Error{Where() + ": CONFIG GET " + parameter + ": no such parameter"};
    }
    return std::string(r.element[1]->str, r.element[1]->len);
  }

  /// `INFO <section>` field, std::nullopt when absent.
  Result<std::optional<std::string>> InfoField(const std::string& section, const std::string& key) {
    auto text = Run({"INFO", section});
    if (!text) return text.error();
    return redis::InfoField(*text, key);
  }

  /// The raw reply of argv; an Error (naming the pod) for no answer in time
  /// or a connection error. A server error reply is a reply.
  Result<ReplyPtr> RunReply(const std::vector<std::string>& argv, const std::string& what) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const std::string& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    ReplyPtr reply(static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(args.size()), args.data(), lens.data())));
    const std::string name = Name(argv, what);
    if (reply == nullptr) {
      // hiredis reports a socket timeout as EAGAIN.
      const bool timed_out =
          context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
      return Error{Where() + ": " + name + ": " +
                   (timed_out ? "no answer within " + std::to_string(timeout_.count()) + "ms"
                    : context_->errstr[0] != '\0' ? std::string(context_->errstr)
                                                  : std::string("connection error"))};
    }
    return reply;
  }

 private:
  static std::string Name(const std::vector<std::string>& argv, const std::string& what) {
    std::string name = what;
    if (name.empty()) {
      for (const std::string& a : argv) name += (name.empty() ? "" : " ") + a;
    }
    return name;
  }

  std::string Where() const { return access_.target.pod + " (" + access_.target.Address() + ")"; }

  MemberAccess access_;
  redisContext* context_ = nullptr;
  std::chrono::milliseconds timeout_{0};
};

inline Result<std::unique_ptr<RedisAdmin>> Open(const MemberMap& members, const std::string& pod,
                                                ActionContext& ctx) {
  auto it = members.find(pod);
  if (it == members.end()) return Error{"no discovered target for pod " + pod};
  auto admin = std::make_unique<RedisAdmin>(it->second);
  if (Status connected = admin->Connect(ctx.options().statement_timeout); !connected) {
    return connected.error();
  }
  return admin;
}

inline bool RunOn(const MemberMap& members, const std::string& pod,
                  const std::vector<std::string>& argv, ActionContext& ctx, std::string* detail) {
  auto admin = Open(members, pod, ctx);
  if (!admin) {
    *detail = admin.error().message;
    return false;
  }
  if (auto ran = (*admin)->Run(argv); !ran) {
    *detail = ran.error().message;
    return false;
  }
  for (const std::string& a : argv) *detail += (detail->empty() ? "" : " ") + a;
  return true;
}

/// Waits until `cand`'s replication offset reaches `old`'s with the link up
/// (redis_actions.cc). Read errors are retried until the deadline; the last
/// one is reported in *detail.
bool WaitCatchUp(const MemberMap& members, const std::string& old, const std::string& cand,
                 ActionContext& ctx, std::string* detail);

inline bool Preflight(const MemberMap& members, const std::vector<std::string>& pods,
                      ActionContext& ctx) {
  return ctx.Step("preflight", "", StepKind::kRead, "", [&](std::string* detail) {
    for (const std::string& pod : pods) {
      if (auto admin = Open(members, pod, ctx); !admin) {
        *detail = admin.error().message;
        return false;
      }
    }
    *detail = "admin login works on every member";
    return true;
  });
}

}  // namespace dbtopo::remediation::redis_admin
