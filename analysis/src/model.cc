#include "dbtopo/analysis/model.h"

#include <algorithm>
#include <map>

#include "dbtopo/analysis/engines.h"
#include "dbtopo/base/utf8.h"

namespace dbtopo {

const char* EngineName(Engine engine) { return Traits(engine).name; }

std::optional<Engine> ParseEngine(const std::string& name) {
  for (Engine engine : AllEngines()) {
    if (name == Traits(engine).name) return engine;
  }
  return std::nullopt;
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kPrimary:
      return "primary";
    case Role::kReplica:
      return "replica";
    case Role::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string Target::Address() const { return host + ":" + std::to_string(port); }

std::string Target::Key() const {
  return unit.ns + "/" + unit.db_cluster + "/" + unit.component + "/" + pod;
}

bool RedisClusterNode::HasFlag(const std::string& flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

bool SentinelMaster::HasFlag(const std::string& flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::string SentinelMaster::Address() const { return host + ":" + std::to_string(port); }

namespace utf8 {
namespace {

std::size_t SanitizeSentinel(SentinelInfo& info) {
  std::size_t n = 0;
  for (SentinelMaster& m : info.masters) {
    n += Sanitize(m.name) + Sanitize(m.host) + Sanitize(m.quorum_message);
    for (std::string& flag : m.flags) n += Sanitize(flag);
    for (auto* peers : {&m.replicas, &m.sentinels}) {
      if (!*peers) continue;
      for (SentinelPeer& p : **peers) {
        n += Sanitize(p.host) + Sanitize(p.master_link_status);
        for (std::string& flag : p.flags) n += Sanitize(flag);
      }
    }
  }
  return n;
}

}  // namespace

std::size_t SanitizeMember(Member& member) {
  std::size_t n = 0;
  Target& t = member.target;
  for (std::string* s : {&t.unit.ns, &t.unit.db_cluster, &t.unit.component, &t.pod, &t.host,
                         &t.role_label_value, &t.sentinel_for}) {
    n += Sanitize(*s);
  }
  std::map<std::string, std::string> labels;
  for (const auto& [k, v] : t.labels) {
    std::string key = k, value = v;
    n += Sanitize(key) + Sanitize(value);
    labels.emplace(std::move(key), std::move(value));
  }
  t.labels = std::move(labels);
  Observation& o = member.observation;
  for (std::string* s :
       {&o.error, &o.server_uuid, &o.gtid_executed, &o.gtid_binlog_state, &o.version}) {
    n += Sanitize(*s);
  }
  for (ReplicationChannel& c : o.channels) {
    for (std::string* s : {&c.name, &c.source_host, &c.io_state, &c.last_io_error,
                           &c.last_sql_error, &c.gtid_mode}) {
      n += Sanitize(*s);
    }
  }
  if (o.redis) {
    for (std::string* s : {&o.redis->role, &o.redis->master_replid, &o.redis->master_replid2}) {
      n += Sanitize(*s);
    }
  }
  if (o.redis_cluster) {
    n += Sanitize(o.redis_cluster->myid);
    for (RedisClusterNode& node : o.redis_cluster->nodes) {
      for (std::string* s : {&node.id, &node.host, &node.hostname, &node.master_id}) {
        n += Sanitize(*s);
      }
      for (std::string& flag : node.flags) n += Sanitize(flag);
    }
  }
  if (o.sentinel) n += SanitizeSentinel(*o.sentinel);
  return n;
}

}  // namespace utf8

}  // namespace dbtopo
