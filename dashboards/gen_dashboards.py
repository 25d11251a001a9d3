#!/usr/bin/env python3
"""Generates the Grafana dashboards in dashboards/*.json.

The JSON files are committed; edit this script and run

    python3 dashboards/gen_dashboards.py           # rewrite the JSON files
    python3 dashboards/gen_dashboards.py --check   # exit 1 if they are stale

`ctest -L alerts` runs the --check form, so the JSON never drifts from here.
After regenerating, also run `python3 alerts/gen_deploy.py` (the Grafana
ConfigMap in deploy/ embeds these files).

Conventions every dashboard follows (tests/alerts/lint_dashboards.py checks
them): schemaVersion 39, a uid, a title and the tag "dbtopo"; the variables
datasource, namespace, db_cluster, component and pod and no others; every
panel and target uses the datasource `${datasource}`; rate() ranges are
`$__rate_interval`.

Metric semantics worth remembering here (the metric contract of the exporter):
* namespace is "" (no label) for static-config targets: the "All" value of
  every variable is ".*" so that those series still match.
* Unit-level series (dbtopo_cluster_*, unit findings) have no pod label, so
  they are filtered by namespace/db_cluster/component only.
* Several exporter replicas may report the same series; every query folds
  them with max/min by the identifying labels.
* dbtopo_replication_lag_seconds is absent when unknown: tables show an empty
  cell, never 0.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import generated  # noqa: E402 (scripts/generated.py: the write/--check loop)
import mysql_dashboard  # noqa: E402
import redis_dashboard  # noqa: E402
from panels import *  # noqa: E402,F401,F403 (the panel vocabulary)


def overview():
    L = Layout()
    L.row("Health")
    L.add(dual_primary_stat(), 4, 4)
    L.add(no_primary_stat(), 4, 4)
    L.add(findings_stat("critical", "red"), 4, 4)
    L.add(findings_stat("warning", "orange"), 4, 4)
    L.add(targets_down_stat(), 4, 4)
    L.add(stat("Pods watched", "Pods the exporter probes (dbtopo_up series).",
               f"count(max by ({POD}) (dbtopo_up{{{F_POD}}})) or vector(0)",
               steps("blue", None)), 4, 4)

    L.row("Primaries per unit")
    L.add(stat(
        "Primaries per unit (database)",
        "dbtopo_cluster_primaries: members that report primary, per (namespace, db_cluster, "
        "component). Exactly 1 is healthy for MySQL and Redis. A Redis Cluster whose shards "
        "share one component counts its masters here; read 'Units with a dual primary' for it.",
        f"max by ({UNIT}) (dbtopo_cluster_primaries{{{F_UNIT}}})",
        steps("red", None, "green", 1, "red", 2), legend=UNIT_LEGEND, text_mode="value_and_name"),
        12, 6)
    L.add(stat(
        "Primaries per unit (role label)",
        "dbtopo_cluster_labelled_primaries: pods whose role label says primary. Services route "
        "writes by this label. Alert: DbtopoLabelledDualPrimary.",
        f"max by ({UNIT}) (dbtopo_cluster_labelled_primaries{{{F_UNIT}}})",
        steps("red", None, "green", 1, "red", 2), legend=UNIT_LEGEND, text_mode="value_and_name"),
        12, 6)

    L.row("Findings")
    L.add(bargauge(
        "Active findings by kind",
        "dbtopo_finding counted by kind, last round.",
        f"sum by (kind) (max by ({CHAN}, kind) (dbtopo_finding{{{F_UNIT}}}))", "{{kind}}"), 8, 8)
    L.add(timeseries(
        "Findings by kind over time",
        "Active dbtopo_finding series by kind.",
        [target(f"sum by (kind) (max by ({CHAN}, kind) (dbtopo_finding{{{F_UNIT}}}))", "{{kind}}")],
        stack=True, draw="bars"), 16, 8)
    L.add(findings_table(), 24, 8)

    L.row("Pods and replication")
    L.add(pods_table(), 24, 10)
    L.add(link_timeline(), 12, 8)
    L.add(lag_panel(), 12, 8)

    L.row("Exporter")
    L.add(stat(
        "Seconds since last poll",
        "time() - dbtopo_last_poll_timestamp_seconds, worst exporter. Alert: "
        "DbtopoExporterPollStale (over 120s).",
        "max(time() - dbtopo_last_poll_timestamp_seconds)",
        steps("green", None, "orange", 60, "red", 120), unit="s"), 6, 6)
    L.add(timeseries(
        "Poll round duration",
        "dbtopo_poll_duration_seconds per exporter: one round over every target.",
        [target("max by (instance) (dbtopo_poll_duration_seconds)", "{{instance}}")], unit="s"),
        9, 6)
    L.add(timeseries(
        "Probe duration",
        "dbtopo_probe_duration_seconds per pod; a probe is bounded by probe_timeout.",
        [target(f"max by ({POD}) (dbtopo_probe_duration_seconds{{{F_POD}}})", POD_LEGEND)],
        unit="s"), 9, 6)
    L.add(timeseries(
        "Probe failures",
        "Rate of failed probes over all targets (dbtopo_probe_failures_total), per exporter.",
        [target("sum by (instance) (rate(dbtopo_probe_failures_total[$__rate_interval]))",
                "{{instance}}")], unit="ops"), 8, 6)
    L.add(timeseries(
        "Remediation actions",
        "Rate of dbtopo_remediation_actions_total by action and result.",
        [target("sum by (action, result) (rate(dbtopo_remediation_actions_total[$__rate_interval]))",
                "{{action}} {{result}}")], unit="ops"), 8, 6)
    L.add(labels_table(
        "Exporter build",
        "dbtopo_exporter_build_info of every scraped exporter.",
        "max by (instance, version) (dbtopo_exporter_build_info)", ["instance", "version"], "Up",
        value_map((1, "scraped", "green"))), 8, 6)
    return dashboard(
        "dbtopo-overview", "dbtopo / Overview",
        "Every watched database cluster: primaries per unit, active findings, pods, replication "
        "links and lag, and the exporter itself.",
        ["dbtopo", "databases", "replication"], L)


DASHBOARDS = {
    "dbtopo-overview.json": overview,
    "dbtopo-mysql.json": mysql_dashboard.mysql,
    "dbtopo-redis.json": redis_dashboard.redis,
}


def render(build):
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main(argv):
    outputs = [(os.path.join(HERE, name), lambda build=build: render(build))
               for name, build in DASHBOARDS.items()]
    return generated.write_or_check(outputs, "--check" in argv[1:], ROOT,
                                    "python3 dashboards/gen_dashboards.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
