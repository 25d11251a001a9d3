// Probe for engine `redis-sentinel` (hiredis).
//
// One pipelined round-trip per Collect() in the steady state: INFO sentinel,
// INFO server, SENTINEL MASTERS and, for every master the sentinel monitored
// last time, SENTINEL REPLICAS, SENTINEL SENTINELS and SENTINEL CKQUORUM.
// A master that appears in SENTINEL MASTERS and was not asked about (the
// first probe, or a master added since) gets its three commands in a second
// pipeline within the same deadline. The connection is a kept
// RedisConnection, as for Redis.

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dbtopo/collectors/probe.h"
#include "dbtopo/collectors/redis_reply.h"
#include "dbtopo/collectors/redis_connection.h"
#include "sentinel_parser.h"

namespace dbtopo {
namespace {

using redis::Command;
using redis::RedisConnection;
using redis::ReplyPtr;

// The three commands asked per monitored master, in this order.
constexpr int kPerMaster = 3;

void AppendPerMaster(const std::string& name, std::vector<Command>* commands) {
  commands->push_back({"SENTINEL", "REPLICAS", name});
  commands->push_back({"SENTINEL", "SENTINELS", name});
  commands->push_back({"SENTINEL", "CKQUORUM", name});
}

void TakePerMaster(const std::vector<std::string>& names, const std::vector<ReplyPtr>& replies,
                   std::size_t first, redis::SentinelReplies* parsed) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::size_t at = first + i * kPerMaster;
    parsed->per_master[names[i]] = {replies[at].get(), replies[at + 1].get(),
                                    replies[at + 2].get()};
  }
}

class SentinelProbe : public Probe {
 public:
  SentinelProbe(const Target& target, const Credentials& credentials, const ProbeOptions& options)
      : options_(options), connection_(target, credentials, options.timeout) {}

  Observation Collect() override {
    return redis::CollectWithReconnect(
        connection_, options_.timeout,
        [this](RedisConnection::Clock::time_point deadline, Observation* observation) {
          return Poll(deadline, observation);
        });
  }

 private:
  Status Poll(RedisConnection::Clock::time_point deadline, Observation* observation) {
    std::vector<Command> commands = {
        {"INFO", "sentinel"}, {"INFO", "server"}, {"SENTINEL", "MASTERS"}};
    for (const std::string& name : known_masters_) AppendPerMaster(name, &commands);
    auto replies = connection_.Pipeline(commands, "SENTINEL MASTERS", deadline);
    if (!replies) return replies.error();

    redis::SentinelReplies parsed;
    if (auto text = redis::TextFromReply((*replies)[0].get()); text) {
      parsed.info_sentinel = std::move(text).value();
    }
    const redisReply* masters = (*replies)[2].get();
    if (masters->type != REDIS_REPLY_ARRAY) {
      // E.g. "ERR unknown command 'SENTINEL'": a Redis server, not a sentinel.
      const std::string detail = masters->type == REDIS_REPLY_ERROR
                                     ? std::string(masters->str, masters->len)
                                     : "unexpected reply type";
      return Error{"SENTINEL MASTERS: " + detail};
    }
    parsed.masters = masters;
    TakePerMaster(known_masters_, *replies, 3, &parsed);

    // Masters not asked about this round: one more pipeline for them.
    const std::vector<std::string> names = redis::MasterNames(masters);
    std::vector<std::string> unasked;
    std::set_difference(names.begin(), names.end(), known_masters_.begin(), known_masters_.end(),
                        std::back_inserter(unasked));
    std::vector<ReplyPtr> more;
    if (!unasked.empty()) {
      std::vector<Command> per_master;
      for (const std::string& name : unasked) AppendPerMaster(name, &per_master);
      auto extra = connection_.Pipeline(per_master, "SENTINEL REPLICAS", deadline);
      if (!extra) return extra.error();
      more = std::move(extra).value();
      TakePerMaster(unasked, more, 0, &parsed);
    }
    known_masters_ = names;

    redis::FillSentinel(parsed, observation);
    if (auto server = redis::TextFromReply((*replies)[1].get()); server && server->has_value()) {
      observation->version = redis::InfoField(**server, "redis_version").value_or("");
    }
    observation->up = true;
    return {};
  }

  const ProbeOptions options_;
  RedisConnection connection_;
  // Master names of the last SENTINEL MASTERS, sorted.
  std::vector<std::string> known_masters_;
};

}  // namespace

std::unique_ptr<Probe> MakeSentinelProbe(const Target& target, const Credentials& credentials,
                                         const ProbeOptions& options) {
  return std::make_unique<SentinelProbe>(target, credentials, options);
}

}  // namespace dbtopo
