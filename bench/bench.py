#!/usr/bin/env python3
"""dbtopo_exporter resource benchmark (python3 stdlib only).

Starts real servers on 127.0.0.1 (free ports, one temporary directory), runs
dbtopo_exporter and the stock Prometheus exporter against the same servers one
after the other, and prints what each costs per probed target per poll: CPU,
memory, round time, statements/commands, connections and wire round trips.

It prints figures; it asserts nothing. Entry point: bench/run.sh (see
bench/README.md for every figure's definition).

Phases run sequentially (never two exporters at once) so CPU, latency and the
servers' global counters belong to one exporter only.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# The benchmark's parts, re-exported: bench/scale.py imports them as `bench`.
from dbtopo_bench.common import *  # noqa: E402,F401,F403
from dbtopo_bench.exporters import *  # noqa: E402,F401,F403
from dbtopo_bench.parts import *  # noqa: E402,F401,F403
from dbtopo_bench.servers import *  # noqa: E402,F401,F403
from dbtopo_bench.stats import *  # noqa: E402,F401,F403
from dbtopo_bench.wire import *  # noqa: E402,F401,F403


def print_table(title, rows, notes):
    print()
    print("=" * len(title))
    print(title)
    print("=" * len(title))
    width = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(str(c).ljust(width[i]) for i, c in enumerate(r)).rstrip())
    for n in notes:
        print(f"  * {n}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "capture":
        return capture_main(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dbtopo", required=True, help="dbtopo_exporter binary")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--warmup", type=float, default=3)
    ap.add_argument("--parts", default="mysql,redis,redis-cluster")
    ap.add_argument("--wire", choices=("auto", "off"), default="auto")
    ap.add_argument("--mysqld-exporter-args", default=(
        "--collect.slave_status --collect.global_variables --no-collect.global_status "
        "--no-collect.info_schema.innodb_cmp --no-collect.info_schema.innodb_cmpmem "
        "--no-collect.info_schema.query_response_time"))
    ap.add_argument("--redis-exporter-mode", choices=("multi", "per-node"), default="multi")
    ap.add_argument("--redis-exporter-args", default="")
    ap.add_argument("--dbtopo-extra-config", default="",
                    help="top-level YAML lines for dbtopo's config, ';'-separated (e.g. 'max_concurrency: 4')")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--workdir", help="empty directory to work in (default: a new temporary one)")
    args = ap.parse_args()
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(args.parts) - {"mysql", "redis", "redis-cluster"}
    if unknown:
        raise SystemExit(f"unknown part(s) {sorted(unknown)}; choose from mysql, redis, redis-cluster")
    bench = Bench(args)

    def on_signal(signum, _):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    failed = []
    load_start = open("/proc/loadavg").read().split()[0:3]
    say(f"work dir {bench.workdir}; window {args.seconds}s per exporter; wire capture: "
        f"{'on' if bench.wire_ok else 'off — ' + bench.wire_why}")
    try:
        if "mysql" in args.parts:
            run_part(bench, bench.mysql_part, "MySQL", failed)
        if "redis" in args.parts or "redis-cluster" in args.parts:
            run_part(bench, bench.redis_part, "Redis", failed)
    except KeyboardInterrupt:
        failed.append("interrupted")
    finally:
        clean_up(bench, args.keep or (failed and failed != ["interrupted"]))
    for title, rows, notes in bench.results:
        print_table(title, rows, notes)
    print()
    print(f"host: {os.cpu_count()} CPUs, {os.uname().release}; load average at start {load_start}, "
          f"at end {open('/proc/loadavg').read().split()[0:3]}; dbtopo_exporter: {args.dbtopo}")
    if not bench.wire_ok:
        print(f"wire figures: {bench.wire_why}")
    return report_failures(failed)


if __name__ == "__main__":
    sys.exit(main())
