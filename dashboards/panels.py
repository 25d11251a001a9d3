"""The building blocks of the dbtopo Grafana dashboards: filters, value
mappings, panel constructors, the panels several dashboards share, the
template variables and the dashboard frame. Used by gen_dashboards.py.
"""

import json
import os


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


def series_timeline(title, description, metric, mappings, per="pod"):
    """`metric` per pod (its highest value) or per replica channel (its lowest: a 0 anywhere shows)."""
    by, agg, legend = (CHAN, "min", CHAN_LEGEND) if per == "channel" else (POD, "max", POD_LEGEND)
    return state_timeline(title, description, f"{agg} by ({by}) ({metric}{{{F_POD}}})", legend,
                          mappings)


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
