#!/usr/bin/env python3
"""Self-test of lint_dashboards.py: each known mistake, planted in a copy of
the real overview dashboard, must be reported.

    selftest_lint.py <repo root> [--promtool PATH]
"""

import copy
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lint_dashboards  # noqa: E402


def first_target(d, panel_type=None):
    for p in lint_dashboards.walk_panels(d["panels"]):
        if p.get("targets") and (panel_type is None or p["type"] == panel_type):
            return p, p["targets"][0]
    raise AssertionError("no panel with targets")


def mutations():
    def bad_var(d):
        d["templating"]["list"].append(dict(d["templating"]["list"][1], name="instance"))

    def unknown_ref(d):
        first_target(d)[1]["expr"] += ' * on() group_left() vector($instance)'

    def panel_ds(d):
        first_target(d)[0]["datasource"] = {"type": "prometheus", "uid": "prometheus"}

    def target_ds(d):
        first_target(d)[1]["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}

    def fixed_rate(d):
        first_target(d)[1]["expr"] = "sum(rate(dbtopo_remediation_actions_total[5m]))"

    def typo_metric(d):
        first_target(d)[1]["expr"] = 'max(dbtopo_cluster_primary{namespace=~"$namespace"})'

    def bad_promql(d):
        first_target(d)[1]["expr"] = 'max by (pod (dbtopo_up{pod=~"$pod"})'

    def no_uid(d):
        del d["uid"]

    def all_value(d):
        d["templating"]["list"][2]["allValue"] = None

    def no_pods_table(d):
        d["panels"] = [p for p in d["panels"] if p.get("title") != "Pods"]

    return [
        ("extra variable", bad_var, "want exactly"),
        ("unknown variable in expr", unknown_ref, "not a dashboard variable"),
        ("panel datasource", panel_ds, "datasource"),
        ("target datasource", target_ds, "datasource is not"),
        ("rate without $__rate_interval", fixed_rate, "[$__rate_interval]"),
        ("metric typo", typo_metric, "unknown metric dbtopo_cluster_primary"),
        ("PromQL syntax", bad_promql, "does not parse"),
        ("missing uid", no_uid, "no uid"),
        ("allValue", all_value, "allValue"),
        ("pods table", no_pods_table, "no pods table"),
    ]


def main(argv):
    args = argv[1:]
    promtool = None
    if "--promtool" in args:
        i = args.index("--promtool")
        promtool = args[i + 1]
        del args[i:i + 2]
    root = args[0] if args else os.path.dirname(os.path.dirname(HERE))
    with open(os.path.join(root, "dashboards", "dbtopo-overview.json"), encoding="utf-8") as f:
        good = json.load(f)
    failures = 0
    for label, mutate, expected in mutations():
        if label == "PromQL syntax" and not promtool:
            continue
        d = copy.deepcopy(good)
        mutate(d)
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "dashboards"))
            with open(os.path.join(tmp, "dashboards", "dbtopo-overview.json"), "w") as f:
                json.dump(d, f)
            errors, exprs, uids = [], [], {}
            parsed = lint_dashboards.lint(os.path.join(tmp, "dashboards", "dbtopo-overview.json"),
                                          errors, exprs, uids)
            if parsed is not None:
                lint_dashboards.check_overview(parsed, errors)
            if promtool:
                lint_dashboards.promtool_parse(promtool, exprs, errors)
        if any(expected in e for e in errors):
            print(f"ok   {label}")
        else:
            failures += 1
            print(f"FAIL {label}: expected an error containing {expected!r}, got {errors}")
    # And the unmodified dashboard is clean.
    errors, exprs, uids = [], [], {}
    lint_dashboards.lint(os.path.join(root, "dashboards", "dbtopo-overview.json"), errors, exprs, uids)
    if errors:
        failures += 1
        print(f"FAIL clean dashboard reported: {errors}")
    print(f"selftest: {len(mutations()) - failures} planted mistakes caught, {failures} missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
