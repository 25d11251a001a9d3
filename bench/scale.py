#!/usr/bin/env python3
"""dbtopo_exporter at scale: thousands of targets in one process (stdlib only).

Starts `--servers` real redis-server processes on 127.0.0.1, in replication
sets of three (a master and two replicas), and lists each set again and again
as database clusters of three members (a primary and two replicas, role
labels as KubeBlocks sets them), until the config holds the target count
asked for: every member is a real server, every unit a legal topology. For
each count it runs dbtopo_exporter at poll_interval 1s and measures, over a
window of whole rounds:

* round time (from the exporter's debug log), CPU per target-poll (utime +
  stime over the window / (rounds x targets)), peak and final RSS;
* /metrics scraped once per second plainly and once with
  `Accept-Encoding: gzip`: wall time until the last byte, and bytes.

Then prometheus-redis-exporter (one process, /scrape?target= per server, as
many scrapes per second as there are servers) over the same servers, for its
CPU per target-scrape in the same run. It prints figures; it asserts nothing.

    bench/run.sh scale                      # 1k and 10k targets, 30 s windows
    SCALE_TARGETS=1000 bench/run.sh scale   # one count
"""

import argparse
import gzip
import os
import signal
import sys
import tempfile
import time
import urllib.request

import bench as b


class ScaleBench:
    """What bench.Redis and bench.Dbtopo need of a Bench."""

    def __init__(self, args):
        self.args = args
        self.dbtopo = args.dbtopo
        self.workdir = args.workdir or tempfile.mkdtemp(prefix="dbtopo-scale-")
        self.children = b.Children(os.environ.get("BENCH_PIDFILE"))
        self.password = os.urandom(12).hex()


def timed_get(url, gzip_ok):
    """(status, body bytes as sent, seconds until the last byte)."""
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    t0 = time.perf_counter()
    try:
        with b.HTTP.open(req, timeout=30) as r:
            body = r.read()
            return r.status, body, time.perf_counter() - t0, r.headers.get("Content-Encoding", "")
    except OSError as e:
        return 0, str(e).encode(), time.perf_counter() - t0, ""


def start_servers(bench, n):
    users = {"exporter": bench.password, "redis_exporter": bench.password}
    sets = []
    for s in range(n // 3):
        master = b.Redis(bench, f"redis-{s}-0", users)
        master.wait_ready()
        replicas = [b.Redis(bench, f"redis-{s}-{i}", users, replicaof=master.port) for i in (1, 2)]
        for r in replicas:
            r.wait_ready()
        for r in replicas:
            b.wait_until(f"{r.name} master_link_status up",
                         lambda r=r: r.info("replication").get("master_link_status") == "up", 30)
        sets.append([master] + replicas)
    return sets


def clusters_for(bench, sets, targets):
    clusters = []
    for c in range((targets + 2) // 3):
        members = [(f"c{c}-{i}", srv.port, "primary" if i == 0 else "secondary")
                   for i, srv in enumerate(sets[c % len(sets)])]
        clusters.append({"name": f"scale-{c}", "engine": "redis", "username": "exporter",
                         "password": bench.password, "members": members})
    return clusters


def measure_dbtopo(bench, sets, targets, seconds):
    clusters = clusters_for(bench, sets, targets)
    n = sum(len(c["members"]) for c in clusters)
    b.say(f"dbtopo_exporter on {n} targets ({len(clusters)} clusters)")
    ex = b.Dbtopo(bench, f"dbtopo-{n}", clusters)
    try:
        b.wait_until("dbtopo_exporter /-/ready", lambda: b.http_get(ex.url + "/-/ready")[0] == 200, 120,
                     proc=ex.proc)
        time.sleep(3)
        first = ex.scrape()
        down = [p for p, v in first.get("up", {}).items() if v != 1]
        if not first["ok"] or down:
            raise b.BenchError(f"{len(down)} of {n} targets down: {ex.down_targets()[:3]}")
        plain, zipped = [], []
        rss = []
        mark_a = ex.wait_round(timeout=30)
        cpu_a, t_a = b.proc_cpu_ticks(ex.proc.pid), time.monotonic()
        for i in range(seconds):
            deadline = t_a + i + 1
            code, body, secs, enc = timed_get(ex.url + "/metrics", gzip_ok=False)
            if code == 200:
                plain.append((secs, len(body)))
            code, body, secs, enc = timed_get(ex.url + "/metrics", gzip_ok=True)
            if code == 200 and enc == "gzip":
                gzip.decompress(body)  # it must be a whole gzip stream
                zipped.append((secs, len(body)))
            rss.append(b.proc_mem_kib(ex.proc.pid))
            if deadline > time.monotonic():
                time.sleep(deadline - time.monotonic())
        mark_b = ex.wait_round(timeout=30)
        cpu_b = b.proc_cpu_ticks(ex.proc.pid)
        rounds = mark_b - mark_a
        mem = b.proc_mem_kib(ex.proc.pid)
        durations = ex.round_durations(mark_a + 1, mark_b)
        return {"targets": n, "rounds": rounds, "round": b.summary(durations),
                "cpu_ms_per_target_poll": (cpu_b - cpu_a) / b.CLK_TCK * 1000 / max(1, rounds * n),
                "cpu_cores": (cpu_b - cpu_a) / b.CLK_TCK / (time.monotonic() - t_a),
                "rss_mib": mem["VmRSS"] / 1024, "hwm_mib": mem["VmHWM"] / 1024,
                "plain": b.summary([s for s, _ in plain]), "plain_bytes": plain[-1][1] if plain else 0,
                "gzip": b.summary([s for s, _ in zipped]), "gzip_bytes": zipped[-1][1] if zipped else 0,
                "gzip_served": len(zipped), "scrapes": seconds}
    finally:
        bench.children.stop(ex.proc)


def measure_redis_exporter(bench, servers, seconds):
    b.say(f"redis_exporter on {len(servers)} servers, one /scrape?target= per server per second")
    logdir = os.path.join(bench.workdir, "redis_exporter")
    os.makedirs(logdir, exist_ok=True)
    pwfile = os.path.join(logdir, "password")
    with open(pwfile, "w") as f:
        f.write("{" + ",".join(f'"redis://127.0.0.1:{s.port}": "{bench.password}"' for s in servers) + "}")
    os.chmod(pwfile, 0o600)
    port = b.free_port()
    proc = bench.children.start("redis_exporter", [
        "prometheus-redis-exporter", f"-web.listen-address=127.0.0.1:{port}", "-redis.addr=",
        "-redis.user=redis_exporter", f"-redis.password-file={pwfile}", "-redis-only-metrics",
        "-set-client-name=false"], os.path.join(logdir, "exporter.log"))
    urls = [f"http://127.0.0.1:{port}/scrape?target=redis://127.0.0.1:{s.port}" for s in servers]
    try:
        for url in urls:
            b.wait_until("redis_exporter serving", lambda url=url: b.http_get(url)[0] == 200, 30, proc=proc)
        cpu_a, t_a = b.proc_cpu_ticks(proc.pid), time.monotonic()
        scrapes = 0
        for i in range(seconds):
            deadline = t_a + i + 1
            for url in urls:
                scrapes += b.http_get(url, timeout=10)[0] == 200
            if deadline > time.monotonic():
                time.sleep(deadline - time.monotonic())
        cpu_b = b.proc_cpu_ticks(proc.pid)
        return {"scrapes": scrapes,
                "cpu_ms_per_target_scrape": (cpu_b - cpu_a) / b.CLK_TCK * 1000 / max(1, scrapes)}
    finally:
        bench.children.stop(proc)


def ms(s, key):
    return "-" if not s else f"{s[key] * 1000:.1f}"


def print_results(rows, theirs, servers):
    head = ["targets", "rounds", "round avg ms", "round p95 ms", "round max ms",
            "/metrics p50 ms", "/metrics p95 ms", "MiB", "gzip p50 ms", "gzip p95 ms", "gzip MiB",
            "RSS MiB", "peak RSS MiB", "CPU cores", "CPU ms / target-poll"]
    print()
    print(f"dbtopo_exporter at scale: {servers} redis-server processes, poll_interval 1s")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = [r["targets"], r["rounds"], ms(r["round"], "avg"), ms(r["round"], "p95"),
                 ms(r["round"], "max"), ms(r["plain"], "p50"), ms(r["plain"], "p95"),
                 f"{r['plain_bytes'] / 2**20:.1f}", ms(r["gzip"], "p50"), ms(r["gzip"], "p95"),
                 f"{r['gzip_bytes'] / 2**20:.2f}", f"{r['rss_mib']:.0f}", f"{r['hwm_mib']:.0f}",
                 f"{r['cpu_cores']:.2f}", f"{r['cpu_ms_per_target_poll']:.4f}"]
        print("| " + " | ".join(str(c) for c in cells) + " |")
        if r["gzip_served"] < r["scrapes"]:
            print(f"  note: {r['scrapes'] - r['gzip_served']} gzip scrapes were not answered gzip")
    if theirs:
        print(f"redis_exporter, same servers and run: {theirs['cpu_ms_per_target_scrape']:.3f} CPU ms per "
              f"target-scrape ({theirs['scrapes']} scrapes)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dbtopo", required=True)
    ap.add_argument("--targets", default="1000,10000")
    ap.add_argument("--servers", type=int, default=6, help="redis-server processes, a multiple of 3")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--dbtopo-extra-config", default="")
    ap.add_argument("--workdir")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if args.servers < 3 or args.servers % 3:
        raise SystemExit("--servers must be a positive multiple of 3 (replication sets of three)")
    bench = ScaleBench(args)
    signal.signal(signal.SIGTERM, lambda signum, _: (_ for _ in ()).throw(KeyboardInterrupt()))
    rows, theirs, failed = [], None, []
    try:
        sets = start_servers(bench, args.servers)
        for t in [int(x) for x in args.targets.split(",") if x.strip()]:
            try:
                rows.append(measure_dbtopo(bench, sets, t, args.seconds))
            except b.BenchError as e:
                failed.append(f"{t} targets: {e}")
        theirs = measure_redis_exporter(bench, [s for st in sets for s in st], args.seconds)
    except (b.BenchError, KeyboardInterrupt) as e:
        failed.append(str(e) or "interrupted")
    finally:
        b.clean_up(bench, args.keep or failed)
    print_results(rows, theirs, args.servers)
    print(f"host: {os.cpu_count()} CPUs; load average {open('/proc/loadavg').read().split()[0:3]}")
    return b.report_failures(failed)


if __name__ == "__main__":
    sys.exit(main())
