#include "sentinel_parser.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <limits>
#include <string_view>

#include "redis_info_parser.h"

namespace dbtopo::redis {
namespace {

// One entry of SENTINEL MASTERS / REPLICAS / SENTINELS: a flat array of
// name, value, name, value... (RESP2). Values that are not strings are left
// out; a trailing name without a value is ignored.
using Fields = std::map<std::string, std::string, std::less<>>;

std::optional<std::string_view> StringOf(const redisReply* r) {
  if (r == nullptr || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) {
    return std::nullopt;
  }
  return std::string_view(r->str, r->len);
}

std::optional<Fields> FieldsOf(const redisReply* entry) {
  if (entry == nullptr || entry->type != REDIS_REPLY_ARRAY) return std::nullopt;
  Fields fields;
  for (std::size_t i = 0; i + 1 < entry->elements; i += 2) {
    const auto name = StringOf(entry->element[i]);
    const auto value = StringOf(entry->element[i + 1]);
    if (name && value) fields[std::string(*name)] = std::string(*value);
  }
  return fields;
}

std::vector<const redisReply*> Entries(const redisReply* reply) {
  std::vector<const redisReply*> out;
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) return out;
  for (std::size_t i = 0; i < reply->elements; ++i) out.push_back(reply->element[i]);
  return out;
}

std::string Get(const Fields& fields, std::string_view key) {
  const auto it = fields.find(key);
  return it == fields.end() ? "" : it->second;
}

std::optional<std::int64_t> GetInt(const Fields& fields, std::string_view key) {
  const auto it = fields.find(key);
  if (it == fields.end()) return std::nullopt;
  return ParseInt64(it->second);
}

std::optional<int> GetSmallInt(const Fields& fields, std::string_view key) {
  const auto v = GetInt(fields, key);
  if (!v || *v < 0 || *v > std::numeric_limits<int>::max()) return std::nullopt;
  return static_cast<int>(*v);
}

int GetPort(const Fields& fields) {
  const auto v = GetInt(fields, "port");
  return v && *v > 0 && *v <= 65535 ? static_cast<int>(*v) : 0;
}

std::vector<std::string> SplitFlags(std::string_view text) {
  std::vector<std::string> flags;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view flag = text.substr(0, comma);
    if (!flag.empty()) flags.emplace_back(flag);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return flags;
}

void FillQuorum(const redisReply* reply, SentinelMaster* master) {
  if (reply == nullptr) return;
  // "+OK 3 usable Sentinels. Quorum and failover authorization can be
  // reached"; "-NOQUORUM 1 usable Sentinels. Not enough available ...".
  if (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_STRING) {
    master->quorum_ok = true;
  } else if (reply->type == REDIS_REPLY_ERROR) {
    master->quorum_ok = false;
  } else {
    return;
  }
  master->quorum_message.assign(reply->str, reply->len);
}

SentinelMaster MasterOf(const Fields& fields, const SentinelMasterReplies* more) {
  SentinelMaster master;
  master.name = Get(fields, "name");
  master.host = Get(fields, "ip");
  master.port = GetPort(fields);
  master.flags = SplitFlags(Get(fields, "flags"));
  master.config_epoch = GetInt(fields, "config-epoch");
  master.quorum = GetSmallInt(fields, "quorum");
  master.num_replicas = GetSmallInt(fields, "num-slaves");
  master.num_other_sentinels = GetSmallInt(fields, "num-other-sentinels");
  if (more != nullptr) {
    FillQuorum(more->ckquorum, &master);
    master.replicas = PeersFromReply(more->replicas);
    master.sentinels = PeersFromReply(more->sentinels);
  }
  return master;
}

}  // namespace

std::vector<std::string> MasterNames(const redisReply* masters) {
  std::vector<std::string> names;
  for (const redisReply* entry : Entries(masters)) {
    const auto fields = FieldsOf(entry);
    if (fields && fields->count("name") > 0) names.push_back(fields->at("name"));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::optional<std::vector<SentinelPeer>> PeersFromReply(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) return std::nullopt;
  std::vector<SentinelPeer> peers;
  for (const redisReply* entry : Entries(reply)) {
    const auto fields = FieldsOf(entry);
    if (!fields) continue;
    SentinelPeer peer;
    peer.host = Get(*fields, "ip");
    peer.port = GetPort(*fields);
    peer.flags = SplitFlags(Get(*fields, "flags"));
    peer.master_link_status = Get(*fields, "master-link-status");
    peer.replica_priority = GetSmallInt(*fields, "slave-priority");
    peers.push_back(std::move(peer));
  }
  return peers;
}

void FillSentinel(const SentinelReplies& replies, Observation* observation) {
  const bool masters_read =
      replies.masters != nullptr && replies.masters->type == REDIS_REPLY_ARRAY;
  if (!replies.info_sentinel && !masters_read) return;
  SentinelInfo info;
  if (replies.info_sentinel) {
    const InfoReply parsed = ParseInfo(*replies.info_sentinel);
    if (const auto tilt = parsed.GetInt("sentinel_tilt"); tilt && (*tilt == 0 || *tilt == 1)) {
      info.tilt = *tilt == 1;
    }
    if (const auto n = parsed.GetInt("sentinel_masters"); n && *n >= 0 && *n <= 1 << 20) {
      info.masters_count = static_cast<int>(*n);
    }
  }
  for (const redisReply* entry : Entries(replies.masters)) {
    const auto fields = FieldsOf(entry);
    if (!fields || Get(*fields, "name").empty()) continue;
    const auto more = replies.per_master.find(Get(*fields, "name"));
    info.masters.push_back(
        MasterOf(*fields, more == replies.per_master.end() ? nullptr : &more->second));
  }
  std::sort(info.masters.begin(), info.masters.end(),
            [](const SentinelMaster& a, const SentinelMaster& b) { return a.name < b.name; });
  observation->sentinel = std::move(info);
}

}  // namespace dbtopo::redis
