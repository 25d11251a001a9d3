#!/usr/bin/env python3
"""Checks alerts/alertmanager.example.yml with amtool.

    check_alertmanager.py <repo root> <amtool>

* `amtool check-config` accepts it;
* every alert of alerts/*.rules.yml, with its own severity label, is routed
  to dbtopo-page (critical) or dbtopo-ticket (warning, info), plus
  dbtopo-remediation for the alerts the remediation hook acts on.
"""

import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_alerts  # noqa: E402

REMEDIATION = {"DbtopoDualPrimary", "DbtopoNoPrimary", "DbtopoRoleLabelMismatch"}


def main(argv):
    root, amtool = argv[1], argv[2]
    config = os.path.join(root, "alerts", "alertmanager.example.yml")
    ok = True
    r = subprocess.run([amtool, "check-config", config], capture_output=True, text=True)
    sys.stdout.write(r.stdout + r.stderr)
    ok &= r.returncode == 0
    alerts = {}
    for path in sorted(glob.glob(os.path.join(root, "alerts", "*.rules.yml"))):
        alerts.update(check_alerts.parse_rules(path))
    for name, a in sorted(alerts.items()):
        severity = a.get("severity")
        want = ["dbtopo-page" if severity == "critical" else "dbtopo-ticket"]
        if name in REMEDIATION:
            want.insert(0, "dbtopo-remediation")
        cmd = [amtool, "config", "routes", "test", "--config.file=" + config,
               "--verify.receivers=" + ",".join(want),
               "alertname=" + name, "severity=" + severity, "namespace=shop", "db_cluster=orders",
               "component=mysql"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            ok = False
            print(f"FAIL {name} (severity {severity}): want {want}, got {r.stdout.strip()}")
    print(f"{len(alerts)} alerts routed: " + ("ok" if ok else "PROBLEMS"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
