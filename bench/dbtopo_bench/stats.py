"""Statistics and the measurement window."""

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


# --------------------------------------------------------------------------- statistics


def summary(values):
    if not values:
        return None
    v = sorted(values)
    return {"n": len(v), "avg": statistics.fmean(v), "p50": statistics.median(v),
            "p95": v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))], "max": v[-1], "min": v[0]}


def slope_per_min(points):
    """Least-squares slope of (t seconds, y) in y units per minute."""
    if len(points) < 3:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return None if den == 0 else 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den


def late_slope(rss):
    """Summed RSS slope (KiB/min) over the second half of the window's samples."""
    slopes = []
    for pts in rss.values():
        half = pts[len(pts) // 2:]
        slopes.append(slope_per_min(half))
    slopes = [x for x in slopes if x is not None]
    return sum(slopes) if slopes else None


# --------------------------------------------------------------------------- measurement window


class Window:
    """One measurement window, in this order: sync() (dbtopo: wait until a poll
    round has just finished, so the window holds whole rounds), packet capture
    on, server counters A, CPU A, `seconds` ticks of 1 s calling tick(i),
    sync(), CPU B, server counters B, capture off. The monitoring queries use
    Unix sockets, so they never show on the captured TCP traffic; their own
    footprint on the server counters is calibrated and subtracted."""

    def __init__(self, bench, name, pids, servers, proto, tick, seconds, sync=None):
        self.bench, self.name = bench, name
        links = []
        for s in servers:
            links += s.replication_links()
        self.mark_a = sync() if sync else None
        capture = None
        if bench.wire_ok:
            try:
                capture = Capture(bench.children, bench.workdir, name, {s.port: proto for s in servers}, links)
            except OSError as e:
                say(f"{name}: {e}")
        before = [s.snapshot() for s in servers]
        cpu_a, t_a = cpu_snapshot(pids), time.monotonic()
        self.rss = collections.defaultdict(list)
        self.tick_results = []
        for i in range(seconds):
            deadline = t_a + i + 1
            self.tick_results.append(tick(i))
            t = time.monotonic()
            for pid in pids:
                self.rss[pid].append((t - t_a, proc_mem_kib(pid)["VmRSS"]))
            if deadline > time.monotonic():
                time.sleep(deadline - time.monotonic())
        self.mark_b = sync() if sync else None
        cpu_b, t_b = cpu_snapshot(pids), time.monotonic()
        self.mem = {pid: proc_mem_kib(pid) for pid in pids}
        after = [s.snapshot() for s in servers]
        self.wire = capture.finish() if capture else None
        self.elapsed = t_b - t_a
        self.servers = list(zip(servers, before, after))
        self.cpu_ticks = sum(cpu_b[p][0] - cpu_a[p][0] for p in pids)
        self.cpu_sched_ns = sum(cpu_b[p][1] - cpu_a[p][1] for p in pids)
        self.pids = pids
        self.links = links
