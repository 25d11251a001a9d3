#!/usr/bin/env python3
"""Lints the Grafana dashboards in dashboards/*.json.

    lint_dashboards.py <repo root> [--promtool PATH]

Checks, for every dashboard:
* the file parses as JSON and has uid (unique), title, tags (with "dbtopo")
  and schemaVersion >= 36;
* templating has exactly the variables datasource (type datasource, query
  prometheus), namespace, db_cluster, component, pod (query variables over
  label_values(dbtopo_up...), multi, includeAll, allValue ".*" so that
  static-config series without a namespace label still match);
* every panel (rows included, recursively) that queries has datasource
  ${datasource}, and so has every target;
* target expressions use only those variables (plus $__rate_interval), every
  rate()/irate()/increase() range is [$__rate_interval], and every dbtopo_*
  metric named is one the exporter exposes (catches typos);
* panel ids are unique and panels fit the 24-column grid;
* the overview has stat panels for primaries and active findings, and a pods
  table with role, role label, link and lag;
* with --promtool, every expression (variables substituted) parses as PromQL:
  they are wrapped into a throw-away recording-rule file for
  `promtool check rules`.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile

VARIABLES = ["datasource", "namespace", "db_cluster", "component", "pod"]
BUILTINS = {"__rate_interval"}
DS_UID = "${datasource}"

# The exporter's metric contract, plus the series Prometheus adds.
METRICS = {
    "dbtopo_up", "dbtopo_probe_duration_seconds", "dbtopo_role", "dbtopo_role_label",
    "dbtopo_role_label_mismatch", "dbtopo_writable", "dbtopo_replication_io_running",
    "dbtopo_replication_sql_running", "dbtopo_replication_link_up", "dbtopo_replication_lag_seconds",
    "dbtopo_replication_last_error_number", "dbtopo_replication_source_valid",
    "dbtopo_cluster_primaries", "dbtopo_cluster_labelled_primaries", "dbtopo_cluster_dual_primary",
    "dbtopo_cluster_server_id_conflicts", "dbtopo_redis_cluster_state", "dbtopo_redis_cluster_slots",
    "dbtopo_redis_cluster_known_nodes", "dbtopo_redis_cluster_unmet_nodes",
    "dbtopo_redis_cluster_nodes", "dbtopo_redis_cluster_views_consistent", "dbtopo_finding",
    "dbtopo_remediation_actions_total", "dbtopo_poll_duration_seconds",
    "dbtopo_last_poll_timestamp_seconds", "dbtopo_exporter_build_info",
    "dbtopo_replication_configured_delay_seconds", "dbtopo_replication_errant_gtid",
    "dbtopo_sentinel_master_info", "dbtopo_sentinel_master_status", "dbtopo_sentinel_quorum_ok",
    "dbtopo_sentinel_known_sentinels", "dbtopo_sentinel_known_replicas", "dbtopo_sentinel_tilt",
    "dbtopo_sentinel_config_epoch",
    # Rendered by exporter/src/metrics_text.cc beyond the core contract.
    "dbtopo_pod_ready", "dbtopo_server_info", "dbtopo_replication_lag_bytes",
    "dbtopo_replication_last_io_seconds_ago", "dbtopo_redis_cluster_size",
    "dbtopo_redis_cluster_current_epoch", "dbtopo_redis_cluster_my_epoch", "dbtopo_targets",
    "dbtopo_poll_rounds_total", "dbtopo_probe_failures_total",
}


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def datasource_uid(ds):
    if isinstance(ds, dict):
        return ds.get("uid")
    return ds


def range_function_args(expr, names=("rate", "irate", "increase")):
    """Yields the argument text of every call to one of `names`."""
    for m in re.finditer(r"\b(%s)\s*\(" % "|".join(names), expr):
        depth, i = 1, m.end()
        while i < len(expr) and depth:
            depth += {"(": 1, ")": -1}.get(expr[i], 0)
            i += 1
        yield m.group(1), expr[m.end():i - 1]


def substitute(expr):
    expr = expr.replace("$__rate_interval", "1m")
    return re.sub(r"\$\{?(\w+)\}?", ".*", expr)


def lint(path, errors, exprs, uids):
    name = os.path.basename(path)

    def err(msg):
        errors.append(f"{name}: {msg}")

    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        err(f"does not parse: {e}")
        return None

    for key in ("uid", "title"):
        if not isinstance(d.get(key), str) or not d.get(key):
            err(f"no {key}")
    if d.get("uid") in uids:
        err(f"uid {d.get('uid')!r} also used by {uids[d.get('uid')]}")
    uids[d.get("uid")] = name
    if len(d.get("uid", "")) > 40:
        err("uid longer than 40 characters")
    if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 36:
        err(f"schemaVersion {d.get('schemaVersion')!r}, want >= 36")
    if "dbtopo" not in (d.get("tags") or []):
        err("tags lack 'dbtopo'")

    variables = (d.get("templating") or {}).get("list") or []
    names = [v.get("name") for v in variables]
    if names != VARIABLES:
        err(f"variables {names}, want exactly {VARIABLES}")
    for v in variables:
        vname = v.get("name")
        if vname == "datasource":
            if v.get("type") != "datasource" or v.get("query") != "prometheus":
                err("variable datasource must be type datasource, query prometheus")
            continue
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        if v.get("type") != "query":
            err(f"variable {vname}: type {v.get('type')!r}, want query")
        if not re.fullmatch(r"label_values\(dbtopo_up(\{[^}]*\})?,\s*%s\)" % re.escape(vname or ""), q or ""):
            err(f"variable {vname}: query {q!r}, want label_values(dbtopo_up..., {vname})")
        if datasource_uid(v.get("datasource")) != DS_UID:
            err(f"variable {vname}: datasource is not {DS_UID}")
        if not (v.get("multi") and v.get("includeAll")):
            err(f"variable {vname}: want multi and includeAll")
        if v.get("allValue") != ".*":
            err(f"variable {vname}: allValue {v.get('allValue')!r}, want '.*'")
        for ref in re.findall(r"\$\{?(\w+)", q or ""):
            if ref not in VARIABLES:
                err(f"variable {vname}: query references unknown ${ref}")

    ids = set()
    for p in walk_panels(d.get("panels") or []):
        title = p.get("title", "?")
        if p.get("id") in ids:
            err(f"panel {title!r}: duplicate id {p.get('id')}")
        ids.add(p.get("id"))
        g = p.get("gridPos") or {}
        if g.get("x", 0) + g.get("w", 0) > 24 or g.get("w", 0) <= 0 or g.get("h", 0) <= 0:
            err(f"panel {title!r}: bad gridPos {g}")
        if p.get("type") == "row":
            continue
        if datasource_uid(p.get("datasource")) != DS_UID:
            err(f"panel {title!r}: datasource {p.get('datasource')!r}, want uid {DS_UID}")
        targets = p.get("targets") or []
        if not targets and p.get("type") not in ("text", "news", "dashlist"):
            err(f"panel {title!r}: no targets")
        for t in targets:
            if datasource_uid(t.get("datasource")) != DS_UID:
                err(f"panel {title!r} target {t.get('refId')}: datasource is not {DS_UID}")
            expr = t.get("expr") or ""
            if not expr.strip():
                err(f"panel {title!r} target {t.get('refId')}: empty expr")
                continue
            for ref in re.findall(r"\$\{?(\w+)", expr):
                if ref not in VARIABLES[1:] and ref not in BUILTINS:
                    err(f"panel {title!r}: expr uses ${ref}, not a dashboard variable")
            for fn, arg in range_function_args(expr):
                ranges = re.findall(r"\[([^\]]*)\]", arg)
                if not ranges or any(r != "$__rate_interval" for r in ranges):
                    err(f"panel {title!r}: {fn}() range must be [$__rate_interval]: {expr}")
            for metric in set(re.findall(r"\b(dbtopo_\w+)", expr)):
                if metric not in METRICS:
                    err(f"panel {title!r}: unknown metric {metric}")
            exprs.append((f"{name} / {title} / {t.get('refId')}", expr))
    return d


def check_overview(d, errors):
    panels = [p for p in walk_panels(d.get("panels") or []) if p.get("type") != "row"]

    def exprs(p):
        return " ".join(t.get("expr", "") for t in p.get("targets") or [])

    if not any(p["type"] == "stat" and "dbtopo_cluster_primaries" in exprs(p) for p in panels):
        errors.append("dbtopo-overview.json: no stat panel for primaries per unit")
    if not any(p["type"] == "stat" and "dbtopo_finding" in exprs(p) for p in panels):
        errors.append("dbtopo-overview.json: no stat panel for active findings")
    wanted = ["dbtopo_role{", "dbtopo_role_label{", "dbtopo_replication_link_up", "dbtopo_replication_lag_seconds"]
    if not any(p["type"] == "table" and all(w in exprs(p) for w in wanted) for p in panels):
        errors.append("dbtopo-overview.json: no pods table with role, role label, link and lag")


def promtool_parse(promtool, exprs, errors):
    """Parses every expression with promtool by wrapping them as recording rules."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dashboard_exprs.rules.yml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("groups:\n  - name: dashboard_exprs\n    rules:\n")
            for i, (_, expr) in enumerate(exprs):
                f.write(f"      - record: dashboard_expr_{i}\n        expr: {json.dumps(substitute(expr))}\n")
        r = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
        if r.returncode != 0:
            out = r.stdout + r.stderr
            # Name the offending panel when promtool names a rule index.
            for m in re.finditer(r"dashboard_expr_(\d+)", out):
                where, expr = exprs[int(m.group(1))]
                errors.append(f"{where}: PromQL does not parse: {expr}")
            errors.append("promtool check rules on the dashboard expressions failed:\n" + out)


def main(argv):
    args = argv[1:]
    promtool = None
    if "--promtool" in args:
        i = args.index("--promtool")
        promtool = args[i + 1]
        del args[i:i + 2]
    root = args[0] if args else os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    errors, exprs, uids = [], [], {}
    files = sorted(glob.glob(os.path.join(root, "dashboards", "*.json")))
    if not files:
        errors.append("no dashboards/*.json")
    for path in files:
        d = lint(path, errors, exprs, uids)
        if d is not None and os.path.basename(path) == "dbtopo-overview.json":
            check_overview(d, errors)
    if not any(os.path.basename(p) == "dbtopo-overview.json" for p in files):
        errors.append("no dashboards/dbtopo-overview.json")
    if promtool and exprs:
        promtool_parse(promtool, exprs, errors)
    for e in errors:
        print("FAIL: " + e)
    print(f"{len(files)} dashboards, {len(exprs)} queries checked, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
