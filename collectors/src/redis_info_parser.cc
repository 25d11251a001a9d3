#include "redis_info_parser.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

#include "redis_cluster_nodes_parser.h"

namespace dbtopo::redis {
namespace {

std::optional<int> ToInt(std::optional<std::int64_t> v) {
  if (!v || *v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

// A port from INFO/ROLE: 1..65535, else 0 (unknown).
int ToPort(std::optional<std::int64_t> v) {
  return v && *v > 0 && *v <= 65535 ? static_cast<int>(*v) : 0;
}

const redisReply* Element(const redisReply* reply, size_t i) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || i >= reply->elements) {
    return nullptr;
  }
  return reply->element[i];
}

std::optional<std::int64_t> IntegerOf(const redisReply* r) {
  if (r == nullptr) return std::nullopt;
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) {
    return ParseInt64(std::string_view(r->str, r->len));
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> ParseInt64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<std::string_view> InfoReply::Get(std::string_view key) const {
  const auto it = fields.find(key);
  if (it == fields.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::optional<std::int64_t> InfoReply::GetInt(std::string_view key) const {
  const std::optional<std::string_view> v = Get(key);
  if (!v) return std::nullopt;
  return ParseInt64(*v);
}

InfoReply ParseInfo(std::string_view text) {
  InfoReply info;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() == '#') {
      std::string_view name = line.substr(1);
      while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
      info.sections.emplace_back(name);
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      ++info.bad_lines;
      continue;
    }
    info.fields.insert_or_assign(std::string(line.substr(0, colon)),
                                 std::string(line.substr(colon + 1)));
  }
  return info;
}

std::optional<RoleReply> RoleFromReply(const redisReply* reply) {
  const redisReply* kind = Element(reply, 0);
  if (kind == nullptr || (kind->type != REDIS_REPLY_STRING && kind->type != REDIS_REPLY_STATUS) ||
      kind->len == 0) {
    return std::nullopt;
  }
  RoleReply role;
  role.role.assign(kind->str, kind->len);
  if (role.role == "master") {
    role.offset = IntegerOf(Element(reply, 1));
  } else if (role.role == "slave") {
    const redisReply* host = Element(reply, 1);
    if (host != nullptr && host->type == REDIS_REPLY_STRING)
      role.master_host.assign(host->str, host->len);
    role.master_port = ToPort(IntegerOf(Element(reply, 2)));
    const redisReply* state = Element(reply, 3);
    if (state != nullptr && state->type == REDIS_REPLY_STRING)
      role.state.assign(state->str, state->len);
    role.offset = IntegerOf(Element(reply, 4));
  }
  return role;
}

void FillRedis(const RedisReplies& replies, Observation* observation) {
  const InfoReply server = ParseInfo(replies.info_server.value_or(""));
  if (const auto version = server.Get("redis_version")) observation->version = *version;

  const InfoReply info = ParseInfo(replies.info_replication.value_or(""));
  const std::optional<RoleReply>& role_reply = replies.role;
  RedisReplicationInfo redis;
  if (const auto role = info.Get("role"); role && !role->empty()) {
    redis.role = *role;
  } else if (role_reply) {
    redis.role = role_reply->role;
  }
  redis.master_replid = info.Get("master_replid").value_or("");
  redis.master_replid2 = info.Get("master_replid2").value_or("");
  redis.master_repl_offset = info.GetInt("master_repl_offset");
  if (!redis.master_repl_offset && role_reply && role_reply->role == "master") {
    redis.master_repl_offset = role_reply->offset;
  }
  redis.connected_replicas = ToInt(info.GetInt("connected_slaves"));
  const bool said_anything = !info.fields.empty() || role_reply.has_value();
  if (!said_anything) return;

  if (redis.role == "master" || redis.role == "slave")
    observation->writable = redis.role == "master";

  if (redis.role == "slave") {
    ReplicationChannel channel;
    const bool role_is_replica = role_reply && role_reply->role == "slave";
    if (const auto host = info.Get("master_host")) {
      channel.source_host = *host;
    } else if (role_is_replica) {
      channel.source_host = role_reply->master_host;
    }
    channel.source_port = ToPort(info.GetInt("master_port"));
    if (channel.source_port == 0 && role_is_replica) channel.source_port = role_reply->master_port;
    if (const auto status = info.Get("master_link_status")) {
      channel.io_state = *status;
      if (*status == "up" || *status == "down") channel.io_running = *status == "up";
    } else if (role_is_replica && !role_reply->state.empty()) {
      channel.io_state = role_reply->state;
      channel.io_running = role_reply->state == "connected";
    }
    if (const auto ago = info.GetInt("master_last_io_seconds_ago"); ago && *ago >= 0) {
      channel.last_io_seconds_ago = static_cast<double>(*ago);
    }
    const std::optional<std::int64_t> heard = redis.master_repl_offset;
    const std::optional<std::int64_t> applied = info.GetInt("slave_repl_offset");
    if (channel.io_running == true && heard && applied && *heard >= 0 && *applied >= 0) {
      channel.lag_bytes = std::max<std::int64_t>(0, *heard - *applied);
    }
    observation->channels.push_back(std::move(channel));
  }
  observation->redis = std::move(redis);
}

int FillRedisCluster(const RedisReplies& replies, Observation* observation) {
  if (!replies.cluster_info && !replies.cluster_nodes) return 0;
  RedisClusterInfo cluster;
  const InfoReply info = ParseInfo(replies.cluster_info.value_or(""));
  if (const auto state = info.Get("cluster_state"); state == "ok" || state == "fail") {
    cluster.state_ok = (*state == "ok");
  }
  cluster.slots_assigned = ToInt(info.GetInt("cluster_slots_assigned"));
  cluster.slots_ok = ToInt(info.GetInt("cluster_slots_ok"));
  cluster.slots_pfail = ToInt(info.GetInt("cluster_slots_pfail"));
  cluster.slots_fail = ToInt(info.GetInt("cluster_slots_fail"));
  cluster.known_nodes = ToInt(info.GetInt("cluster_known_nodes"));
  cluster.size = ToInt(info.GetInt("cluster_size"));
  cluster.current_epoch = info.GetInt("cluster_current_epoch");
  cluster.my_epoch = info.GetInt("cluster_my_epoch");

  ClusterNodesReply nodes = ParseClusterNodes(replies.cluster_nodes.value_or(""));
  cluster.nodes = std::move(nodes.nodes);

  std::string myid = replies.cluster_myid.value_or("");
  while (!myid.empty() && (myid.back() == '\n' || myid.back() == '\r')) myid.pop_back();
  if (myid.empty()) {
    const auto self = std::find_if(cluster.nodes.begin(), cluster.nodes.end(),
                                   [](const RedisClusterNode& n) { return n.HasFlag("myself"); });
    if (self != cluster.nodes.end()) myid = self->id;
  }
  cluster.myid = std::move(myid);
  observation->redis_cluster = std::move(cluster);
  return nodes.bad_lines;
}

}  // namespace dbtopo::redis
