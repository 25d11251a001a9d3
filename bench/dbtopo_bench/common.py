"""Shared pieces: output, errors, child processes, ports, HTTP, /proc readings."""

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


CLK_TCK = os.sysconf("SC_CLK_TCK")
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def say(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------- processes


def run_part(bench, part, name, failed):
    """Runs one benchmark part; a BenchError is added to `failed` ("<name> part
    failed: ..."). The part's servers and exporters are stopped either way."""
    try:
        part()
    except BenchError as e:
        failed.append(f"{name} part failed: {e}")
    finally:
        bench.children.stop_all()


def clean_up(bench, keep):
    """Stops every child; keeps the work dir (logs, configs) when `keep`, else
    removes it."""
    bench.children.stop_all()
    if keep:
        say(f"kept {bench.workdir} (logs, configs)")
    else:
        shutil.rmtree(bench.workdir, ignore_errors=True)


def report_failures(failed):
    """Prints each failure; the exit status (1 when there is any)."""
    for f in failed:
        print(f"ERROR: {f}")
    return 1 if failed else 0


def proc_starttime(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


class Children:
    """Every process the benchmark starts. Each pid (with its start time) is
    appended to $BENCH_PIDFILE so run.sh's EXIT trap can kill leftovers even if
    this interpreter is killed hard."""

    def __init__(self, pidfile):
        self.procs = []
        self.pidfile = pidfile

    def start(self, name, argv, log_path, env=None, cwd=None):
        with open(log_path, "ab") as logf:
            p = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        p.bench_name = name
        p.bench_log = log_path
        self.procs.append(p)
        if self.pidfile:
            with open(self.pidfile, "a") as f:
                f.write(f"{p.pid} {proc_starttime(p.pid)}\n")
        return p

    def stop(self, p, timeout=15):
        """SIGTERM, then SIGKILL after `timeout`. Returns (exit code, seconds)."""
        t0 = time.monotonic()
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                say(f"{p.bench_name} (pid {p.pid}) ignored SIGTERM for {timeout}s; SIGKILL")
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)
        return p.returncode, time.monotonic() - t0

    def stop_all(self):
        for p in reversed(list(self.procs)):
            try:
                self.stop(p, timeout=10)
            except Exception as e:  # keep cleaning up
                say(f"stopping {p.bench_name}: {e}")


def tail(path, n=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no log)"


def run(argv, timeout=60, check=True, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise BenchError(f"{' '.join(argv[:3])}... exited {r.returncode}: {r.stderr.strip() or r.stdout.strip()}")
    return r


# --------------------------------------------------------------------------- ports, http


_used_ports = set()


def _bindable(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port(plus=None):
    """A free TCP port on 127.0.0.1 (asked from the kernel). With `plus`, port+plus
    (Redis Cluster bus) must be free too."""
    for _ in range(200):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port in _used_ports:
            continue
        if plus is not None:
            bus = port + plus
            if bus > 65535 or bus in _used_ports or not _bindable(bus):
                continue
            _used_ports.add(bus)
        _used_ports.add(port)
        return port
    raise BenchError("could not find a free port")


def http_get(url, timeout=5.0):
    """(status, body, seconds). status 0 on a connection error."""
    t0 = time.perf_counter()
    try:
        with HTTP.open(url, timeout=timeout) as r:
            body = r.read().decode("utf-8", "replace")
            return r.status, body, time.perf_counter() - t0
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), time.perf_counter() - t0
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e), time.perf_counter() - t0


def wait_until(what, fn, timeout, proc=None, interval=0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{what}: {proc.bench_name} exited with {proc.returncode}\n{tail(proc.bench_log)}")
        try:
            if fn():
                return
        except Exception as e:  # retried until the deadline
            last = e
        time.sleep(interval)
    raise BenchError(f"{what}: not reached in {timeout}s" + (f" (last error: {last})" if last else "")
                     + (f"\n--- {proc.bench_name} log ---\n{tail(proc.bench_log)}" if proc else ""))


_SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)")
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prom(text):
    """[(name, {labels}, float)]"""
    out = []
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        m = _SAMPLE_RE.match(line)
        if not m:
            continue
        try:
            value = float(m.group(4))
        except ValueError:
            continue
        out.append((m.group(1), dict(_LABEL_RE.findall(m.group(3) or "")), value))
    return out


# --------------------------------------------------------------------------- /proc


def proc_cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])  # utime + stime (fields 14, 15)


def proc_sched_ns(pid):
    """On-CPU nanoseconds summed over the process's live threads (schedstat)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def proc_mem_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:", "Threads:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0])
    return out


def cpu_snapshot(pids):
    return {pid: (proc_cpu_ticks(pid), proc_sched_ns(pid)) for pid in pids}
