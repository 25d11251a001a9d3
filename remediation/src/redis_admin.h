#pragma once

// Admin connections for the native Redis actions (switchover, CLUSTER
// FAILOVER, fence in redis_actions.cc): one connection per member and step,
// logged in with the cluster's credentials, replies read by the collectors'
// reply readers.

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actions.h"
#include "dbtopo/base/result.h"
#include "dbtopo/collectors/redis_connection.h"
#include "dbtopo/collectors/redis_reply.h"

namespace dbtopo::remediation::redis_admin {

using redis::ReplyPtr;

/// One admin connection to one member (the probes' transport: TLS when the
/// credentials say so); errors name the pod and address.
class RedisAdmin {
 public:
  explicit RedisAdmin(const MemberAccess& access) : access_(access) {}

  /// Connects, logs in and PINGs, within `timeout`; every later command has
  /// `timeout` too.
  Status Connect(std::chrono::milliseconds timeout) {
    timeout_ = timeout;
    const Credentials none;
    connection_ = std::make_unique<redis::RedisConnection>(
        access_.target, access_.credentials ? *access_.credentials : none, timeout);
    if (auto reply = RunReply({"PING"}, "connect"); !reply) return reply.error();
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
    const std::string name = Name(argv, what);
    auto replies = connection_->Pipeline({argv}, name.c_str(),
                                         redis::RedisConnection::Clock::now() + timeout_);
    if (!replies) return Error{Where() + ": " + replies.error().message};
    return std::move(replies->front());
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
  std::unique_ptr<redis::RedisConnection> connection_;
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
