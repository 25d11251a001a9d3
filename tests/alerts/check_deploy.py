#!/usr/bin/env python3
"""Checks that the generated files are up to date and that the deployed rules
are the tested rules.

    check_deploy.py <repo root> <promtool>

1. dashboards/gen_dashboards.py --check: dashboards/*.json match the generator.
2. alerts/gen_deploy.py --check: deploy/prometheusrule.yaml and
   deploy/grafana-dashboards-configmap.yaml match alerts/ and dashboards/.
3. spec.groups is extracted back out of deploy/prometheusrule.yaml and run
   through `promtool check rules` and every alerts/*.test.yml (with its
   rule_files pointed at the extracted copy): what Prometheus Operator loads
   passes the same unit tests.
4. Every dashboard JSON embedded in the ConfigMaps equals its file.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile


def run(cmd, cwd=None):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    sys.stdout.write(r.stdout + r.stderr)
    return r.returncode == 0


def extract_rules(prometheus_rule_path):
    """The spec.groups of the PrometheusRule as a standalone rules file."""
    with open(prometheus_rule_path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    try:
        start = lines.index("  groups:")
    except ValueError:
        raise SystemExit("deploy/prometheusrule.yaml: no '  groups:' under spec")
    out = ["groups:"]
    for line in lines[start + 1:]:
        if line and not line.startswith("  "):
            break  # next top-level key
        out.append(line[2:])
    return "\n".join(out) + "\n"


def extract_configmap_data(path):
    """{key: text} of every `  <key>: |` block in the ConfigMap file."""
    data, key, buf = {}, None, []
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in lines + ["---"]:
        if key is not None:
            if line == "" or line.startswith("    "):
                buf.append(line[4:])
                continue
            data[key] = "\n".join(buf).rstrip("\n") + "\n"
            key, buf = None, []
        m = re.match(r"^  (\S+\.json): \|$", line)
        if m:
            key = m.group(1)
    return data


def main(argv):
    root, promtool = argv[1], argv[2]
    ok = True
    py = sys.executable
    ok &= run([py, os.path.join(root, "dashboards", "gen_dashboards.py"), "--check"])
    ok &= run([py, os.path.join(root, "alerts", "gen_deploy.py"), "--check"])

    with tempfile.TemporaryDirectory() as tmp:
        rules = os.path.join(tmp, "deployed.rules.yml")
        with open(rules, "w", encoding="utf-8") as f:
            f.write(extract_rules(os.path.join(root, "deploy", "prometheusrule.yaml")))
        ok &= run([promtool, "check", "rules", rules])
        for test in sorted(glob.glob(os.path.join(root, "alerts", "*.test.yml"))):
            with open(test, encoding="utf-8") as f:
                text = f.read()
            # Replace the rule_files list with the extracted copy.
            text, n = re.subn(r"(?m)^rule_files:\n(?:[ \t]+-.*\n)+", "rule_files:\n  - deployed.rules.yml\n", text)
            if n != 1:
                print(f"{test}: cannot find its rule_files list")
                ok = False
                continue
            copy = os.path.join(tmp, os.path.basename(test))
            with open(copy, "w", encoding="utf-8") as f:
                f.write(text)
            ok &= run([promtool, "test", "rules", os.path.basename(copy)], cwd=tmp)

    embedded = extract_configmap_data(os.path.join(root, "deploy", "grafana-dashboards-configmap.yaml"))
    files = {os.path.basename(p): p for p in glob.glob(os.path.join(root, "dashboards", "*.json"))}
    if set(embedded) != set(files):
        print(f"ConfigMap keys {sorted(embedded)} != dashboards {sorted(files)}")
        ok = False
    for key, text in embedded.items():
        if key in files:
            with open(files[key], encoding="utf-8") as f:
                if json.loads(text) != json.load(f):
                    print(f"ConfigMap {key} differs from dashboards/{key}")
                    ok = False
    print("deployed files: " + ("up to date" if ok else "PROBLEMS (see above)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
