#!/usr/bin/env python3
"""Checks the conventions of alerts/*.rules.yml that promtool does not.

    check_alerts.py <repo root>

* every alert is named Dbtopo<CamelCase>, has a `for`, a severity label of
  critical|warning|info, and the annotations summary, description and
  runbook_url, the latter pointing at docs/runbook.md#<name in lower case>;
* docs/runbook.md has a `## <AlertName>` section for every alert (so the
  anchor exists) and no section for an alert that does not exist;
* alerts/*.test.yml has, for every alert, at least one case where it fires
  with exp_labels and exp_annotations, and one where it must stay silent
  (`exp_alerts: []`);
* no rule counts primaries across units (count/sum over dbtopo_role without a
  per-unit `by`), which would fire for Redis Cluster or for many clusters.

Standard library only: the files are read line by line, relying on the
layout they are written in (one key per line, `- alert:` starting a rule).
"""

import glob
import os
import re
import sys

RUNBOOK_BASE = "https://github.com/dbtopo/dbtopo_exporter/blob/main/docs/runbook.md#"
SEVERITIES = {"critical", "warning", "info"}


def parse_rules(path):
    """{alert name: {"for", "severity", "annotations": {...}, "expr", "dup"}}"""
    alerts = {}
    current = None
    block_indent = None  # indentation of the key owning a block scalar
    block_key = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if block_key is not None:
            if not line.strip() or indent > block_indent:
                if block_key == "expr":
                    current["expr"] += " " + line.strip()
                else:
                    current["annotations"][block_key] += " " + line.strip()
                continue
            block_key = None
        m = re.match(r"^\s*- (alert|record):\s*(\S+)\s*$", line)
        if m:
            current = None
            if m.group(1) == "alert":
                dup = m.group(2) in alerts
                current = alerts.setdefault(m.group(2), {"annotations": {}, "expr": ""})
                current["dup"] = dup
            continue
        if current is None:
            continue
        m = re.match(r"^\s*(expr|for|severity|summary|description|runbook_url):\s*(.*)$", line)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        if value in ("|", "|-", ">", ">-"):
            block_key, block_indent, value = key, indent, ""
        value = value.strip("'\"")
        if key in ("summary", "description", "runbook_url"):
            current["annotations"][key] = value
        else:
            current[key] = value
    return alerts


def parse_tests(path):
    """{alertname: {"fires": n, "silent": n}} from alert_rule_test entries."""
    out = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^\s*alertname:\s*(\S+)\s*$", lines[i])
        if not m:
            i += 1
            continue
        name = m.group(1)
        entry = out.setdefault(name, {"fires": 0, "silent": 0})
        j = i + 1
        while j < len(lines) and not re.match(r"^\s*exp_alerts:", lines[j]):
            j += 1
        if j == len(lines):
            break
        if re.match(r"^\s*exp_alerts:\s*\[\]\s*$", lines[j]):
            entry["silent"] += 1
        else:
            # The block up to the next eval_time / test must name labels and
            # annotations.
            k = j + 1
            block = []
            while k < len(lines) and not re.match(r"^\s*- (eval_time|name|interval):", lines[k]):
                block.append(lines[k])
                k += 1
            text = "\n".join(block)
            if "exp_labels:" in text and "exp_annotations:" in text:
                entry["fires"] += 1
        i = j + 1
    return out


def runbook_sections(path):
    with open(path, encoding="utf-8") as f:
        return [m.group(1) for m in re.finditer(r"^## (\S+)\s*$", f.read(), re.M)]


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    errors = []
    alerts = {}
    for path in sorted(glob.glob(os.path.join(root, "alerts", "*.rules.yml"))):
        for name, a in parse_rules(path).items():
            if name in alerts or a.get("dup"):
                errors.append(f"{name}: defined more than once")
            alerts[name] = a
    if not alerts:
        errors.append("no alerts found in alerts/*.rules.yml")

    for name, a in sorted(alerts.items()):
        if not re.fullmatch(r"Dbtopo(?:[A-Z][a-z0-9]+|[A-Z]+(?=[A-Z][a-z]|$))+", name):
            errors.append(f"{name}: not Dbtopo<CamelCase>")
        if a.get("severity") not in SEVERITIES:
            errors.append(f"{name}: severity {a.get('severity')!r} not one of {sorted(SEVERITIES)}")
        if not a.get("for"):
            errors.append(f"{name}: no `for` (a single bad round must not page)")
        for ann in ("summary", "description", "runbook_url"):
            if not a["annotations"].get(ann):
                errors.append(f"{name}: annotation {ann} missing")
        url = a["annotations"].get("runbook_url", "")
        if url != RUNBOOK_BASE + name.lower():
            errors.append(f"{name}: runbook_url {url!r}, want {RUNBOOK_BASE + name.lower()!r}")
        expr = re.sub(r"\s+", " ", a["expr"])
        if re.search(r"\b(count|sum)\s*\(\s*dbtopo_role\b", expr) or \
           re.search(r"\b(count|sum)\s*\(\s*dbtopo_writable\b", expr):
            errors.append(f"{name}: counts roles across units: {expr}")

    runbook = os.path.join(root, "docs", "runbook.md")
    sections = runbook_sections(runbook) if os.path.exists(runbook) else []
    if not sections:
        errors.append("docs/runbook.md: missing or has no '## <AlertName>' sections")
    for name in sorted(alerts):
        if name not in sections:
            errors.append(f"docs/runbook.md: no '## {name}' section")
    for s in sections:
        if s.startswith("Dbtopo") and s not in alerts:
            errors.append(f"docs/runbook.md: section '## {s}' for an alert that does not exist")

    coverage = {}
    for path in sorted(glob.glob(os.path.join(root, "alerts", "*.test.yml"))):
        for name, c in parse_tests(path).items():
            total = coverage.setdefault(name, {"fires": 0, "silent": 0})
            total["fires"] += c["fires"]
            total["silent"] += c["silent"]
    for name in sorted(alerts):
        c = coverage.get(name, {"fires": 0, "silent": 0})
        if c["fires"] == 0:
            errors.append(f"{name}: no test case where it fires (with exp_labels and exp_annotations)")
        if c["silent"] == 0:
            errors.append(f"{name}: no test case where it must stay silent (exp_alerts: [])")
    for name in sorted(coverage):
        if name not in alerts:
            errors.append(f"alerts/*.test.yml tests unknown alert {name}")

    for e in errors:
        print("FAIL: " + e)
    print(f"{len(alerts)} alerts checked, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
