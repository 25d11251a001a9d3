#include "topology_json.h"

#include <nlohmann/json.hpp>

#include "dbtopo/base/secret.h"

namespace dbtopo {
namespace {

using nlohmann::json;

template <typename T>
json OrNull(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json ChannelJson(const ChannelView& view) {
  const ReplicationChannel& ch = view.channel;
  return {{"name", ch.name},
          {"source", ch.source_host + ":" + std::to_string(ch.source_port)},
          {"source_pod", view.source_pod},
          {"source_valid", OrNull(view.source_valid)},
          {"link_up", view.link_up},
          {"io_running", OrNull(ch.io_running)},
          {"io_state", ch.io_state},
          {"sql_running", OrNull(ch.sql_running)},
          {"lag_seconds", OrNull(ch.lag_seconds)},
          {"configured_delay_seconds", OrNull(ch.configured_delay_seconds)},
          {"lag_bytes", OrNull(ch.lag_bytes)},
          {"last_io_errno", ch.last_io_errno},
          {"last_io_error", ch.last_io_error},
          {"last_sql_errno", ch.last_sql_errno},
          {"last_sql_error", ch.last_sql_error},
          {"gtid_mode", ch.gtid_mode}};
}

json PeersJson(const std::optional<std::vector<SentinelPeer>>& peers) {
  if (!peers) return nullptr;
  json out = json::array();
  for (const SentinelPeer& p : *peers) {
    out.push_back({{"address", p.host + ":" + std::to_string(p.port)},
                   {"flags", p.flags},
                   {"master_link_status", p.master_link_status}});
  }
  return out;
}

// What the sentinel itself says (INFO sentinel, SENTINEL MASTERS and the
// per-master replies).
json SentinelJson(const SentinelInfo& info) {
  json masters = json::array();
  for (const SentinelMaster& m : info.masters) {
    masters.push_back({{"name", m.name},
                       {"address", m.Address()},
                       {"flags", m.flags},
                       {"config_epoch", OrNull(m.config_epoch)},
                       {"quorum", OrNull(m.quorum)},
                       {"quorum_ok", OrNull(m.quorum_ok)},
                       {"quorum_message", m.quorum_message},
                       {"num_replicas", OrNull(m.num_replicas)},
                       {"num_other_sentinels", OrNull(m.num_other_sentinels)},
                       {"replicas", PeersJson(m.replicas)},
                       {"sentinels", PeersJson(m.sentinels)}});
  }
  return {{"tilt", OrNull(info.tilt)}, {"masters", masters}};
}

json UnitIdJson(const UnitId& unit) {
  return {{"namespace", unit.ns}, {"db_cluster", unit.db_cluster}, {"component", unit.component}};
}

// One sentinel's view of one master, beside the unit's database and label
// views.
json SentinelViewJson(const SentinelView& v) {
  return {{"sentinel_unit", UnitIdJson(v.sentinel_unit)},
          {"sentinel_pod", v.sentinel_pod},
          {"watched_unit", v.watched_unit ? UnitIdJson(*v.watched_unit) : json(nullptr)},
          {"master_name", v.master_name},
          {"master_address", v.master_address},
          {"master_pod", v.master_pod},
          {"config_epoch", OrNull(v.config_epoch)},
          {"flags", v.flags},
          {"quorum_ok", OrNull(v.quorum_ok)}};
}

json MemberJson(const MemberView& member) {
  const Target& t = member.target;
  const Observation& o = member.observation;
  json channels = json::array();
  for (const ChannelView& ch : member.channels) channels.push_back(ChannelJson(ch));
  json j = {{"pod", t.pod},
            {"address", t.Address()},
            {"up", o.up},
            {"error", o.error},
            {"probe_duration_seconds", o.probe_duration_seconds},
            {"observed_role", RoleName(member.observed_role)},
            {"labelled_role", t.labelled_role ? json(RoleName(*t.labelled_role)) : json(nullptr)},
            {"role_label", t.role_label_value},
            {"role_label_mismatch", member.role_label_mismatch},
            {"pod_ready", OrNull(t.pod_ready)},
            {"writable", OrNull(o.writable)},
            {"read_only", OrNull(o.read_only)},
            {"super_read_only", OrNull(o.super_read_only)},
            {"server_id", OrNull(o.server_id)},
            {"server_uuid", o.server_uuid},
            {"gtid_executed", o.gtid_executed},
            {"gtid_binlog_state", o.gtid_binlog_state},
            {"depth", OrNull(member.depth)},
            {"co_primary", member.co_primary},
            {"errant_gtid", OrNull(member.errant_gtid)},
            {"errant_gtids", member.errant_gtids},
            {"version", o.version},
            {"channels", channels}};
  if (o.redis_cluster) {
    const RedisClusterInfo& c = *o.redis_cluster;
    j["redis_cluster"] = {{"myid", c.myid},
                          {"state_ok", OrNull(c.state_ok)},
                          {"slots_assigned", OrNull(c.slots_assigned)},
                          {"slots_ok", OrNull(c.slots_ok)},
                          {"slots_pfail", OrNull(c.slots_pfail)},
                          {"slots_fail", OrNull(c.slots_fail)},
                          {"known_nodes", OrNull(c.known_nodes)},
                          {"unmet_nodes", OrNull(member.redis_cluster_unmet_nodes)}};
    // This node's own line of CLUSTER NODES: its flags and the slots it serves.
    for (const RedisClusterNode& node : c.nodes) {
      if (!node.HasFlag("myself")) continue;
      json slots = json::array();
      for (const auto& [first, last] : node.slots) slots.push_back({first, last});
      j["redis_cluster"]["flags"] = node.flags;
      j["redis_cluster"]["master_id"] = node.master_id;
      j["redis_cluster"]["slots"] = slots;
    }
  }
  if (o.sentinel) j["sentinel"] = SentinelJson(*o.sentinel);
  return j;
}

json FindingJson(const Finding& f) {
  return {{"kind", f.kind},
          {"severity", SeverityName(f.severity)},
          {"pod", f.pod},
          {"channel", f.channel},
          {"message", f.message}};
}

}  // namespace

std::string RenderTopologyJson(const Snapshot& snapshot) {
  json clusters = json::array();
  for (const UnitView& unit : snapshot.topology.units) {
    json members = json::array();
    for (const MemberView& m : unit.members) members.push_back(MemberJson(m));
    json sentinels = json::array();
    for (const SentinelView& v : unit.sentinel_views) sentinels.push_back(SentinelViewJson(v));
    json findings = json::array();
    for (const Finding& f : snapshot.topology.findings) {
      if (f.unit == unit.unit) findings.push_back(FindingJson(f));
    }
    clusters.push_back(
        {{"namespace", unit.unit.ns},
         {"db_cluster", unit.unit.db_cluster},
         {"component", unit.unit.component},
         {"engine", EngineName(unit.engine)},
         {"primaries", unit.primaries},
         {"labelled_primaries", unit.labelled_primaries},
         {"dual_primary", unit.dual_primary},
         {"primary_pod", unit.primary_pod},
         {"server_id_conflicts", unit.server_id_conflicts},
         {"redis_cluster_views_consistent", OrNull(unit.redis_cluster_views_consistent)},
         {"members", members},
         {"sentinels", sentinels},
         {"findings", findings}});
  }
  json root = {{"round", snapshot.round},
               {"timestamp_seconds", snapshot.timestamp_seconds},
               {"poll_duration_seconds", snapshot.poll_duration_seconds},
               {"poll_interval_seconds", snapshot.poll_interval_seconds},
               {"clusters", clusters}};
  if (snapshot.remediation.present) {
    root["remediation"] = RemediationStatusJson(snapshot.remediation);
  }
  // Server-provided strings (error texts) may hold invalid UTF-8: replace, don't throw.
  std::string text = root.dump(2, ' ', false, json::error_handler_t::replace);
  // Remediation records quote server replies too.
  secrets::Redact(text);
  return text;
}

}  // namespace dbtopo
