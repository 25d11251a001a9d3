// Probe for engines `redis` and `redis-cluster` (hiredis).
//
// One pipelined round-trip per Collect(): INFO replication, INFO server, ROLE
// and, for redis-cluster, CLUSTER INFO, CLUSTER NODES, CLUSTER MYID, over a
// kept RedisConnection (one deadline of ProbeOptions::timeout for connect,
// AUTH and the pipeline).

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dbtopo/base/log.h"
#include "dbtopo/collectors/probe.h"
#include "dbtopo/collectors/redis_reply.h"
#include "dbtopo/collectors/redis_connection.h"
#include "redis_info_parser.h"

namespace dbtopo {
namespace {

class RedisProbe : public Probe {
 public:
  RedisProbe(const Target& target, const Credentials& credentials, const ProbeOptions& options)
      : target_(target), options_(options), connection_(target, credentials, options.timeout) {}

  Observation Collect() override {
    return redis::CollectWithReconnect(
        connection_, options_.timeout,
        [this](redis::RedisConnection::Clock::time_point deadline, Observation* observation) {
          return Poll(deadline, observation);
        });
  }

 private:
  struct Step {
    const char* text;  // For errors.
    redis::Command command;
    bool required;  // An error reply fails the probe.
  };

  bool Cluster() const { return target_.engine == Engine::kRedisCluster; }

  Status Poll(redis::RedisConnection::Clock::time_point deadline, Observation* observation) {
    std::vector<Step> steps = {{"INFO replication", {"INFO", "replication"}, true},
                               {"INFO server", {"INFO", "server"}, false},
                               {"ROLE", {"ROLE"}, false}};
    if (Cluster()) {
      steps.push_back({"CLUSTER INFO", {"CLUSTER", "INFO"}, true});
      steps.push_back({"CLUSTER NODES", {"CLUSTER", "NODES"}, true});
      steps.push_back({"CLUSTER MYID", {"CLUSTER", "MYID"}, false});
    }
    std::vector<redis::Command> commands;
    for (const Step& step : steps) commands.push_back(step.command);
    auto replies = connection_.Pipeline(commands, steps.front().text, deadline);
    if (!replies) return replies.error();

    redis::RedisReplies parsed;
    std::optional<std::string>* texts[] = {
        &parsed.info_replication, &parsed.info_server,   nullptr,
        &parsed.cluster_info,     &parsed.cluster_nodes, &parsed.cluster_myid};
    for (size_t i = 0; i < steps.size(); ++i) {
      const redisReply* reply = (*replies)[i].get();
      if (i == 2) {
        parsed.role = redis::RoleFromReply(reply);
        continue;
      }
      auto text = redis::TextFromReply(reply);
      if (text) *texts[i] = std::move(text).value();
      if (steps[i].required && !texts[i]->has_value()) {
        // E.g. "NOPERM ...", "ERR This instance has cluster support disabled".
        // The connection is fine; keep it.
        return Error{std::string(steps[i].text) + ": " +
                     (text ? "unexpected reply type" : text.error().message)};
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
    return {};
  }

  const Target target_;
  const ProbeOptions options_;
  redis::RedisConnection connection_;
  int last_bad_lines_ = 0;
};

}  // namespace

std::unique_ptr<Probe> MakeRedisProbe(const Target& target, const Credentials& credentials,
                                      const ProbeOptions& options) {
  return std::make_unique<RedisProbe>(target, credentials, options);
}

}  // namespace dbtopo
