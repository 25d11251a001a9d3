#include "metric_families.h"

#include <prometheus/metric_type.h>

#include <charconv>
#include <cmath>
#include <string_view>

namespace dbtopo::metrics {
namespace {

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
    {"dbtopo_sentinel_master_info", kGauge,
     "1 per master a sentinel monitors, labelled with the master_address it gives clients "
     "(SENTINEL MASTERS ip:port)."},
    {"dbtopo_sentinel_master_status", kGauge,
     "1 when the sentinel reports the flag on its master (sdown, odown, failover_in_progress, "
     "disconnected), else 0."},
    {"dbtopo_sentinel_quorum_ok", kGauge,
     "1 when SENTINEL CKQUORUM succeeds for the master, 0 when it fails; absent when unknown."},
    {"dbtopo_sentinel_known_sentinels", kGauge,
     "Sentinels this sentinel knows for the master, itself included (num-other-sentinels + 1)."},
    {"dbtopo_sentinel_known_replicas", kGauge,
     "Replicas this sentinel knows for the master (num-slaves)."},
    {"dbtopo_sentinel_tilt", kGauge, "1 when the sentinel is in TILT mode (INFO sentinel)."},
    {"dbtopo_sentinel_config_epoch", kGauge,
     "config-epoch of the master's configuration as this sentinel sees it."},
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

}  // namespace

void FamilySet::Add(const std::string& name, const Labels& labels, double value) {
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

std::string FamilySet::Serialize() && {
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

Labels With(Labels labels, std::initializer_list<prometheus::ClientMetric::Label> more) {
  labels.insert(labels.end(), more);
  return labels;
}

}  // namespace dbtopo::metrics
