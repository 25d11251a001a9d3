#include "metrics_text.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_type.h>

#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "dbtopo/analysis/engines.h"
#include "metric_families.h"
#include "metrics_sentinel.h"

namespace dbtopo {

// The project version of the top-level CMakeLists.txt.
const char kExporterVersion[] = DBTOPO_VERSION;

namespace {

using metrics::Bool;
using metrics::FamilySet;
using metrics::Labels;
using metrics::With;

Labels UnitLabels(const UnitId& unit) {
  return {{"namespace", unit.ns}, {"db_cluster", unit.db_cluster}, {"component", unit.component}};
}

Labels PodLabels(const UnitId& unit, const std::string& pod) {
  Labels labels = UnitLabels(unit);
  labels.push_back({"pod", pod});
  return labels;
}

void RenderChannel(FamilySet& out, const Labels& pod, const ChannelView& view) {
  const ReplicationChannel& ch = view.channel;
  const Labels labels = With(pod, {{"channel", ch.name}});
  if (ch.io_running) out.Add("dbtopo_replication_io_running", labels, Bool(*ch.io_running));
  if (ch.sql_running) out.Add("dbtopo_replication_sql_running", labels, Bool(*ch.sql_running));
  std::string source = ch.source_host;
  if (ch.source_port > 0) source += ":" + std::to_string(ch.source_port);
  out.Add("dbtopo_replication_link_up", With(labels, {{"source", source}}), Bool(view.link_up));
  if (ch.lag_seconds) out.Add("dbtopo_replication_lag_seconds", labels, *ch.lag_seconds);
  if (ch.configured_delay_seconds) {
    out.Add("dbtopo_replication_configured_delay_seconds", labels, *ch.configured_delay_seconds);
  }
  if (ch.lag_bytes) {
    out.Add("dbtopo_replication_lag_bytes", labels, static_cast<double>(*ch.lag_bytes));
  }
  if (ch.last_io_seconds_ago) {
    out.Add("dbtopo_replication_last_io_seconds_ago", labels, *ch.last_io_seconds_ago);
  }
  // MySQL reports errno per thread; Redis has no such field (sql_running unset).
  if (ch.sql_running) {
    out.Add("dbtopo_replication_last_error_number", With(labels, {{"thread", "io"}}),
            ch.last_io_errno);
    out.Add("dbtopo_replication_last_error_number", With(labels, {{"thread", "sql"}}),
            ch.last_sql_errno);
  }
  if (view.source_valid) {
    out.Add("dbtopo_replication_source_valid", labels, Bool(*view.source_valid));
  }
}

void RenderRedisCluster(FamilySet& out, const Labels& pod, const MemberView& member) {
  const RedisClusterInfo& info = *member.observation.redis_cluster;
  if (info.state_ok) out.Add("dbtopo_redis_cluster_state", pod, Bool(*info.state_ok));
  const std::pair<const char*, const std::optional<int>*> slots[] = {
      {"assigned", &info.slots_assigned},
      {"ok", &info.slots_ok},
      {"pfail", &info.slots_pfail},
      {"fail", &info.slots_fail}};
  for (const auto& [state, value] : slots) {
    if (*value) out.Add("dbtopo_redis_cluster_slots", With(pod, {{"state", state}}), **value);
  }
  if (info.known_nodes) out.Add("dbtopo_redis_cluster_known_nodes", pod, *info.known_nodes);
  if (info.size) out.Add("dbtopo_redis_cluster_size", pod, *info.size);
  if (info.current_epoch) {
    out.Add("dbtopo_redis_cluster_current_epoch", pod, static_cast<double>(*info.current_epoch));
  }
  if (info.my_epoch) {
    out.Add("dbtopo_redis_cluster_my_epoch", pod, static_cast<double>(*info.my_epoch));
  }
  if (member.redis_cluster_unmet_nodes) {
    out.Add("dbtopo_redis_cluster_unmet_nodes", pod, *member.redis_cluster_unmet_nodes);
  }
  // Counts of *other* nodes by flag, as this node sees them (CLUSTER NODES).
  int fail = 0, pfail = 0, handshake = 0, noaddr = 0, disconnected = 0;
  for (const RedisClusterNode& node : info.nodes) {
    if (node.HasFlag("myself")) continue;
    fail += node.HasFlag("fail");
    pfail += node.HasFlag("fail?");
    handshake += node.HasFlag("handshake");
    noaddr += node.HasFlag("noaddr");
    disconnected += !node.link_connected;
  }
  const std::pair<const char*, int> flags[] = {{"fail", fail},
                                               {"pfail", pfail},
                                               {"handshake", handshake},
                                               {"noaddr", noaddr},
                                               {"disconnected", disconnected}};
  for (const auto& [flag, count] : flags) {
    out.Add("dbtopo_redis_cluster_nodes", With(pod, {{"flag", flag}}), count);
  }
}

void RenderMember(FamilySet& out, const MemberView& member) {
  const Target& target = member.target;
  const Observation& obs = member.observation;
  const Labels pod = PodLabels(target.unit, target.pod);
  out.Add("dbtopo_up", pod, Bool(obs.up));
  out.Add("dbtopo_probe_duration_seconds", pod, obs.probe_duration_seconds);
  if (target.pod_ready) out.Add("dbtopo_pod_ready", pod, Bool(*target.pod_ready));
  // A sentinel has no role to observe or to label.
  if (HasPrimaries(target.engine)) {
    out.Add("dbtopo_role", With(pod, {{"role", RoleName(member.observed_role)}}), 1);
    if (target.labelled_role) {
      out.Add("dbtopo_role_label", With(pod, {{"role", RoleName(*target.labelled_role)}}), 1);
    }
    out.Add("dbtopo_role_label_mismatch", pod, Bool(member.role_label_mismatch));
  }
  // A down pod's last values would be stale: serve none of them.
  if (!obs.up) return;
  if (obs.writable) out.Add("dbtopo_writable", pod, Bool(*obs.writable));
  if (!obs.version.empty() || obs.server_id) {
    out.Add("dbtopo_server_info",
            With(pod, {{"version", obs.version},
                       {"server_id", obs.server_id ? std::to_string(*obs.server_id) : ""},
                       {"server_uuid", obs.server_uuid}}),
            1);
  }
  if (member.errant_gtid) out.Add("dbtopo_replication_errant_gtid", pod, Bool(*member.errant_gtid));
  for (const ChannelView& channel : member.channels) RenderChannel(out, pod, channel);
  if (obs.redis_cluster) RenderRedisCluster(out, pod, member);
  metrics::RenderSentinel(out, pod, member);
}

void RenderUnit(FamilySet& out, const UnitView& unit, std::set<UnitId>* views_rendered) {
  const Labels labels = UnitLabels(unit.unit);
  out.Add("dbtopo_cluster_info", With(labels, {{"engine", EngineName(unit.engine)}}), 1);
  if (HasPrimaries(unit.engine)) {
    out.Add("dbtopo_cluster_primaries", labels, unit.primaries);
    out.Add("dbtopo_cluster_labelled_primaries", labels, unit.labelled_primaries);
    out.Add("dbtopo_cluster_dual_primary", labels, Bool(unit.dual_primary));
  }
  if (Traits(unit.engine).reports_server_ids) {
    out.Add("dbtopo_cluster_server_id_conflicts", labels, unit.server_id_conflicts);
  }
  // Views are a property of the whole Redis Cluster (db_cluster), not a shard.
  if (unit.redis_cluster_views_consistent) {
    const UnitId cluster{unit.unit.ns, unit.unit.db_cluster, ""};
    if (views_rendered->insert(cluster).second) {
      out.Add("dbtopo_redis_cluster_views_consistent",
              {{"namespace", cluster.ns}, {"db_cluster", cluster.db_cluster}},
              Bool(*unit.redis_cluster_views_consistent));
    }
  }
  for (const MemberView& member : unit.members) RenderMember(out, member);
}

void RenderFindings(FamilySet& out, const std::vector<Finding>& findings) {
  // Two findings with one label set would make the exposition invalid.
  std::set<Labels> seen;
  for (const Finding& f : findings) {
    Labels labels =
        With(PodLabels(f.unit, f.pod),
             {{"channel", f.channel}, {"kind", f.kind}, {"severity", SeverityName(f.severity)}});
    if (seen.insert(labels).second) out.Add("dbtopo_finding", std::move(labels), 1);
  }
}

}  // namespace

std::string RenderMetrics(const Snapshot& snapshot) {
  FamilySet out;
  std::set<UnitId> views_rendered;
  std::size_t targets = 0;
  for (const UnitView& unit : snapshot.topology.units) {
    RenderUnit(out, unit, &views_rendered);
    targets += unit.members.size();
  }
  RenderFindings(out, snapshot.topology.findings);
  for (const auto& [key, count] : snapshot.remediation.actions_total) {
    out.Add("dbtopo_remediation_actions_total", {{"action", key.first}, {"result", key.second}},
            static_cast<double>(count));
  }
  if (snapshot.remediation.present) {
    out.Add("dbtopo_remediation_leader", {}, snapshot.remediation.leadership.leader ? 1 : 0);
  }
  out.Add("dbtopo_shard_info",
          {{"shard", std::to_string(snapshot.shard.index)},
           {"total", std::to_string(snapshot.shard.total)}},
          1);
  out.Add("dbtopo_targets", {}, static_cast<double>(targets));
  out.Add("dbtopo_poll_duration_seconds", {}, snapshot.poll_duration_seconds);
  out.Add("dbtopo_last_poll_timestamp_seconds", {}, snapshot.timestamp_seconds);
  out.Add("dbtopo_poll_rounds_total", {}, static_cast<double>(snapshot.counters.rounds));
  out.Add("dbtopo_probe_failures_total", {}, static_cast<double>(snapshot.counters.probe_failures));
  out.Add("dbtopo_invalid_utf8_replacements_total", {},
          static_cast<double>(snapshot.counters.invalid_utf8_replacements));
  out.Add("dbtopo_exporter_build_info", {{"version", kExporterVersion}}, 1);
  return std::move(out).Serialize();
}

}  // namespace dbtopo
