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

DS = {"type": "prometheus", "uid": "${datasource}"}

# Label filters.
F_UNIT = 'namespace=~"$namespace", db_cluster=~"$db_cluster", component=~"$component"'
F_POD = F_UNIT + ', pod=~"$pod"'
F_CLUSTER = 'namespace=~"$namespace", db_cluster=~"$db_cluster"'

UNIT = "namespace, db_cluster, component"
POD = UNIT + ", pod"
CHAN = POD + ", channel"

UNIT_LEGEND = "{{namespace}}/{{db_cluster}}/{{component}}"
POD_LEGEND = "{{namespace}}/{{db_cluster}}/{{pod}}"
CHAN_LEGEND = "{{namespace}}/{{db_cluster}}/{{pod}} {{channel}}"

ALERT_LAG_SECONDS = 60  # DbtopoReplicationLagging threshold, alerts/dbtopo.rules.yml

# --------------------------------------------------------------------------
# Building blocks


def target(expr, legend="", ref="A", table=False):
    t = {
        "datasource": DS,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend,
        "refId": ref,
    }
    if table:
        t.update({"format": "table", "instant": True, "range": False})
    else:
        t.update({"format": "time_series", "instant": False, "range": True})
    return t


def steps(*pairs):
    """steps("green", None, "red", 1) -> threshold steps."""
    out = []
    for color, value in zip(pairs[0::2], pairs[1::2]):
        out.append({"color": color, "value": value})
    return {"mode": "absolute", "steps": out}


def value_map(*entries):
    """value_map((1, "Up", "green"), (0, "Down", "red"))."""
    options = {}
    for i, (value, text, color) in enumerate(entries):
        options[str(value)] = {"color": color, "index": i, "text": text}
    return [{"type": "value", "options": options}]


NULL_AS_DASH = {"type": "special", "options": {"match": "null", "result": {"index": 99, "text": "-"}}}

UP_DOWN = value_map((1, "up", "green"), (0, "down", "red"))
RUNNING = value_map((1, "running", "green"), (0, "stopped", "red"))
VALID = value_map((1, "valid", "green"), (0, "wrong source", "red"))
ROLE = value_map((2, "primary", "blue"), (1, "replica", "green"), (0, "unknown", "orange"))
MISMATCH = value_map((0, "ok", "green"), (1, "mismatch", "red"))
WRITABLE = value_map((1, "writable", "blue"), (0, "read-only", "text"))
STATE_OK = value_map((1, "ok", "green"), (0, "fail", "red"))
CONSISTENT = value_map((1, "consistent", "green"), (0, "split", "red"))
DUAL = value_map((0, "no", "green"), (1, "DUAL PRIMARY", "red"))


def role_expr(metric, flt):
    """Observed/labelled role as one number per pod: 2 primary, 1 replica, 0 unknown."""
    return (
        f"max by ({POD}) (\n"
        f'    2 * ({metric}{{{flt}, role="primary"}} == 1)\n'
        f'  or ({metric}{{{flt}, role="replica"}} == 1)\n'
        f'  or 0 * ({metric}{{{flt}, role="unknown"}} == 1)\n'
        f")"
    )


class Layout:
    """Places panels left to right, 24 columns wide, with row headers."""

    def __init__(self):
        self.panels = []
        self.x = 0
        self.y = 0
        self.row_h = 0
        self.next_id = 1

    def _newline(self):
        if self.x:
            self.y += self.row_h
            self.x = 0
            self.row_h = 0

    def row(self, title):
        self._newline()
        self.panels.append({
            "collapsed": False,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
            "id": self.next_id,
            "panels": [],
            "title": title,
            "type": "row",
        })
        self.next_id += 1
        self.y += 1

    def add(self, panel, w, h):
        if self.x + w > 24:
            self._newline()
        panel = dict(panel)
        panel["id"] = self.next_id
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.next_id += 1
        self.panels.append(panel)
        self.x += w
        self.row_h = max(self.row_h, h)
        if self.x >= 24:
            self._newline()


def _panel(kind, title, description, targets, defaults, options, overrides=None, transformations=None):
    p = {
        "datasource": DS,
        "description": description,
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": options,
        "targets": targets,
        "title": title,
        "type": kind,
    }
    if transformations:
        p["transformations"] = transformations
    return p


def stat(title, description, expr, thresholds, unit="none", legend="", mappings=None, text_mode="auto",
         color_mode="background"):
    return _panel(
        "stat", title, description, [target(expr, legend)],
        {"color": {"mode": "thresholds"}, "mappings": mappings or [], "thresholds": thresholds,
         "unit": unit},
        {"colorMode": color_mode, "graphMode": "none", "justifyMode": "auto", "orientation": "auto",
         "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
         "showPercentChange": False, "textMode": text_mode, "wideLayout": True})


def timeseries(title, description, targets, unit="none", thresholds=None, stack=False, draw="line",
               min_zero=True):
    custom = {
        "axisBorderShow": False, "axisPlacement": "auto", "drawStyle": draw, "fillOpacity": 10,
        "lineInterpolation": "stepAfter", "lineWidth": 1, "pointSize": 4, "showPoints": "never",
        "spanNulls": False,
        "stacking": {"group": "A", "mode": "normal" if stack else "none"},
        "thresholdsStyle": {"mode": "line" if thresholds else "off"},
    }
    defaults = {"color": {"mode": "palette-classic"}, "custom": custom, "unit": unit,
                "thresholds": thresholds or steps("green", None)}
    if min_zero:
        defaults["min"] = 0
    return _panel(
        "timeseries", title, description, targets, defaults,
        {"legend": {"calcs": ["lastNotNull", "max"], "displayMode": "table", "placement": "right",
                    "showLegend": True},
         "tooltip": {"mode": "multi", "sort": "desc"}})


def state_timeline(title, description, expr, legend, mappings):
    return _panel(
        "state-timeline", title, description, [target(expr, legend)],
        {"color": {"mode": "thresholds"}, "custom": {"fillOpacity": 80, "lineWidth": 0},
         "mappings": mappings, "thresholds": steps("text", None)},
        {"alignValue": "left", "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False},
         "mergeValues": True, "rowHeight": 0.9, "showValue": "auto", "tooltip": {"mode": "single"}})


def bargauge(title, description, expr, legend):
    return _panel(
        "bargauge", title, description, [target(expr, legend)],
        {"color": {"mode": "thresholds"}, "min": 0, "thresholds": steps("orange", None), "unit": "none"},
        {"displayMode": "basic", "minVizHeight": 16, "minVizWidth": 0, "namePlacement": "left",
         "orientation": "horizontal",
         "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
         "showUnfilled": True, "sizing": "auto", "valueMode": "color"})


def table(title, description, columns, keys, sort_by=None):
    """One instant query per column, merged into one row per `keys` label set.

    columns: list of (header, expr, unit, mappings). The value fields are
    "Value #A", "Value #B", ...; overrides give them their header, unit and
    value mappings.
    """
    targets, overrides, index = [], [], {}
    for i, key in enumerate(keys):
        index[key] = i
    for i, (header, expr, unit, mappings) in enumerate(columns):
        ref = chr(ord("A") + i)
        targets.append(target(expr, ref=ref, table=True))
        field = f"Value #{ref}"
        index[field] = len(keys) + i
        props = [{"id": "displayName", "value": header}, {"id": "unit", "value": unit}]
        if mappings:
            props.append({"id": "mappings", "value": mappings + [NULL_AS_DASH]})
            props.append({"id": "custom.cellOptions", "value": {"type": "color-text"}})
        overrides.append({"matcher": {"id": "byName", "options": field}, "properties": props})
    transformations = [
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {"excludeByName": {"Time": True}, "indexByName": index,
                                       "renameByName": {}}},
    ]
    options = {"cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"], "fields": ""},
               "showHeader": True}
    if sort_by:
        options["sortBy"] = [{"desc": False, "displayName": k} for k in sort_by]
    return _panel(
        "table", title, description, targets,
        {"color": {"mode": "thresholds"}, "custom": {"align": "auto", "cellOptions": {"type": "auto"},
                                                     "filterable": True},
         "mappings": [], "thresholds": steps("text", None)},
        options, overrides, transformations)


def labels_table(title, description, expr, keys, value_header, mappings=None, unit="none"):
    """One instant query; its labels become columns."""
    return table(title, description, [(value_header, expr, unit, mappings)], keys, sort_by=keys[:2])


# --------------------------------------------------------------------------
# Panels shared by several dashboards


LAG_SECONDS_COLUMN = ("Lag", f"max by ({POD}) (dbtopo_replication_lag_seconds{{{F_POD}}})", "s", None)
# Redis reports lag as a replication offset difference only: the exporter
# never serves dbtopo_replication_lag_seconds for Redis (collectors/src/
# redis_info_parser.cc), so a seconds column would always be empty there.
LAG_BYTES_COLUMN = ("Lag", f"max by ({POD}) (dbtopo_replication_lag_bytes{{{F_POD}}})", "bytes", None)


def pods_table(extra_columns=(), lag_column=LAG_SECONDS_COLUMN):
    columns = [
        ("Up", f"max by ({POD}) (dbtopo_up{{{F_POD}}})", "none", UP_DOWN),
        ("Role (database)", role_expr("dbtopo_role", F_POD), "none", ROLE),
        ("Role (label)", role_expr("dbtopo_role_label", F_POD), "none", ROLE),
        ("Label mismatch", f"max by ({POD}) (dbtopo_role_label_mismatch{{{F_POD}}})", "none", MISMATCH),
        ("Writable", f"max by ({POD}) (dbtopo_writable{{{F_POD}}})", "none", WRITABLE),
        ("Links", f"min by ({POD}) (dbtopo_replication_link_up{{{F_POD}}})", "none", UP_DOWN),
        lag_column,
    ] + list(extra_columns)
    return table(
        "Pods",
        "One row per pod: probe status, the role the database reports, the role its label claims, "
        "whether it accepts writes, whether all its replication links are up (empty: no "
        "replication channel, e.g. a primary), and its largest lag (empty: unknown or not a "
        "replica, never a made-up 0).",
        columns, ["namespace", "db_cluster", "component", "pod"],
        sort_by=["db_cluster", "component"])


def lag_panel():
    return timeseries(
        "Replication lag",
        "dbtopo_replication_lag_seconds per replica channel. Gaps mean the lag is unknown "
        "(e.g. SQL thread stopped: Seconds_Behind_Master is NULL). The line marks the "
        f"DbtopoReplicationLagging threshold ({ALERT_LAG_SECONDS}s for 5m).",
        [target(f"max by ({CHAN}) (dbtopo_replication_lag_seconds{{{F_POD}}})", CHAN_LEGEND)],
        unit="s", thresholds=steps("green", None, "red", ALERT_LAG_SECONDS))


def link_timeline():
    return state_timeline(
        "Replication links",
        "dbtopo_replication_link_up per replica channel: the link to the source is healthy "
        "(MySQL: IO and SQL threads running; Redis: master_link_status up).",
        f"min by ({CHAN}) (dbtopo_replication_link_up{{{F_POD}}})", CHAN_LEGEND, UP_DOWN)


def dual_primary_stat():
    return stat(
        "Units with a dual primary",
        "Units (namespace, db_cluster, component) where more than one member reports primary "
        "(Redis Cluster: two masters claim one slot). Alert: DbtopoDualPrimary.",
        f"count(max by ({UNIT}) (dbtopo_cluster_dual_primary{{{F_UNIT}}}) > 0) or vector(0)",
        steps("green", None, "red", 1))


def no_primary_stat():
    return stat(
        "Units without a primary",
        "Units where no member reports primary (never raised for Redis Cluster, see the slot "
        "panels). Alert: DbtopoNoPrimary.",
        f'count(max by ({UNIT}) (dbtopo_finding{{{F_UNIT}, kind="no_primary"}}) > 0) or vector(0)',
        steps("green", None, "red", 1))


def findings_stat(severity, color):
    return stat(
        f"Active {severity} findings",
        f"Findings of severity {severity} the exporter raised in its last round (dbtopo_finding).",
        f"count(max by ({CHAN}, kind) (dbtopo_finding{{{F_UNIT}, severity=\"{severity}\"}})) or vector(0)",
        steps("green", None, color, 1))


def targets_down_stat():
    return stat(
        "Targets down",
        "Pods whose last probe failed (dbtopo_up == 0). Alert: DbtopoTargetDown.",
        f"count(max by ({POD}) (dbtopo_up{{{F_POD}}}) == 0) or vector(0)",
        steps("green", None, "orange", 1))


def findings_table():
    return labels_table(
        "Active findings",
        "Every finding of the last round. Unit-level findings have an empty pod. "
        "GET /api/v1/topology gives the human message of each.",
        f"max by ({CHAN}, kind, severity) (dbtopo_finding{{{F_POD}}})",
        ["namespace", "db_cluster", "component", "pod", "channel", "kind", "severity"],
        "Active", value_map((1, "yes", "red")))


# --------------------------------------------------------------------------
# Dashboards


def variables():
    def query_var(name, label, selector):
        q = f"label_values(dbtopo_up{selector}, {name})"
        return {
            "allValue": ".*",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "datasource": DS,
            "definition": q,
            "hide": 0,
            "includeAll": True,
            "label": label,
            "multi": True,
            "name": name,
            "options": [],
            "query": q,
            "refresh": 2,
            "regex": "",
            "skipUrlSync": False,
            "sort": 1,
            "type": "query",
        }

    return [
        {"current": {}, "hide": 0, "includeAll": False, "label": "Data source", "multi": False,
         "name": "datasource", "options": [], "query": "prometheus", "refresh": 1, "regex": "",
         "skipUrlSync": False, "type": "datasource"},
        query_var("namespace", "Namespace", ""),
        query_var("db_cluster", "DB cluster", '{namespace=~"$namespace"}'),
        query_var("component", "Component", '{namespace=~"$namespace", db_cluster=~"$db_cluster"}'),
        query_var("pod", "Pod",
                  '{namespace=~"$namespace", db_cluster=~"$db_cluster", component=~"$component"}'),
    ]


def dashboard(uid, title, description, tags, layout):
    return {
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
            "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts",
            "type": "dashboard"}]},
        "description": description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "links": [{"asDropdown": True, "icon": "external link", "includeVars": True, "keepTime": True,
                   "tags": ["dbtopo"], "targetBlank": False, "title": "dbtopo dashboards",
                   "type": "dashboards"}],
        "panels": layout.panels,
        "refresh": "30s",
        "schemaVersion": 39,
        "tags": tags,
        "templating": {"list": variables()},
        "time": {"from": "now-3h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": title,
        "uid": uid,
        "version": 1,
    }


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


def mysql():
    L = Layout()
    L.row("Health")
    L.add(dual_primary_stat(), 4, 4)
    L.add(no_primary_stat(), 4, 4)
    L.add(stat(
        "Broken replication threads",
        "Replica channels whose IO or SQL thread is not running. Alert: DbtopoReplicationBroken.",
        f"count(min by ({CHAN}) (dbtopo_replication_io_running{{{F_POD}}} == 0 "
        f"or dbtopo_replication_sql_running{{{F_POD}}} == 0)) or vector(0)",
        steps("green", None, "red", 1)), 4, 4)
    L.add(stat(
        "Max replication lag",
        "Largest known dbtopo_replication_lag_seconds (unknown lag is not counted).",
        f"max(dbtopo_replication_lag_seconds{{{F_POD}}})",
        steps("green", None, "orange", ALERT_LAG_SECONDS), unit="s"), 4, 4)
    L.add(stat(
        "server_id conflicts",
        "Members sharing a server_id or server_uuid with another member, summed over units. "
        "Alert: DbtopoServerIdConflict.",
        f"sum(max by ({UNIT}) (dbtopo_cluster_server_id_conflicts{{{F_UNIT}}})) or vector(0)",
        steps("green", None, "red", 1)), 4, 4)
    L.add(stat(
        "Wrong sources",
        "Replica channels whose sources do not lead to the unit's primary (chains that reach it "
        "are fine). Alert: DbtopoWrongSource.",
        f"count(min by ({CHAN}) (dbtopo_replication_source_valid{{{F_POD}}}) == 0) or vector(0)",
        steps("green", None, "red", 1)), 4, 4)

    L.row("Chains, delays and GTIDs")
    L.add(stat(
        "Errant GTIDs",
        "Replicas that executed transactions the unit's primary lacks "
        "(dbtopo_replication_errant_gtid). Alert: DbtopoErrantGtid.",
        f"count(max by ({POD}) (dbtopo_replication_errant_gtid{{{F_POD}}}) == 1) or vector(0)",
        steps("green", None, "orange", 1)), 6, 4)
    L.add(stat(
        "Detached replicas",
        "Read-only members with no replication configured beside a primary (RESET SLAVE ALL in "
        "a half-done switchover). Alert: DbtopoDetachedReplica.",
        f'count(max by ({POD}) (dbtopo_finding{{kind="detached_replica", {F_POD}}}) > 0) '
        "or vector(0)",
        steps("green", None, "orange", 1)), 6, 4)
    L.add(stat(
        "Primaries the exporter cannot reach",
        "Members the exporter cannot probe while replicas still stream from them. Alert: "
        "DbtopoPrimaryUnreachable.",
        f'count(max by ({POD}) (dbtopo_finding{{kind="primary_unreachable", {F_POD}}}) > 0) '
        "or vector(0)",
        steps("green", None, "orange", 1)), 6, 4)
    L.add(stat(
        "Units with no pod labelled primary",
        "One database primary but no pod carries the primary role label: Services that select "
        "it have no endpoint. Alert: DbtopoLabelledNoPrimary.",
        f'count(max by ({UNIT}) (dbtopo_finding{{kind="labelled_no_primary", {F_UNIT}}}) > 0) '
        "or vector(0)",
        steps("green", None, "red", 1)), 6, 4)
    L.add(timeseries(
        "Lag beyond the configured delay",
        "dbtopo_replication_lag_seconds minus dbtopo_replication_configured_delay_seconds "
        "(SQL_Delay) per channel: what replication_lagging judges. A delayed replica keeping "
        "its delay stays near 0.",
        [target(f"max by ({CHAN}) (dbtopo_replication_lag_seconds{{{F_POD}}} - "
                f"dbtopo_replication_configured_delay_seconds{{{F_POD}}})", CHAN_LEGEND)],
        unit="s", thresholds=steps("green", None, "red", ALERT_LAG_SECONDS)), 12, 8)
    L.add(timeseries(
        "Configured delay",
        "dbtopo_replication_configured_delay_seconds (SQL_Delay, MASTER_DELAY) per channel; 0 "
        "for none.",
        [target(f"max by ({CHAN}) (dbtopo_replication_configured_delay_seconds{{{F_POD}}})",
                CHAN_LEGEND)], unit="s"), 12, 8)

    L.row("Topology")
    L.add(pods_table(), 24, 10)
    L.add(timeseries(
        "Primaries per unit",
        "dbtopo_cluster_primaries (database view) and dbtopo_cluster_labelled_primaries (role "
        "labels) per unit over time: a switchover shows as a short dip or bump.",
        [target(f"max by ({UNIT}) (dbtopo_cluster_primaries{{{F_UNIT}}})", UNIT_LEGEND + " database"),
         target(f"max by ({UNIT}) (dbtopo_cluster_labelled_primaries{{{F_UNIT}}})",
                UNIT_LEGEND + " label", ref="B")]), 12, 8)
    L.add(state_timeline(
        "Dual primary",
        "dbtopo_cluster_dual_primary per unit.",
        f"max by ({UNIT}) (dbtopo_cluster_dual_primary{{{F_UNIT}}})", UNIT_LEGEND, DUAL), 12, 8)

    L.row("Replication")
    L.add(labels_table(
        "Replication links and sources",
        "dbtopo_replication_link_up per replica channel with the source it replicates from.",
        f"min by ({CHAN}, source) (dbtopo_replication_link_up{{{F_POD}}})",
        ["namespace", "db_cluster", "component", "pod", "channel", "source"], "Link", UP_DOWN), 24, 8)
    L.add(state_timeline(
        "IO thread",
        "dbtopo_replication_io_running (Replica_IO_Running = Yes).",
        f"min by ({CHAN}) (dbtopo_replication_io_running{{{F_POD}}})", CHAN_LEGEND, RUNNING), 12, 8)
    L.add(state_timeline(
        "SQL thread",
        "dbtopo_replication_sql_running (Replica_SQL_Running = Yes).",
        f"min by ({CHAN}) (dbtopo_replication_sql_running{{{F_POD}}})", CHAN_LEGEND, RUNNING), 12, 8)
    L.add(lag_panel(), 12, 8)
    L.add(state_timeline(
        "Source valid",
        "dbtopo_replication_source_valid: 1 when following sources reaches the unit's primary "
        "(chains allowed), 0 when not.",
        f"min by ({CHAN}) (dbtopo_replication_source_valid{{{F_POD}}})", CHAN_LEGEND, VALID), 12, 8)
    L.add(labels_table(
        "Last replication errors",
        "dbtopo_replication_last_error_number (Last_IO_Errno / Last_SQL_Errno) that are not 0. "
        "Common: 1062 duplicate key, 1236 binlog purged, 2003/2005 cannot connect to source. "
        "The error text is in SHOW REPLICA STATUS and GET /api/v1/topology.",
        f"max by ({CHAN}, thread) (dbtopo_replication_last_error_number{{{F_POD}}}) > 0",
        ["namespace", "db_cluster", "component", "pod", "channel", "thread"], "Errno"), 24, 7)

    L.row("Roles and writability")
    L.add(state_timeline(
        "Observed role",
        "Role the database reports, per pod.",
        role_expr("dbtopo_role", F_POD), POD_LEGEND, ROLE), 12, 8)
    L.add(state_timeline(
        "Role label mismatch",
        "dbtopo_role_label_mismatch per pod. Alert: DbtopoRoleLabelMismatch (5m).",
        f"max by ({POD}) (dbtopo_role_label_mismatch{{{F_POD}}})", POD_LEGEND, MISMATCH), 12, 8)
    L.add(state_timeline(
        "Writable",
        "dbtopo_writable: read_only=0 (and not super_read_only). Only primaries should be writable.",
        f"max by ({POD}) (dbtopo_writable{{{F_POD}}})", POD_LEGEND, WRITABLE), 12, 8)
    L.add(state_timeline(
        "Probe",
        "dbtopo_up per pod.",
        f"max by ({POD}) (dbtopo_up{{{F_POD}}})", POD_LEGEND, UP_DOWN), 12, 8)
    return dashboard(
        "dbtopo-mysql", "dbtopo / MySQL replication",
        "MySQL/MariaDB replication: primaries, replica threads, sources, lag, errors, "
        "server_id conflicts and role labels.",
        ["dbtopo", "mysql", "mariadb", "replication"], L)


def redis():
    L = Layout()
    L.row("Health")
    L.add(dual_primary_stat(), 4, 4)
    L.add(stat(
        "Nodes in cluster_state:fail",
        "Redis Cluster nodes that report cluster_state:fail. Alert: DbtopoRedisClusterStateFail.",
        f"count(max by ({POD}) (dbtopo_redis_cluster_state{{{F_POD}}}) == 0) or vector(0)",
        steps("green", None, "red", 1)), 4, 4)
    L.add(stat(
        "Uncovered slots",
        "Per Redis Cluster, slots that even its best-informed node sees unassigned or owned by a "
        "failed node; the worst cluster is shown. Alert: DbtopoRedisClusterSlotsUncovered.",
        f"max(min by (namespace, db_cluster) ("
        f"(16384 - dbtopo_redis_cluster_slots{{{F_UNIT}, state=\"assigned\"}}) "
        f"+ ignoring (state) dbtopo_redis_cluster_slots{{{F_UNIT}, state=\"fail\"}})) or vector(0)",
        steps("green", None, "red", 1)), 4, 4)
    L.add(stat(
        "Nodes with unmet peers",
        "Nodes that have not met every cluster member. Alert: DbtopoRedisClusterUnmetNodes.",
        f"count(max by ({POD}) (dbtopo_redis_cluster_unmet_nodes{{{F_POD}}}) > 0) or vector(0)",
        steps("green", None, "orange", 1)), 4, 4)
    L.add(stat(
        "Failed nodes",
        "Most nodes any node flags as fail. Alert: DbtopoRedisClusterFailedNodes.",
        f'max(dbtopo_redis_cluster_nodes{{{F_POD}, flag="fail"}}) or vector(0)',
        steps("green", None, "orange", 1)), 4, 4)
    L.add(stat(
        "Clusters with split views",
        "Redis Clusters whose reachable nodes disagree on membership or slot owners. Alert: "
        "DbtopoRedisClusterViewsSplit.",
        f"count(min by (namespace, db_cluster) (dbtopo_redis_cluster_views_consistent{{{F_CLUSTER}}}) == 0)"
        f" or vector(0)",
        steps("green", None, "orange", 1)), 4, 4)

    L.row("Redis replication")
    # Lag in bytes only: the exporter has no lag in seconds for Redis.
    L.add(pods_table(lag_column=LAG_BYTES_COLUMN), 24, 10)
    L.add(link_timeline(), 8, 8)
    L.add(timeseries(
        "Replication lag (bytes)",
        "dbtopo_replication_lag_bytes: master_repl_offset minus the replica's offset, while the "
        "master link is up (absent otherwise). Redis has no lag in seconds; see also the time "
        "since the last master I/O.",
        [target(f"max by ({CHAN}) (dbtopo_replication_lag_bytes{{{F_POD}}})", CHAN_LEGEND)],
        unit="bytes"), 8, 8)
    L.add(timeseries(
        "Seconds since last master I/O",
        "dbtopo_replication_last_io_seconds_ago (master_last_io_seconds_ago): grows when the "
        "master link is silent.",
        [target(f"max by ({CHAN}) (dbtopo_replication_last_io_seconds_ago{{{F_POD}}})", CHAN_LEGEND)],
        unit="s"), 8, 8)

    L.row("Redis Cluster")
    L.add(table(
        "Cluster nodes",
        "One row per Redis Cluster node, as that node sees the cluster (CLUSTER INFO / CLUSTER "
        "NODES): its state, slots by state, nodes it knows, members it has not met, and nodes it "
        "flags fail / pfail / handshake / noaddr.",
        [
            ("State", f"max by ({POD}) (dbtopo_redis_cluster_state{{{F_POD}}})", "none", STATE_OK),
            ("Slots assigned", f'max by ({POD}) (dbtopo_redis_cluster_slots{{{F_POD}, state="assigned"}})',
             "none", None),
            ("Slots ok", f'max by ({POD}) (dbtopo_redis_cluster_slots{{{F_POD}, state="ok"}})', "none", None),
            ("Slots pfail", f'max by ({POD}) (dbtopo_redis_cluster_slots{{{F_POD}, state="pfail"}})',
             "none", None),
            ("Slots fail", f'max by ({POD}) (dbtopo_redis_cluster_slots{{{F_POD}, state="fail"}})',
             "none", None),
            ("Known nodes", f"max by ({POD}) (dbtopo_redis_cluster_known_nodes{{{F_POD}}})", "none", None),
            ("Unmet", f"max by ({POD}) (dbtopo_redis_cluster_unmet_nodes{{{F_POD}}})", "none", None),
            ("Fail", f'max by ({POD}) (dbtopo_redis_cluster_nodes{{{F_POD}, flag="fail"}})', "none", None),
            ("PFail", f'max by ({POD}) (dbtopo_redis_cluster_nodes{{{F_POD}, flag="pfail"}})', "none", None),
            ("Handshake", f'max by ({POD}) (dbtopo_redis_cluster_nodes{{{F_POD}, flag="handshake"}})',
             "none", None),
            ("Noaddr", f'max by ({POD}) (dbtopo_redis_cluster_nodes{{{F_POD}, flag="noaddr"}})', "none", None),
        ],
        ["namespace", "db_cluster", "component", "pod"], sort_by=["db_cluster", "component"]), 24, 10)
    L.add(state_timeline(
        "cluster_state per node",
        "dbtopo_redis_cluster_state: 1 when the node reports cluster_state:ok.",
        f"max by ({POD}) (dbtopo_redis_cluster_state{{{F_POD}}})", POD_LEGEND, STATE_OK), 12, 8)
    L.add(state_timeline(
        "Views consistent",
        "dbtopo_redis_cluster_views_consistent per Redis Cluster: all reachable nodes agree on "
        "membership and slot owners.",
        f"min by (namespace, db_cluster) (dbtopo_redis_cluster_views_consistent{{{F_CLUSTER}}})",
        "{{namespace}}/{{db_cluster}}", CONSISTENT), 12, 8)
    L.add(timeseries(
        "Slots by state",
        "dbtopo_redis_cluster_slots per node and state; a healthy cluster has 16384 assigned and "
        "ok on every node.",
        [target(f"max by ({POD}, state) (dbtopo_redis_cluster_slots{{{F_POD}}})",
                POD_LEGEND + " {{state}}")]), 12, 8)
    L.add(timeseries(
        "Known and unmet nodes",
        "dbtopo_redis_cluster_known_nodes and dbtopo_redis_cluster_unmet_nodes per node.",
        [target(f"max by ({POD}) (dbtopo_redis_cluster_known_nodes{{{F_POD}}})", POD_LEGEND + " known"),
         target(f"max by ({POD}) (dbtopo_redis_cluster_unmet_nodes{{{F_POD}}})", POD_LEGEND + " unmet",
                ref="B")]), 12, 8)
    L.add(timeseries(
        "Nodes by flag",
        "dbtopo_redis_cluster_nodes: nodes each node sees with flag fail, pfail, handshake, "
        "noaddr or a disconnected link.",
        [target(f"max by ({POD}, flag) (dbtopo_redis_cluster_nodes{{{F_POD}}}) > 0",
                POD_LEGEND + " {{flag}}")], stack=False), 12, 8)
    L.add(timeseries(
        "Masters per unit",
        "dbtopo_cluster_primaries per unit (a Redis Cluster shard has one master) and "
        "dbtopo_cluster_dual_primary (two masters claim one slot).",
        [target(f"max by ({UNIT}) (dbtopo_cluster_primaries{{{F_UNIT}}})", UNIT_LEGEND + " masters"),
         target(f"max by ({UNIT}) (dbtopo_cluster_dual_primary{{{F_UNIT}}})", UNIT_LEGEND + " dual",
                ref="B")]), 12, 8)
    return dashboard(
        "dbtopo-redis", "dbtopo / Redis",
        "Redis replication (roles, master links, lag) and Redis Cluster state: cluster_state, "
        "slots by state, known and unmet nodes, node flags, and whether the nodes agree.",
        ["dbtopo", "redis", "redis-cluster", "replication"], L)


DASHBOARDS = {
    "dbtopo-overview.json": overview,
    "dbtopo-mysql.json": mysql,
    "dbtopo-redis.json": redis,
}


def render(build):
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main(argv):
    check = "--check" in argv[1:]
    stale = []
    for name, build in DASHBOARDS.items():
        path = os.path.join(HERE, name)
        text = render(build)
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        if check:
            stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote dashboards/{name}")
    if stale:
        print("stale: " + ", ".join("dashboards/" + s for s in stale) +
              "; run python3 dashboards/gen_dashboards.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
