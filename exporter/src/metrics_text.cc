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

namespace dbtopo {

// The project version of the top-level CMakeLists.txt.
const char kExporterVersion[] = DBTOPO_VERSION;

namespace {

using Labels = std::vector<prometheus::ClientMetric::Label>;

// Every metric the exporter writes, with its help text. The order here is
// the order in /metrics.
struct MetricDef {
  const char* name;
  prometheus::MetricType type;
  const char* help;
};

constexpr prometheus::MetricType kGauge = prometheus::MetricType::Gauge;
constexpr prometheus::MetricType kCounter = prometheus::MetricType::Counter;

constexpr MetricDef kMetrics[] = {
    {"dbtopo_up", kGauge, "1 when the last probe of the pod succeeded."},
    {"dbtopo_probe_duration_seconds", kGauge, "Duration of the last probe, seconds."},
    {"dbtopo_pod_ready", kGauge, "Kubernetes readiness of the pod (discovered pods only)."},
    {"dbtopo_role", kGauge, "Role observed from the database (primary, replica, unknown) = 1."},
    {"dbtopo_role_label", kGauge, "Role the pod's role label claims = 1."},
    {"dbtopo_role_label_mismatch", kGauge, "1 when the role label and the observed role disagree."},
    {"dbtopo_writable", kGauge,
     "1 when the server accepts writes (MySQL read_only=0, Redis master)."},
    {"dbtopo_server_info", kGauge, "Server identity: version, server_id, server_uuid = 1."},
    {"dbtopo_replication_io_running", kGauge,
     "MySQL IO thread running / Redis master_link_status up."},
    {"dbtopo_replication_sql_running", kGauge, "MySQL SQL thread running."},
    {"dbtopo_replication_link_up", kGauge, "1 when the replica's link to its source is healthy."},
    {"dbtopo_replication_lag_seconds", kGauge,
     "Replication lag, seconds (Seconds_Behind_Source); absent when unknown."},
    {"dbtopo_replication_configured_delay_seconds", kGauge,
     "Delay the replica was told to keep (SQL_Delay, MASTER_DELAY), seconds; 0 for none."},
    {"dbtopo_replication_errant_gtid", kGauge,
     "1 when the member executed transactions (GTIDs) the unit's primary lacks; absent when "
     "not judged."},
    {"dbtopo_replication_lag_bytes", kGauge, "Redis replication lag, bytes of replication offset."},
    {"dbtopo_replication_last_io_seconds_ago", kGauge,
     "Redis master_last_io_seconds_ago, seconds since the last interaction with the master."},
    {"dbtopo_replication_last_error_number", kGauge,
     "Last IO/SQL thread error number (Last_IO_Errno, Last_SQL_Errno); 0 = none."},
    {"dbtopo_replication_source_valid", kGauge,
     "1 when following the replica's sources reaches its unit's primary (chains allowed), 0 "
     "when not; absent when unknowable."},
    {"dbtopo_cluster_info", kGauge,
     "One per unit (namespace, db_cluster, component), with its engine = 1."},
    {"dbtopo_cluster_primaries", kGauge, "Members the databases themselves report as primary."},
    {"dbtopo_cluster_labelled_primaries", kGauge, "Pods whose role label says primary."},
    {"dbtopo_cluster_dual_primary", kGauge,
     "1 when the databases report more than one primary (Redis Cluster: two masters claim a "
     "slot)."},
    {"dbtopo_cluster_server_id_conflicts", kGauge, "Members sharing a server_id or server_uuid."},
    {"dbtopo_redis_cluster_state", kGauge, "1 when CLUSTER INFO cluster_state is ok on this node."},
    {"dbtopo_redis_cluster_slots", kGauge, "Slots by state as this node sees them (CLUSTER INFO)."},
    {"dbtopo_redis_cluster_known_nodes", kGauge, "Nodes this node knows (CLUSTER INFO)."},
    {"dbtopo_redis_cluster_size", kGauge, "Masters serving at least one slot (CLUSTER INFO)."},
    {"dbtopo_redis_cluster_current_epoch", kGauge, "cluster_current_epoch as this node sees it."},
    {"dbtopo_redis_cluster_my_epoch", kGauge, "cluster_my_epoch of this node."},
    {"dbtopo_redis_cluster_unmet_nodes", kGauge,
     "Cluster members this node has not met (or knows only in handshake/noaddr)."},
    {"dbtopo_redis_cluster_nodes", kGauge,
     "Other nodes this node sees with the flag (fail, pfail, handshake, noaddr, disconnected)."},
    {"dbtopo_redis_cluster_views_consistent", kGauge,
     "1 when all reachable nodes agree on membership and slot owners."},
    {"dbtopo_finding", kGauge, "1 per active finding."},
    {"dbtopo_remediation_actions_total", kCounter,
     "Remediation decisions by action (switchover, fence) and result (success, failure, "
     "dry_run, refused)."},
    {"dbtopo_remediation_leader", kGauge,
     "1 when this replica may remediate: it holds the leader election Lease, or leader "
     "election is off (then it is the only remediator); 0 on a follower."},
    {"dbtopo_shard_info", kGauge,
     "1, labelled with the shard (from 0) this process watches and the total number of shards "
     "(--shard, --total-shards; 0 of 1 when not sharded)."},
    {"dbtopo_targets", kGauge, "Targets probed in the last round."},
    {"dbtopo_poll_duration_seconds", kGauge, "Wall time of the last poll round, seconds."},
    {"dbtopo_last_poll_timestamp_seconds", kGauge, "Unix time the last poll round finished."},
    {"dbtopo_poll_rounds_total", kCounter, "Poll rounds completed."},
    {"dbtopo_probe_failures_total", kCounter, "Probes that failed, over all rounds."},
    {"dbtopo_invalid_utf8_replacements_total", kCounter,
     "Ill-formed UTF-8 sequences in strings from servers, pods or the config, replaced with "
     "U+FFFD before they reached a label, the JSON API or the log."},
    {"dbtopo_exporter_build_info", kGauge, "Exporter build information = 1."},
};

// Appends one label value or HELP text in the text format's escaping:
// backslash, newline and (in label values) the double quote.
void AppendEscaped(std::string* out, std::string_view text, bool quote) {
  for (const char c : text) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '"' && quote) {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}

// Shortest text that reads back as the same double; NaN and the infinities
// as the text format spells them.
void AppendValue(std::string* out, double value) {
  if (std::isnan(value)) {
    *out += "NaN";
  } else if (std::isinf(value)) {
    *out += value < 0 ? "-Inf" : "+Inf";
  } else {
    char buffer[64];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out->append(buffer, ec == std::errc() ? end : buffer);
  }
}

// Collects the sample lines of each metric, then writes the families in
// kMetrics order (Prometheus text format 0.0.4). Each sample is written as
// text when it is added: at 10,000 targets a quarter of a million samples
// held as label vectors cost more memory than all of /metrics.
class FamilySet {
 public:
  void Add(const std::string& name, const Labels& labels, double value) {
    std::string& lines = lines_[name];
    lines += name;
    if (!labels.empty()) {
      lines += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) lines += ',';
        lines += labels[i].name;
        lines += "=\"";
        AppendEscaped(&lines, labels[i].value, true);
        lines += '"';
      }
      lines += '}';
    }
    lines += ' ';
    AppendValue(&lines, value);
    lines += '\n';
  }

  std::string Serialize() && {
    std::size_t size = 0;
    for (const auto& [name, lines] : lines_) size += lines.size() + 256;
    std::string out;
    out.reserve(size);
    for (const MetricDef& def : kMetrics) {
      auto it = lines_.find(def.name);
      if (it == lines_.end()) continue;
      out += "# HELP ";
      out += def.name;
      out += ' ';
      AppendEscaped(&out, def.help, false);
      out += "\n# TYPE ";
      out += def.name;
      out += def.type == kCounter ? " counter\n" : " gauge\n";
      out += it->second;
      std::string().swap(it->second);  // Freed as it is copied.
    }
    return out;
  }

 private:
  std::map<std::string, std::string> lines_;
};

Labels UnitLabels(const UnitId& unit) {
  return {{"namespace", unit.ns}, {"db_cluster", unit.db_cluster}, {"component", unit.component}};
}

Labels PodLabels(const UnitId& unit, const std::string& pod) {
  Labels labels = UnitLabels(unit);
  labels.push_back({"pod", pod});
  return labels;
}

Labels With(Labels labels, std::initializer_list<prometheus::ClientMetric::Label> more) {
  labels.insert(labels.end(), more);
  return labels;
}

double Bool(bool b) { return b ? 1 : 0; }

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
  out.Add("dbtopo_role", With(pod, {{"role", RoleName(member.observed_role)}}), 1);
  if (target.labelled_role) {
    out.Add("dbtopo_role_label", With(pod, {{"role", RoleName(*target.labelled_role)}}), 1);
  }
  out.Add("dbtopo_role_label_mismatch", pod, Bool(member.role_label_mismatch));
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
}

void RenderUnit(FamilySet& out, const UnitView& unit, std::set<UnitId>* views_rendered) {
  const Labels labels = UnitLabels(unit.unit);
  out.Add("dbtopo_cluster_info", With(labels, {{"engine", EngineName(unit.engine)}}), 1);
  out.Add("dbtopo_cluster_primaries", labels, unit.primaries);
  out.Add("dbtopo_cluster_labelled_primaries", labels, unit.labelled_primaries);
  out.Add("dbtopo_cluster_dual_primary", labels, Bool(unit.dual_primary));
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
