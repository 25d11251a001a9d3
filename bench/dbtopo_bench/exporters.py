"""The exporters under test: dbtopo_exporter and the stock ones, one phase each."""

import argparse
import collections
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from .common import *  # noqa: F401,F403
from .wire import *  # noqa: F401,F403
from .servers import *  # noqa: F401,F403
from .stats import *  # noqa: F401,F403


# --------------------------------------------------------------------------- exporters


class Dbtopo:
    def __init__(self, bench, name, clusters, poll_interval="1s", probe_timeout="1s"):
        self.bench = bench
        self.dir = os.path.join(bench.workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        cfg = [f"poll_interval: {poll_interval}", f"probe_timeout: {probe_timeout}"]
        cfg += [line for line in bench.args.dbtopo_extra_config.split(";") if line.strip()]
        cfg.append("clusters:")
        for c in clusters:
            pw = os.path.join(self.dir, f"{c['name']}.pw")
            with open(pw, "w") as f:
                f.write(c["password"] + "\n")
            os.chmod(pw, 0o600)
            cfg += [f"  - name: {c['name']}", f"    engine: {c['engine']}",
                    f"    credentials: {{username: {c['username']}, password_file: {pw}}}", "    members:"]
            for pod, port, role in c["members"]:
                labels = f", labels: {{kubeblocks.io/role: {role}}}" if role else ""
                cfg.append(f"      - {{pod: {pod}, address: '127.0.0.1:{port}'{labels}}}")
        self.config = os.path.join(self.dir, "config.yml")
        with open(self.config, "w") as f:
            f.write("\n".join(cfg) + "\n")
        self.targets = sum(len(c["members"]) for c in clusters)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = os.path.join(self.dir, "exporter.log")
        chk = run([bench.dbtopo, f"--config.file={self.config}", "--check-config"], check=False)
        if chk.returncode != 0:
            raise BenchError(f"dbtopo_exporter --check-config rejected the bench config: "
                             f"{(chk.stderr or chk.stdout).strip()}")
        # debug: one "poll round done" line per round gives every round's duration
        # without scraping faster than a Prometheus would.
        self.proc = bench.children.start("dbtopo_exporter", [
            bench.dbtopo, f"--config.file={self.config}", f"--web.listen-address=127.0.0.1:{self.port}",
            "--log.level=debug"], self.log)

    def wait_ready(self):
        wait_until("dbtopo_exporter /-/ready", lambda: http_get(self.url + "/-/ready")[0] == 200, 30,
                   proc=self.proc)

    def scrape(self):
        code, body, secs = http_get(self.url + "/metrics")
        if code != 200:
            return {"ok": False, "secs": secs, "error": body[:200]}
        samples = parse_prom(body)
        g = collections.defaultdict(list)
        for n, labels, v in samples:
            g[n].append((labels, v))
        one = lambda n: g[n][0][1] if g.get(n) else None  # noqa: E731
        return {"ok": True, "secs": secs, "bytes": len(body), "rounds": one("dbtopo_poll_rounds_total"),
                "failures": one("dbtopo_probe_failures_total"), "poll": one("dbtopo_poll_duration_seconds"),
                "probe": [v for _, v in g.get("dbtopo_probe_duration_seconds", [])],
                "up": {l.get("pod"): v for l, v in g.get("dbtopo_up", [])},
                "findings": sorted(f"{l.get('kind')}({l.get('pod') or l.get('db_cluster')})"
                                   for l, v in g.get("dbtopo_finding", []) if v == 1)}

    def down_targets(self):
        code, body, _ = http_get(self.url + "/api/v1/topology")
        out = []
        try:
            doc = json.loads(body)
        except ValueError:
            return [f"/api/v1/topology unreadable ({code})"]

        def walk(x):
            if isinstance(x, dict):
                if "pod" in x and "up" in x and not x["up"]:
                    out.append(f"{x['pod']}: {x.get('error')}")
                for v in x.values():
                    walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)
        walk(doc)
        return out

    def wait_round(self, timeout=10.0):
        """Blocks until the exporter logs the end of a poll round that starts
        after this call; returns that round's number. (spdlog flushes every line.)"""
        with open(self.log, "rb") as f:
            f.seek(0, os.SEEK_END)
            buf = b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                chunk = f.read()
                if chunk:
                    buf += chunk
                    lines = buf.split(b"\n")
                    buf = lines.pop()
                    for line in lines:
                        m = re.search(rb"poll round done.*\bround=(\d+)", line)
                        if m:
                            return int(m.group(1))
                else:
                    time.sleep(0.002)
        raise BenchError(f"dbtopo_exporter logged no poll round for {timeout}s\n{tail(self.log)}")

    def round_durations(self, first, last):
        """Durations of rounds first..last from the debug log."""
        out = []
        with open(self.log, errors="replace") as f:
            for line in f:
                if "poll round done" not in line:
                    continue
                r = re.search(r"\bround=(\d+)", line)
                d = re.search(r"\bduration_seconds=([0-9.eE+-]+)", line)
                if r and d and first <= int(r.group(1)) <= last:
                    out.append(float(d.group(1)))
        return out


def run_dbtopo_phase(bench, label, clusters, servers, proto):
    say(f"{label}: dbtopo_exporter on {sum(len(c['members']) for c in clusters)} targets")
    ex = Dbtopo(bench, f"dbtopo-{label}", clusters)
    try:
        ex.wait_ready()
        time.sleep(bench.warmup)
        first = ex.scrape()
        down = [p for p, v in first.get("up", {}).items() if v != 1]
        if not first["ok"] or down:
            problems = ex.down_targets() if first["ok"] else [first.get("error")]
            return {"error": "dbtopo_exporter does not probe these targets: " + "; ".join(problems)}
        scrapes = []
        w = Window(bench, f"dbtopo-{label}", [ex.proc.pid], servers, proto,
                   lambda i: scrapes.append(ex.scrape()), bench.seconds, sync=ex.wait_round)
        last = ex.scrape()
        rounds = w.mark_b - w.mark_a
        ok = [s for s in scrapes if s["ok"]]
        downs = sorted({p for s in ok for p, v in s["up"].items() if v != 1})
        res = {"window": w, "kind": "dbtopo", "targets": ex.targets, "polls": rounds,
               "target_polls": rounds * ex.targets,
               "round_secs": ex.round_durations(w.mark_a + 1, w.mark_b),
               "probe_secs": [v for s in ok for v in s["probe"]],
               "scrape_secs": [s["secs"] for s in ok], "scrape_errors": len(scrapes) - len(ok),
               "failures": (last["failures"] or 0) - (first["failures"] or 0),
               "findings": last["findings"], "down_seen": downs,
               "scrape_bytes": ok[-1]["bytes"] if ok else 0}
    finally:
        code, secs = bench.children.stop(ex.proc)
        if "res" in locals():
            res["exit"] = (code, secs)
    return res


def run_stock_phase(bench, label, kind, endpoints, servers, proto, procs, up_metric):
    """endpoints: [(target name, url)] scraped together every second."""
    say(f"{label}: {kind} on {len(endpoints)} targets ({len(procs)} process(es))")
    try:
        for name, url in endpoints:
            wait_until(f"{kind} serving {name}", lambda url=url: http_get(url)[0] == 200, 30,
                       proc=next((p for p in procs if p.poll() is not None), None))
        for _ in range(2):  # warm-up scrapes (first connection, Go runtime)
            for _, url in endpoints:
                http_get(url)
        time.sleep(max(0.0, bench.warmup - 1))
        pool = []

        def one(name, url, out):
            code, body, secs = http_get(url, timeout=10)
            up = None
            if code == 200:
                for n, _, v in parse_prom(body):
                    if n == up_metric:
                        up = v
                        break
            out.append({"target": name, "ok": code == 200 and up == 1, "secs": secs, "code": code,
                        "up": up, "bytes": len(body)})

        def tick(i):
            out = []
            threads = [threading.Thread(target=one, args=(n, u, out)) for n, u in endpoints]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            pool.extend(out)
            return max(r["secs"] for r in out)

        w = Window(bench, f"{kind}-{label}", [p.pid for p in procs], servers, proto, tick, bench.seconds)
        ok = [r for r in pool if r["ok"]]
        bad = [r for r in pool if not r["ok"]]
        res = {"window": w, "kind": kind, "targets": len(endpoints), "polls": bench.seconds,
               "target_polls": len(pool), "round_secs": w.tick_results,
               "probe_secs": [r["secs"] for r in pool], "scrape_secs": [r["secs"] for r in pool],
               "scrape_errors": len(bad), "failures": len(bad),
               "bad_example": (bad[0] if bad else None), "processes": len(procs),
               "scrape_bytes": ok[-1]["bytes"] if ok else 0}
    finally:
        for p in procs:
            bench.children.stop(p)
    return res
