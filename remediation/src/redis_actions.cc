// Native Redis actions: switchover of a replication set, CLUSTER FAILOVER for
// a Redis Cluster shard, and fence.
//
// Admin connections log in with the cluster's `credentials`. Besides the
// probe's commands that user needs: +replicaof +client|pause +client|unpause
// (replication set), +cluster|failover (Redis Cluster). Replicas authenticate
// to their new master with their own `masterauth` (server config), which
// remediation never changes. See docs/remediation.md.

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "actions.h"
#include "dbtopo/collectors/redis_reply.h"
#include "dbtopo/collectors/redis_reply_limits.h"

namespace dbtopo::remediation {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval ToTimeval(std::chrono::milliseconds ms) {
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
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const std::string& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    ReplyPtr reply(static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(args.size()), args.data(), lens.data())));
    std::string name = what;
    if (name.empty()) {
      for (const std::string& a : argv) name += (name.empty() ? "" : " ") + a;
    }
    if (reply == nullptr) {
      // hiredis reports a socket timeout as EAGAIN.
      const bool timed_out =
          context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
      return Error{Where() + ": " + name + ": " +
                   (timed_out ? "no answer within " + std::to_string(timeout_.count()) + "ms"
                    : context_->errstr[0] != '\0' ? std::string(context_->errstr)
                                                  : std::string("connection error"))};
    }
    auto text = redis::CommandReplyText(*reply);
    if (!text) return Error{Where() + ": " + name + ": " + text.error().message};
    return text;
  }

  /// `INFO <section>` field, std::nullopt when absent.
  Result<std::optional<std::string>> InfoField(const std::string& section, const std::string& key) {
    auto text = Run({"INFO", section});
    if (!text) return text.error();
    return redis::InfoField(*text, key);
  }

 private:
  std::string Where() const { return access_.target.pod + " (" + access_.target.Address() + ")"; }

  MemberAccess access_;
  redisContext* context_ = nullptr;
  std::chrono::milliseconds timeout_{0};
};

Result<std::unique_ptr<RedisAdmin>> Open(const MemberMap& members, const std::string& pod,
                                         ActionContext& ctx) {
  auto it = members.find(pod);
  if (it == members.end()) return Error{"no discovered target for pod " + pod};
  auto admin = std::make_unique<RedisAdmin>(it->second);
  if (Status connected = admin->Connect(ctx.options().statement_timeout); !connected) {
    return connected.error();
  }
  return admin;
}

bool RunOn(const MemberMap& members, const std::string& pod, const std::vector<std::string>& argv,
           ActionContext& ctx, std::string* detail) {
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

bool Preflight(const MemberMap& members, const std::vector<std::string>& pods, ActionContext& ctx) {
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

std::string Joined(const std::vector<std::string>& pods) {
  std::string out;
  for (const std::string& p : pods) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

ActionOutcome RedisSwitchover(const SwitchoverPlan& plan, const MemberMap& members,
                              ActionContext& ctx) {
  ActionOutcome out;
  const std::string& old = plan.old_primary;
  const std::string& cand = plan.candidate;
  const Target& ct = members.at(cand).target;
  const std::vector<std::string> replicaof = {"REPLICAOF", ct.host, std::to_string(ct.port)};
  std::vector<std::string> pods;
  for (const auto& [pod, access] : members) pods.push_back(pod);
  if (!Preflight(members, pods, ctx)) {
    out.summary = ctx.failed_detail();
    return out;
  }
  bool paused = false;
  auto unpause = [&] {
    if (!paused) return;
    ctx.Step("unpause_writes", old, StepKind::kCleanup, "", [&](std::string* detail) {
      return RunOn(members, old, {"CLIENT", "UNPAUSE"}, ctx, detail);
    });
  };
  if (!plan.resume) {
    // 1. Stop writes on the old master so the candidate can catch up with a
    // final offset. The pause ends by itself at the deadline.
    if (!ctx.Step("pause_writes", old, StepKind::kChange,
                  "would run CLIENT PAUSE <timeout> WRITE on " + old, [&](std::string* detail) {
                    paused = true;
                    return RunOn(
                        members, old,
                        {"CLIENT", "PAUSE",
                         std::to_string(std::max<long long>(1, ctx.Remaining().count())), "WRITE"},
                        ctx, detail);
                  })) {
      unpause();
      out.summary = ctx.failed_detail();
      out.recovery = "nothing was changed; " + old + " accepts writes again (CLIENT UNPAUSE)";
      return out;
    }
    // 2. Wait until the candidate's offset reaches the old master's.
    if (!ctx.Step("wait_catch_up", cand, StepKind::kChange,
                  "would wait until " + cand + "'s replication offset matches " + old + "'s",
                  [&](std::string* detail) {
                    // Read errors (a slow or restarting server) are retried
                    // until the deadline; the last one is reported.
                    std::string error;
                    std::unique_ptr<RedisAdmin> master, replica;
                    std::optional<std::string> master_offset, replica_offset, link;
                    // One field into `*value`; false (with `error` set) when it cannot be read.
                    auto read = [&error](RedisAdmin& admin, const char* key,
                                         std::optional<std::string>* value) {
                      auto field = admin.InfoField("replication", key);
                      if (!field) error = field.error().message;
                      if (field) *value = *field;
                      return field.ok();
                    };
                    auto open = [&](const std::string& pod, std::unique_ptr<RedisAdmin>* admin) {
                      auto opened = Open(members, pod, ctx);
                      if (!opened) error = opened.error().message;
                      if (opened) *admin = std::move(opened).value();
                    };
                    while (true) {
                      if (!master) open(old, &master);
                      if (master && !replica) open(cand, &replica);
                      if (master && replica) {
                        if (!read(*master, "master_repl_offset", &master_offset)) {
                          master.reset();
                        } else if (!read(*replica, "slave_repl_offset", &replica_offset) ||
                                   !read(*replica, "master_link_status", &link)) {
                          replica.reset();
                        } else {
                          error.clear();
                          if (master_offset && master_offset == replica_offset && link == "up") {
                            *detail = cand + " reached offset " + *master_offset;
                            return true;
                          }
                        }
                      }
                      if (ctx.Expired()) {
                        *detail = "timeout: " + cand + " at offset " +
                                  replica_offset.value_or("?") + " (link " + link.value_or("?") +
                                  "), " + old + " at " + master_offset.value_or("?") +
                                  (error.empty() ? "" : "; last error: " + error);
                        return false;
                      }
                      std::this_thread::sleep_for(std::chrono::milliseconds(20));
                    }
                  })) {
      unpause();
      out.summary = ctx.failed_detail();
      out.recovery = "nothing was changed on " + cand + "; " + old +
                     " accepts writes again; retry when " + cand + " can catch up";
      return out;
    }
    // 3. Promote.
    if (!ctx.Step("promote", cand, StepKind::kChange, "would run REPLICAOF NO ONE on " + cand,
                  [&](std::string* detail) {
                    return RunOn(members, cand, {"REPLICAOF", "NO", "ONE"}, ctx, detail);
                  })) {
      unpause();
      out.summary = ctx.failed_detail();
      out.recovery = "check ROLE on " + cand + "; if it is a master now, REPLICAOF " + ct.host +
                     " " + std::to_string(ct.port) + " on the others, else nothing changed";
      return out;
    }
  }
  // 4. Re-point the old master, then let its clients go (they now get
  // READONLY errors instead of hanging), then the others.
  std::vector<std::string> failed;
  const std::string plan_text =
      "would run REPLICAOF " + ct.host + " " + std::to_string(ct.port) + " on ";
  if (!old.empty()) {
    if (!ctx.Step("repoint", old, StepKind::kChange, plan_text + old, [&](std::string* detail) {
          return RunOn(members, old, replicaof, ctx, detail);
        })) {
      failed.push_back(old);
    } else {
      unpause();
    }
  }
  for (const auto& other : plan.others) {
    const std::string& pod =
        other.first;  // A named copy: lambdas cannot capture bindings in clang 14.
    if (!ctx.Step("repoint", pod, StepKind::kChange, plan_text + pod, [&](std::string* detail) {
          return RunOn(members, pod, replicaof, ctx, detail);
        })) {
      failed.push_back(pod);
    }
  }
  const bool verified = VerifySwitchoverStep(cand, ctx);
  out.ok = verified && failed.empty() && ctx.failed_step().empty();
  if (out.ok) {
    out.summary = cand + " is the master; the others replicate from it";
    return out;
  }
  out.summary = ctx.failed_detail();
  out.recovery = cand + " is the new master. " +
                 (failed.empty() ? std::string("")
                                 : "Run REPLICAOF " + ct.host + " " + std::to_string(ct.port) +
                                       " on " + Joined(failed) + " (" + old +
                                       " stays paused for writes until the timeout). ") +
                 "POST /api/v1/switchover again with candidate " + cand + " to finish";
  return out;
}

ActionOutcome RedisClusterFailover(const SwitchoverPlan& plan, const MemberMap& members,
                                   ActionContext& ctx) {
  ActionOutcome out;
  const std::string& cand = plan.candidate;
  if (!Preflight(members, {cand}, ctx)) {
    out.summary = ctx.failed_detail();
    return out;
  }
  if (!ctx.Step("cluster_failover", cand, StepKind::kChange,
                "would run CLUSTER FAILOVER on " + cand, [&](std::string* detail) {
                  return RunOn(members, cand, {"CLUSTER", "FAILOVER"}, ctx, detail);
                })) {
    out.summary = ctx.failed_detail();
    out.recovery = "nothing was changed (CLUSTER FAILOVER was refused)";
    return out;
  }
  if (!ctx.Step("wait_promotion", cand, StepKind::kChange,
                "would wait until ROLE on " + cand + " says master", [&](std::string* detail) {
                  auto admin = Open(members, cand, ctx);
                  if (!admin) {
                    *detail = admin.error().message;
                    return false;
                  }
                  while (true) {
                    auto ran = (*admin)->Run({"ROLE"});
                    if (!ran) {
                      *detail = ran.error().message;
                      return false;
                    }
                    const std::string& role = *ran;
                    if (role == "master") {
                      *detail = cand + " took over its master's slots (ROLE master)";
                      return true;
                    }
                    if (ctx.Expired()) {
                      *detail = "timeout: " + cand + " is still " + role +
                                " (a manual failover aborts after 5 s when the master does not "
                                "hand over)";
                      return false;
                    }
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                  }
                })) {
    out.summary = ctx.failed_detail();
    out.recovery = "check ROLE / CLUSTER NODES on " + cand + " and " + plan.old_primary +
                   "; an unfinished manual failover changes nothing and can be retried";
    return out;
  }
  out.ok = VerifySwitchoverStep(cand, ctx);
  out.summary = out.ok
                    ? cand + " is the shard's master; " + plan.old_primary + " replicates from it"
                    : ctx.failed_detail();
  if (!out.ok) {
    out.recovery = cand + " is master; CLUSTER NODES should show " + plan.old_primary +
                   " as its replica once gossip converges";
  }
  return out;
}

ActionOutcome RedisFence(const FencePlan& plan, const MemberMap& members, ActionContext& ctx) {
  ActionOutcome out;
  const Target& legit = members.at(plan.legit_primary).target;
  const std::vector<std::string> replicaof = {"REPLICAOF", legit.host, std::to_string(legit.port)};
  std::vector<std::string> failed;
  for (const std::string& pod : plan.strays) {
    if (!ctx.Step(
            "replicaof_primary", pod, StepKind::kChange,
            "would run REPLICAOF " + legit.host + " " + std::to_string(legit.port) + " on " + pod +
                " and nothing else",
            [&](std::string* detail) { return RunOn(members, pod, replicaof, ctx, detail); })) {
      failed.push_back(pod);
    }
  }
  const bool verified = ctx.Step(
      "verify", "", StepKind::kChange, "would re-read the unit until no fenced pod is a master",
      [&](std::string* detail) {
        const std::string problem =
            ctx.WaitFor([&](const UnitView& unit) { return VerifyFence(unit, plan.strays); });
        *detail = problem.empty() ? "no fenced pod is a master" : "timeout: " + problem;
        return problem.empty();
      });
  out.ok = failed.empty() && verified;
  out.summary =
      out.ok ? "fenced " + Joined(plan.strays) + " (now replicas of " + plan.legit_primary + ")"
             : ctx.failed_detail();
  if (!out.ok) {
    out.recovery = "run REPLICAOF " + legit.host + " " + std::to_string(legit.port) + " on " +
                   Joined(plan.strays) + " by hand; " + plan.legit_primary + " was not touched";
  }
  return out;
}

}  // namespace dbtopo::remediation
