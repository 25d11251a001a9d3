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


# --------------------------------------------------------------------------- wire capture
#
# `bench.py capture` runs as its own process during a measurement window: an
# AF_PACKET socket on `lo` sees every TCP segment to/from the database ports.
# Per connection it counts request flights (client->server payload after the
# server last sent payload: one network round trip), SYNs (new connections),
# bytes, and decodes the client's requests (MySQL command packets, Redis RESP
# commands) so commands can be named. Replication links are excluded by their
# (client port, server port), read from the servers before the window.

ETH_P_ALL = 3
SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_HOST = 0

MYSQL_COMMANDS = {0: "sleep", 1: "quit", 2: "init_db", 3: "query", 4: "field_list", 9: "statistics",
                  14: "ping", 17: "change_user", 22: "stmt_prepare", 23: "stmt_execute",
                  25: "stmt_close", 26: "stmt_reset", 27: "set_option", 31: "reset_connection"}
REDIS_CONTAINERS = {"cluster", "config", "client", "slowlog", "latency", "memory", "command", "acl",
                    "object", "xinfo", "module", "function", "script", "pubsub"}


def _mysql_query_kind(text):
    words = re.sub(r"\s+", " ", text.strip()).split(" ")
    head = words[0].upper() if words else ""
    if head in ("SHOW", "SET") and len(words) > 1:
        # SHOW GLOBAL VARIABLES / SHOW SLAVE STATUS / SET lock_wait_timeout
        n = 3 if head == "SHOW" and words[1].upper() in ("GLOBAL", "SESSION", "ALL", "SLAVE", "REPLICA", "MASTER", "BINARY", "ENGINE") else 2
        return " ".join(w.upper() if head == "SHOW" else w for w in words[:n]).split("=")[0]
    return head or "?"


class Flow:
    __slots__ = ("proto", "buf", "next_seq", "last_dir", "broken", "mid_stream", "handshake")

    def __init__(self, proto, mid_stream):
        self.proto = proto
        self.buf = bytearray()
        self.next_seq = [None, None]  # c2s, s2c
        self.last_dir = None
        self.broken = False
        self.mid_stream = mid_stream
        self.handshake = not mid_stream  # MySQL: next client packet is the login


class PortStats:
    def __init__(self):
        self.syn = 0
        self.flights = 0
        self.bytes_c2s = 0
        self.bytes_s2c = 0
        self.commands = collections.Counter()
        self.gaps = 0
        self.excluded_segments = 0
        self.flows = 0

    def as_dict(self):
        return {"syn": self.syn, "flights": self.flights, "bytes_c2s": self.bytes_c2s,
                "bytes_s2c": self.bytes_s2c, "commands": dict(self.commands), "gaps": self.gaps,
                "excluded_segments": self.excluded_segments, "flows": self.flows}


def _parse_mysql(flow, stats):
    buf = flow.buf
    while len(buf) >= 4:
        length = buf[0] | (buf[1] << 8) | (buf[2] << 16)
        if len(buf) < 4 + length:
            return
        seq = buf[3]
        payload = bytes(buf[4:4 + length])
        del buf[:4 + length]
        if seq == 0 and payload:
            name = MYSQL_COMMANDS.get(payload[0], f"cmd{payload[0]}")
            if payload[0] == 3:
                name = "query:" + _mysql_query_kind(payload[1:200].decode("utf-8", "replace"))
            stats.commands[name] += 1
        elif flow.handshake and seq == 1:
            flow.handshake = False
            if length == 32:  # SSLRequest: the rest is TLS, not parseable
                stats.commands["login(tls)"] += 1
                flow.broken = True
                return
            stats.commands["login"] += 1
        # seq > 1 outside a command: auth continuation, not a new request


def _read_line(buf, pos):
    end = buf.find(b"\r\n", pos)
    return (None, pos) if end < 0 else (bytes(buf[pos:end]), end + 2)


def _parse_redis(flow, stats):
    buf = flow.buf
    while buf:
        pos = 0
        if buf[0:1] == b"*":
            line, pos = _read_line(buf, 1)
            if line is None:
                return
            try:
                n = int(line)
            except ValueError:
                flow.broken = True
                return
            args = []
            for _ in range(n):
                if buf[pos:pos + 1] != b"$":
                    if pos >= len(buf):
                        return
                    flow.broken = True
                    return
                line, p2 = _read_line(buf, pos + 1)
                if line is None:
                    return
                size = int(line)
                if len(buf) < p2 + size + 2:
                    return
                if len(args) < 2:
                    args.append(bytes(buf[p2:p2 + size]).decode("utf-8", "replace").lower())
                pos = p2 + size + 2
        else:  # inline command
            line, pos = _read_line(buf, 0)
            if line is None:
                return
            args = line.decode("utf-8", "replace").lower().split()[:2]
        del buf[:pos]
        if not args:
            continue
        name = args[0]
        if name in REDIS_CONTAINERS and len(args) > 1:
            name += "|" + args[1]
        stats.commands[name] += 1


def capture_main(argv):
    ap = argparse.ArgumentParser(prog="bench.py capture")
    ap.add_argument("--port", action="append", default=[], help="PORT:mysql|redis")
    ap.add_argument("--exclude", action="append", default=[], help="CLIENTPORT:SERVERPORT")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    ports = {int(p.split(":")[0]): p.split(":")[1] for p in a.port}
    exclude = {tuple(int(x) for x in e.split(":")) for e in a.exclude}
    stats = {p: PortStats() for p in ports}
    flows = {}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    s.bind(("lo", 0))
    s.setblocking(False)
    print("ready", flush=True)

    def handle(data):
        if len(data) < 54 or data[12:14] != b"\x08\x00":
            return
        ihl = (data[14] & 15) * 4
        if data[14 + 9] != 6:
            return
        total = struct.unpack_from("!H", data, 16)[0]
        tcp = memoryview(data)[14 + ihl:14 + total]
        sport, dport, seq = struct.unpack_from("!HHI", tcp, 0)
        flags = tcp[13]
        payload = tcp[(tcp[12] >> 4) * 4:]
        if dport in ports:
            server, client, d = dport, sport, 0
        elif sport in ports:
            server, client, d = sport, dport, 1
        else:
            return
        st = stats[server]
        key = (client, server)
        if key in exclude:
            st.excluded_segments += 1
            return
        syn, ack = flags & 0x02, flags & 0x10
        if syn:
            if d == 0 and not ack:
                st.syn += 1
                st.flows += 1
                flows[key] = f = Flow(ports[server], mid_stream=False)
                f.next_seq[0] = (seq + 1) & 0xFFFFFFFF
            elif d == 1 and key in flows:
                flows[key].next_seq[1] = (seq + 1) & 0xFFFFFFFF
            return
        f = flows.get(key)
        if f is None:
            st.flows += 1
            flows[key] = f = Flow(ports[server], mid_stream=True)
        n = len(payload)
        if n == 0:
            return
        expect = f.next_seq[d]
        if expect is not None:
            delta = (seq - expect) & 0xFFFFFFFF
            if delta >= 0x80000000:  # retransmission / keepalive byte: skip what was seen
                seen = (expect - seq) & 0xFFFFFFFF
                if seen >= n:
                    return
                payload = payload[seen:]
                n = len(payload)
                seq = expect
            elif delta > 0:
                st.gaps += 1
                f.broken = True
        f.next_seq[d] = (seq + n) & 0xFFFFFFFF
        if d == 0:
            st.bytes_c2s += n
            if f.last_dir != 0:
                st.flights += 1
            f.last_dir = 0
            if not f.broken:
                f.buf += payload
                try:
                    (_parse_mysql if f.proto == "mysql" else _parse_redis)(f, st)
                except (ValueError, IndexError):
                    f.broken = True
        else:
            st.bytes_s2c += n
            f.last_dir = 1

    def drain():
        while True:
            try:
                data, addr = s.recvfrom(262144)
            except BlockingIOError:
                return
            if addr[2] == PACKET_HOST:  # lo shows each packet twice (outgoing + host)
                handle(data)

    while not stop:
        try:
            select.select([s], [], [], 0.2)
        except InterruptedError:
            pass
        drain()
    time.sleep(0.05)
    drain()
    packets, drops = struct.unpack("II", s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
    with open(a.out, "w") as f:
        json.dump({"ports": {str(p): st.as_dict() for p, st in stats.items()},
                   "drops": drops, "packets": packets}, f)
    return 0


class Capture:
    def __init__(self, children, workdir, name, ports, exclude):
        self.out = os.path.join(workdir, f"capture-{name}.json")
        argv = [sys.executable, os.path.abspath(__file__), "capture", "--out", self.out]
        argv += [f"--port={p}:{proto}" for p, proto in ports.items()]
        argv += [f"--exclude={c}:{s}" for c, s in exclude]
        self.children = children
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.proc.bench_name, self.proc.bench_log = "capture", None
        children.procs.append(self.proc)
        if children.pidfile:
            with open(children.pidfile, "a") as f:
                f.write(f"{self.proc.pid} {proc_starttime(self.proc.pid)}\n")
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            err = self.proc.stderr.read()
            self.children.stop(self.proc)
            raise OSError(f"packet capture did not start: {err.strip() or line}")

    def finish(self):
        self.children.stop(self.proc)
        with open(self.out) as f:
            return json.load(f)


def wire_available():
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(ETH_P_ALL))
        s.bind(("lo", 0))
        s.close()
        return True, ""
    except (OSError, AttributeError) as e:
        return False, f"no AF_PACKET capture on lo ({e}); needs root or CAP_NET_RAW"


# --------------------------------------------------------------------------- MariaDB


class Mariadb:
    def __init__(self, bench, name, server_id, template):
        self.bench, self.name, self.server_id = bench, name, server_id
        self.dir = os.path.join(bench.workdir, name)
        self.datadir = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "mysqld.sock")
        self.port = free_port()
        os.makedirs(self.dir)
        shutil.copytree(template, self.datadir)
        argv = ["mariadbd", "--no-defaults", f"--datadir={self.datadir}", f"--port={self.port}",
                "--bind-address=127.0.0.1", f"--socket={self.sock}",
                f"--pid-file={self.dir}/mysqld.pid", f"--log-error={self.dir}/error.log",
                f"--server-id={server_id}", "--log-bin=mysql-bin", "--relay-log=relay-bin",
                "--log-slave-updates", "--binlog-format=ROW", "--skip-name-resolve",
                "--report-host=127.0.0.1", f"--report-port={self.port}",
                "--innodb-log-file-size=8M", "--innodb-buffer-pool-size=16M",
                "--innodb-flush-log-at-trx-commit=0", "--innodb-use-native-aio=0",
                "--sync-binlog=0", "--performance-schema=OFF", "--max-connections=200",
                "--userstat=1"]  # per-user statistics: attributes work to each exporter's user
        if os.geteuid() == 0:
            argv.append("--user=root")
        self.proc = bench.children.start(name, argv, os.path.join(self.dir, "stdout.log"))
        self.proc.bench_log = os.path.join(self.dir, "error.log")

    def sql(self, text, timeout=30):
        r = run(["mariadb", "--no-defaults", "-uroot", f"--socket={self.sock}", "-N", "-B",
                 "-e", text], timeout=timeout)
        return [line.split("\t") for line in r.stdout.splitlines()]

    def wait_ready(self):
        wait_until(f"{self.name} accepting connections", lambda: self.sql("SELECT 1"), 60,
                   proc=self.proc, interval=0.2)

    def snapshot(self):
        rows = self.sql("SHOW GLOBAL STATUS; SELECT USER, TOTAL_CONNECTIONS, SELECT_COMMANDS, "
                        "UPDATE_COMMANDS, OTHER_COMMANDS, BUSY_TIME, CPU_TIME, BYTES_RECEIVED, "
                        "BYTES_SENT FROM information_schema.USER_STATISTICS")
        status, users = {}, {}
        for r in rows:
            if len(r) == 2:
                try:
                    status[r[0]] = float(r[1])
                except ValueError:
                    pass
            elif len(r) == 9:
                users[r[0]] = dict(zip(("connections", "select", "update", "other", "busy_s", "cpu_s",
                                        "bytes_in", "bytes_out"), map(float, r[1:])))
        return {"status": status, "users": users}

    def replication_links(self):
        """(client port, server port) of the replicas' binlog-dump connections to this server."""
        rows = self.sql("SELECT HOST FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
        return [(int(r[0].rsplit(":", 1)[1]), self.port) for r in rows if ":" in r[0]]


def mysql_delta(a, b, calib):
    """Server counter deltas A->B minus one monitoring snapshot's own footprint."""
    status = {k: b["status"].get(k, 0) - a["status"].get(k, 0) - calib["status"].get(k, 0)
              for k in b["status"] if k in ("Questions", "Connections") or k.startswith("Com_")}
    users = {}
    for u, vb in b["users"].items():
        va = a["users"].get(u, {})
        users[u] = {k: vb[k] - va.get(k, 0) for k in vb}
    return {"status": status, "users": users}


def mysql_calibrate(server):
    a = server.snapshot()
    b = server.snapshot()
    c = server.snapshot()
    d1 = {k: b["status"].get(k, 0) - a["status"].get(k, 0) for k in b["status"]}
    d2 = {k: c["status"].get(k, 0) - b["status"].get(k, 0) for k in c["status"]}
    keys = [k for k in d1 if k in ("Questions", "Connections") or k.startswith("Com_")]
    unstable = [k for k in keys if d1[k] != d2.get(k)]
    if unstable:
        say(f"{server.name}: monitoring footprint not constant for {unstable} (background activity?)")
    return {"status": {k: min(d1[k], d2.get(k, d1[k])) for k in keys}}


# --------------------------------------------------------------------------- Redis


class Redis:
    def __init__(self, bench, name, users, cluster=False, replicaof=None):
        self.bench, self.name = bench, name
        self.dir = os.path.join(bench.workdir, name)
        os.makedirs(self.dir)
        self.port = free_port(plus=10000 if cluster else None)
        self.sock = os.path.join(self.dir, "redis.sock")
        conf = [f"port {self.port}", "bind 127.0.0.1", f"unixsocket {self.sock}", "unixsocketperm 700",
                f"dir {self.dir}", "save \"\"", "appendonly no", "daemonize no",
                f"logfile {self.dir}/redis.log", "protected-mode no"]
        for user, password in users.items():  # default user stays open for replication/cluster
            conf.append(f"user {user} on >{password} ~* &* +@all")
        if cluster:
            conf += ["cluster-enabled yes", f"cluster-config-file {self.dir}/nodes.conf",
                     "cluster-node-timeout 5000"]
        if replicaof:
            conf.append(f"replicaof 127.0.0.1 {replicaof}")
        path = os.path.join(self.dir, "redis.conf")
        with open(path, "w") as f:
            f.write("\n".join(conf) + "\n")
        os.chmod(path, 0o600)
        self.proc = bench.children.start(name, ["redis-server", path], os.path.join(self.dir, "stdout.log"))
        self.proc.bench_log = os.path.join(self.dir, "redis.log")

    def cli(self, *args, timeout=30):
        return run(["redis-cli", "-s", self.sock, *args], timeout=timeout).stdout

    def info(self, *sections):
        out = {}
        for line in self.cli("INFO", *sections).splitlines():
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                out[k] = v.strip()
        return out

    def wait_ready(self):
        wait_until(f"{self.name} accepting connections", lambda: self.cli("PING").strip() == "PONG", 30,
                   proc=self.proc, interval=0.1)

    def snapshot(self):
        info = self.info("stats", "commandstats", "replication")
        cmds = {}
        for k, v in info.items():
            if k.startswith("cmdstat_"):
                fields = dict(x.split("=", 1) for x in v.split(","))
                cmds[k[8:]] = (float(fields["calls"]), float(fields["usec"]))
        return {"total_commands_processed": float(info.get("total_commands_processed", 0)),
                "total_connections_received": float(info.get("total_connections_received", 0)),
                "role": info.get("role"), "repl_offset": float(info.get("master_repl_offset", 0)),
                "cmds": cmds}

    def replication_links(self):
        out = []
        for line in self.cli("CLIENT", "LIST", "TYPE", "replica").splitlines():
            m = re.search(r"addr=[^ ]*:(\d+) ", line)
            if m:
                out.append((int(m.group(1)), self.port))
        return out


# A replica executes its master's PING heartbeat (repl-ping-replica-period 10 s):
# "*1\r\n$4\r\nping\r\n" = 14 bytes of replication stream on an otherwise idle topology.
REDIS_HEARTBEAT_BYTES = 14


def redis_delta(a, b, calib):
    """Commands by name the *clients* ran between A and B: minus one monitoring
    snapshot (INFO + its connection), minus replication traffic (REPLCONF ACKs on
    masters, master PING heartbeats on replicas)."""
    cmds = {}
    for name, (calls, usec) in b["cmds"].items():
        ca, ua = a["cmds"].get(name, (0, 0))
        cc, uc = calib["cmds"].get(name, (0, 0))
        cmds[name] = [calls - ca - cc, usec - ua]
    excluded = 0
    if "replconf" in cmds:
        excluded += cmds.pop("replconf")[0]
    if b["role"] == "slave" and "ping" in cmds:
        beats = round((b["repl_offset"] - a["repl_offset"]) / REDIS_HEARTBEAT_BYTES)
        take = min(beats, cmds["ping"][0])
        cmds["ping"][0] -= take
        excluded += take
    cmds = {k: v for k, v in cmds.items() if v[0] > 0}
    return {"commands": sum(v[0] for v in cmds.values()), "usec": sum(v[1] for v in cmds.values()),
            "by_command": cmds,
            "connections": b["total_connections_received"] - a["total_connections_received"]
            - calib["total_connections_received"],
            "excluded_replication": excluded}


def redis_calibrate(server):
    a = server.snapshot()
    b = server.snapshot()
    return {"total_connections_received": b["total_connections_received"] - a["total_connections_received"],
            "cmds": {k: (v[0] - a["cmds"].get(k, (0, 0))[0], 0) for k, v in b["cmds"].items()}}


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


# --------------------------------------------------------------------------- parts


class Bench:
    def __init__(self, args):
        self.args = args
        self.seconds = args.seconds
        self.warmup = args.warmup
        self.dbtopo = args.dbtopo
        self.workdir = args.workdir or tempfile.mkdtemp(prefix="dbtopo-bench-")
        self.children = Children(os.environ.get("BENCH_PIDFILE"))
        self.wire_ok, self.wire_why = (False, "disabled (BENCH_WIRE=off)") if args.wire == "off" else wire_available()
        self.results = []  # (title, rows, notes)
        self.passwords = {u: os.urandom(12).hex() for u in ("exporter", "mysqld_exporter", "redis_exporter", "repl")}

    # ---------------------------------------------------------------- MySQL
    def mysql_part(self):
        say("MariaDB: installing a template datadir")
        template = os.path.join(self.workdir, "mysql-template")
        argv = ["mariadb-install-db", "--no-defaults", "--auth-root-authentication-method=normal",
                f"--datadir={template}", "--skip-test-db", "--skip-name-resolve", "--innodb-log-file-size=8M"]
        if os.geteuid() == 0:
            argv.append("--user=root")
        run(argv, timeout=180)
        servers = [Mariadb(self, f"mysql-{i}", i + 1, template) for i in range(3)]
        for s in servers:
            s.wait_ready()
        pw = self.passwords
        users = ("SET SESSION sql_log_bin=0;"
                 f"CREATE USER 'exporter'@'%' IDENTIFIED BY '{pw['exporter']}';"
                 "GRANT SLAVE MONITOR, REPLICATION CLIENT, PROCESS ON *.* TO 'exporter'@'%';"
                 f"CREATE USER 'mysqld_exporter'@'%' IDENTIFIED BY '{pw['mysqld_exporter']}';"
                 "GRANT SLAVE MONITOR, REPLICATION CLIENT, PROCESS ON *.* TO 'mysqld_exporter'@'%';"
                 f"CREATE USER 'repl'@'%' IDENTIFIED BY '{pw['repl']}';"
                 "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';"
                 "SET SESSION sql_log_bin=1;")
        for s in servers:
            s.sql(users)
        primary = servers[0]
        primary.sql("CREATE DATABASE bench; CREATE TABLE bench.t (id INT PRIMARY KEY) ENGINE=InnoDB;"
                    "INSERT INTO bench.t VALUES (1),(2),(3);")
        for s in servers[1:]:
            s.sql("SET GLOBAL read_only=1; CHANGE MASTER TO MASTER_HOST='127.0.0.1', "
                  f"MASTER_PORT={primary.port}, MASTER_USER='repl', MASTER_PASSWORD='{pw['repl']}', "
                  "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;")
        pos = primary.sql("SELECT @@GLOBAL.gtid_binlog_pos")[0][0]
        for s in servers[1:]:
            wait_until(f"{s.name} replicating GTID {pos}",
                       lambda s=s: s.sql(f"SELECT MASTER_GTID_WAIT('{pos}', 1)")[0][0] == "0", 60)
        say(f"MariaDB: primary :{primary.port}, replicas :{servers[1].port} :{servers[2].port} (GTID {pos})")
        calib = {s.name: mysql_calibrate(s) for s in servers}

        clusters = [{"name": "bench-mysql", "engine": "mysql", "username": "exporter",
                     "password": pw["exporter"],
                     "members": [(s.name, s.port, "primary" if s is primary else "secondary") for s in servers]}]
        mine = run_dbtopo_phase(self, "mysql", clusters, servers, "mysql")

        collect = self.args.mysqld_exporter_args.split()
        procs, endpoints = [], []
        for s in servers:
            cnf = os.path.join(s.dir, "mysqld_exporter.cnf")
            with open(cnf, "w") as f:
                f.write(f"[client]\nuser=mysqld_exporter\npassword={pw['mysqld_exporter']}\n"
                        f"host=127.0.0.1\nport={s.port}\n")
            os.chmod(cnf, 0o600)
            port = free_port()
            procs.append(self.children.start(f"mysqld_exporter-{s.name}", [
                "prometheus-mysqld-exporter", f"--web.listen-address=127.0.0.1:{port}",
                f"--config.my-cnf={cnf}", "--log.level=warn", *collect],
                os.path.join(s.dir, "mysqld_exporter.log")))
            endpoints.append((s.name, f"http://127.0.0.1:{port}/metrics"))
        theirs = run_stock_phase(self, "mysql", "mysqld_exporter", endpoints, servers, "mysql", procs, "mysql_up")

        self.report_mysql(mine, theirs, servers, calib, collect)

    def report_mysql(self, mine, theirs, servers, calib, collect):
        title = (f"MySQL/MariaDB {run(['mariadbd', '--version']).stdout.split()[2]}: primary + 2 replicas "
                 f"(GTID), 3 targets, {self.seconds}s window, poll/scrape every 1s")
        notes = [f"mysqld_exporter: {run(['prometheus-mysqld-exporter', '--version'], check=False).stderr.split(chr(10))[0].strip()}"
                 f", one process per server (0.14 has no multi-target /probe), flags: {' '.join(collect)}"]
        cols = []
        for res, user in ((mine, "exporter"), (theirs, "mysqld_exporter")):
            if "error" in res:
                cols.append(res)
                continue
            w = res["window"]
            srv = {"stmts": 0.0, "conns": 0.0, "com": collections.Counter(), "busy": 0.0, "cpu": 0.0,
                   "u_conns": 0.0, "u_cmds": 0.0}
            for s, a, b in w.servers:
                d = mysql_delta(a, b, calib[s.name])
                srv["stmts"] += d["status"].get("Questions", 0)
                srv["conns"] += d["status"].get("Connections", 0)
                for k, v in d["status"].items():
                    if k.startswith("Com_") and v:
                        srv["com"][k[4:]] += v
                u = d["users"].get(user, {})
                srv["busy"] += u.get("busy_s", 0)
                srv["cpu"] += u.get("cpu_s", 0)
                srv["u_conns"] += u.get("connections", 0)
                srv["u_cmds"] += u.get("select", 0) + u.get("update", 0) + u.get("other", 0)
                others = {k: v for k, v in d["users"].items()
                          if k not in (user, "root") and (v.get("connections") or v.get("select") or v.get("other"))}
                if others:
                    notes.append(f"{res['kind']} window on {s.name}: other users active: {sorted(others)}")
            res["server"] = srv
            cols.append(res)
        rows, details = self.rows(cols, "mysql")
        self.results.append((title, rows, details + notes + self.suspicions(cols, "mysql")))

    # ---------------------------------------------------------------- Redis
    def redis_part(self):
        pw = self.passwords
        users = {"exporter": pw["exporter"], "redis_exporter": pw["redis_exporter"]}
        repl, nodes, master = [], [], None
        if "redis" in self.args.parts:
            master = Redis(self, "redis-0", users)
            master.wait_ready()
            replicas = [Redis(self, f"redis-{i}", users, replicaof=master.port) for i in (1, 2)]
            for r in replicas:
                r.wait_ready()
            for r in replicas:
                wait_until(f"{r.name} master_link_status up",
                           lambda r=r: r.info("replication").get("master_link_status") == "up", 30)
            repl = [master] + replicas
            say(f"Redis: master :{master.port}, replicas :{replicas[0].port} :{replicas[1].port}")

        if "redis-cluster" in self.args.parts:
            nodes = [Redis(self, f"rcluster-{i}", users, cluster=True) for i in range(6)]
            for n in nodes:
                n.wait_ready()
            run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{n.port}" for n in nodes],
                 "--cluster-replicas", "1", "--cluster-yes"], timeout=120)

            def cluster_ok():
                for n in nodes:
                    i = n.info("replication")
                    ci = dict(l.split(":", 1) for l in n.cli("CLUSTER", "INFO").split() if ":" in l)
                    if ci.get("cluster_state") != "ok" or ci.get("cluster_known_nodes") != "6":
                        return False
                    if i.get("role") == "slave" and i.get("master_link_status") != "up":
                        return False
                return True
            wait_until("Redis Cluster state ok on all 6 nodes with replicas linked", cluster_ok, 90, interval=0.5)
            say("Redis Cluster: " + " ".join(f":{n.port}({n.info('replication')['role']})" for n in nodes))

        for label, engine, servers in (("redis", "redis", repl), ("redis-cluster", "redis-cluster", nodes)):
            if label not in self.args.parts:
                continue
            calib = {s.name: redis_calibrate(s) for s in servers}
            # Role labels as KubeBlocks would set them (from the servers' current roles).
            members = [(s.name, s.port, "primary" if s.info("replication")["role"] == "master" else "secondary")
                       for s in servers]
            clusters = [{"name": f"bench-{label}", "engine": engine, "username": "exporter",
                         "password": pw["exporter"], "members": members}]
            mine = run_dbtopo_phase(self, label, clusters, servers, "redis")
            theirs = self.redis_exporter_phase(label, servers)
            self.report_redis(label, mine, theirs, servers, calib)

    def redis_exporter_phase(self, label, servers):
        pw = self.passwords["redis_exporter"]
        common = ["-redis-only-metrics", "-set-client-name=false", *self.args.redis_exporter_args.split()]
        procs, endpoints = [], []
        logdir = os.path.join(self.workdir, f"redis_exporter-{label}")
        os.makedirs(logdir, exist_ok=True)
        pwfile = os.path.join(logdir, "password")
        if self.args.redis_exporter_mode == "multi":
            # Multi-target: one process, /scrape?target=...; credentials from a JSON
            # map target URI -> password (-redis.password-file) and -redis.user.
            with open(pwfile, "w") as f:
                json.dump({f"redis://127.0.0.1:{s.port}": pw for s in servers}, f)
            os.chmod(pwfile, 0o600)
            port = free_port()
            procs.append(self.children.start(f"redis_exporter-{label}", [
                "prometheus-redis-exporter", f"-web.listen-address=127.0.0.1:{port}", "-redis.addr=",
                "-redis.user=redis_exporter", f"-redis.password-file={pwfile}", *common],
                os.path.join(logdir, "exporter.log")))
            for s in servers:
                endpoints.append((s.name, f"http://127.0.0.1:{port}/scrape?target=redis://127.0.0.1:{s.port}"))
        else:
            for s in servers:
                port = free_port()
                env = dict(os.environ, REDIS_PASSWORD=pw)
                procs.append(self.children.start(f"redis_exporter-{s.name}", [
                    "prometheus-redis-exporter", f"-web.listen-address=127.0.0.1:{port}",
                    f"-redis.addr=redis://127.0.0.1:{s.port}", "-redis.user=redis_exporter", *common],
                    os.path.join(logdir, f"{s.name}.log"), env=env))
                endpoints.append((s.name, f"http://127.0.0.1:{port}/metrics"))
        return run_stock_phase(self, label, "redis_exporter", endpoints, servers, "redis", procs, "redis_up")

    def report_redis(self, label, mine, theirs, servers, calib):
        ver = run(["redis-server", "--version"]).stdout.split()[2].replace("v=", "")
        what = "master + 2 replicas" if label == "redis" else "Redis Cluster, 3 masters + 3 replicas"
        title = (f"Redis {ver} ({label}): {what}, {len(servers)} targets, {self.seconds}s window, "
                 "poll/scrape every 1s")
        rx = run(["prometheus-redis-exporter", "-version"], check=False)
        rxv = re.search(r"Exporter (\S+)", rx.stdout + rx.stderr)
        notes = [f"redis_exporter {rxv.group(1) if rxv else '?'}: "
                 + ("one process, multi-target /scrape?target=" if self.args.redis_exporter_mode == "multi"
                    else "one process per node")
                 + f"; flags -redis-only-metrics -set-client-name=false {self.args.redis_exporter_args}".rstrip()]
        cols = []
        for res in (mine, theirs):
            if "error" in res:
                cols.append(res)
                continue
            srv = {"stmts": 0.0, "conns": 0.0, "com": collections.Counter(), "usec": 0.0, "excluded": 0.0}
            for s, a, b in res["window"].servers:
                d = redis_delta(a, b, calib[s.name])
                srv["stmts"] += d["commands"]
                srv["conns"] += d["connections"]
                srv["usec"] += d["usec"]
                srv["excluded"] += d["excluded_replication"]
                for k, (calls, _) in d["by_command"].items():
                    srv["com"][k] += calls
            res["server"] = srv
            cols.append(res)
        rows, details = self.rows(cols, "redis")
        self.results.append((title, rows, details + notes + self.suspicions(cols, "redis")))

    # ---------------------------------------------------------------- table
    def rows(self, cols, engine):
        """[(label, dbtopo, other, ratio other/dbtopo)]"""
        def ms(x):
            return "-" if x is None else (f"{x * 1e3:.2f}" if x < 10 else f"{x * 1e3:.0f}")

        def dist(values):
            s = summary(values)
            return "-" if not s else f"{ms(s['avg'])} / {ms(s['p50'])} / {ms(s['p95'])} / {ms(s['max'])}"

        def num(x, nd=2):
            return "-" if x is None else f"{x:.{nd}f}"

        rows = []
        names = []
        vals = []
        for res in cols:
            if "error" in res:
                names.append(res.get("kind", "?"))
                vals.append(None)
                continue
            w = res["window"]
            tp = res["target_polls"] or float("nan")
            v = {}
            v["polls"] = f"{res['polls']:.0f} rounds x {res['targets']}" if res["kind"] == "dbtopo" \
                else f"{res['polls']} ticks x {res['targets']} ({res['target_polls']} scrapes, {res['scrape_errors']} failed)"
            v["round"] = dist(res["round_secs"])
            v["probe"] = dist(res["probe_secs"])
            v["scrape"] = dist(res["scrape_secs"])
            v["cpu_ms"] = w.cpu_ticks / CLK_TCK * 1e3 / tp
            v["cpu_sched_ms"] = w.cpu_sched_ns / 1e6 / tp
            v["cpu_pct"] = 100 * w.cpu_ticks / CLK_TCK / w.elapsed
            rss = sum(m["VmRSS"] for m in w.mem.values()) / 1024
            hwm = sum(m["VmHWM"] for m in w.mem.values()) / 1024
            v["rss"] = f"{rss:.1f} / {hwm:.1f}" + (f" ({len(w.mem)} procs)" if len(w.mem) > 1 else "")
            first = sum(pts[0][1] for pts in w.rss.values())
            last = sum(pts[-1][1] for pts in w.rss.values())
            late = late_slope(w.rss)
            v["rss_growth"] = f"{last - first:+.0f} KiB" + ("" if late is None else f" (2nd half {late:+.0f} KiB/min)")
            srv = res["server"]
            v["stmts"] = srv["stmts"] / tp
            v["conns"] = srv["conns"] / tp
            v["com"] = ", ".join(f"{k} {c / tp:.2f}" for k, c in srv["com"].most_common(8) if c / tp >= 0.005)
            if engine == "mysql":
                v["busy_ms"] = srv["busy"] * 1e3 / tp
            else:
                v["busy_ms"] = srv["usec"] / 1e3 / tp
            if w.wire:
                ports = w.wire["ports"].values()
                v["rtt"] = sum(p["flights"] for p in ports) / tp
                v["syn"] = sum(p["syn"] for p in ports) / tp
                v["bytes"] = f"{sum(p['bytes_c2s'] for p in ports) / tp:.0f} / {sum(p['bytes_s2c'] for p in ports) / tp:.0f}"
                wc = collections.Counter()
                for p in ports:
                    wc.update(p["commands"])
                v["wire_cmds"] = sum(c for k, c in wc.items() if not k.startswith("login")) / tp
                v["wire_by"] = ", ".join(f"{k} {c / tp:.2f}" for k, c in wc.most_common(8) if c / tp >= 0.005)
                v["wire_q"] = f"{w.wire['drops']} dropped / {w.wire['packets']} packets, " \
                              f"{sum(p['gaps'] for p in ports)} gaps"
            names.append(res["kind"])
            vals.append(v)

        def ratio(key):
            a, b = (vals + [None, None])[:2]
            if not a or not b or not isinstance(a.get(key), float) or not isinstance(b.get(key), float):
                return ""
            if a[key] == 0:
                return "inf" if b[key] else ""
            return f"{b[key] / a[key]:.1f}x"

        def add(label, key, fmt=None, with_ratio=False):
            cells = []
            for v in vals:
                if v is None:
                    cells.append("(not measured)")
                elif key not in v:
                    cells.append("n/a")
                else:
                    cells.append(fmt(v[key]) if fmt else v[key])
            rows.append((label, *cells, ratio(key) if with_ratio else ""))

        op = "statements (Questions)" if engine == "mysql" else "commands"
        rows.append(("", *names, "other/dbtopo"))
        add("polls in window", "polls")
        add("poll round ms avg/p50/p95/max", "round")
        add("per-target probe ms avg/p50/p95/max", "probe")
        add("HTTP scrape ms avg/p50/p95/max", "scrape")
        add("CPU ms per target-poll (utime+stime)", "cpu_ms", lambda x: num(x, 3), True)
        add("CPU ms per target-poll (schedstat)", "cpu_sched_ms", lambda x: num(x, 3), True)
        add("CPU % of one core", "cpu_pct", lambda x: num(x, 2), True)
        add("RSS MiB VmRSS / VmHWM", "rss")
        add("RSS change over window", "rss_growth")
        add(f"server: {op} per target-poll", "stmts", num, True)
        add("server: new connections per target-poll", "conns", num, True)
        add("server: " + ("busy ms per target-poll (userstat)" if engine == "mysql"
                          else "command usec per target-poll") , "busy_ms",
            (lambda x: num(x, 3)) if engine == "mysql" else (lambda x: num(x * 1e3, 1)), True)
        if self.wire_ok:
            add("wire: round trips per target-poll", "rtt", num, True)
            add("wire: TCP connects per target-poll", "syn", num, True)
            add("wire: requests per target-poll", "wire_cmds", num, True)
            add("wire: bytes sent / received per target-poll", "bytes")
            add("wire: capture quality", "wire_q")
        a, b = (vals + [None, None])[:2]
        if a and b and b["cpu_ms"] and b["cpu_sched_ms"]:
            r1, r2 = a["cpu_ms"] / b["cpu_ms"], a["cpu_sched_ms"] / b["cpu_sched_ms"]
            rows.append(("dbtopo CPU per target / other's", f"{r1:.3f} utime+stime, {r2:.3f} schedstat "
                         f"(goal <= 0.200: {'met' if max(r1, r2) <= 0.2 else 'NOT met'})", "", ""))
        details = []
        for name, v in zip(names, vals):
            if not v:
                continue
            details.append(f"{name} server-side {'Com_*' if engine == 'mysql' else 'commandstats'} "
                           f"per target-poll: {v['com'] or '(none)'}")
            if "wire_by" in v:
                details.append(f"{name} requests on the wire per target-poll: {v['wire_by'] or '(none)'}")
        return rows, details

    def suspicions(self, cols, engine):
        out = []
        for res in cols:
            if "error" in res:
                out.append(f"{res.get('kind', 'dbtopo')}: NOT MEASURED: {res['error']}")
                continue
            tp = res["target_polls"] or 1
            kind = res["kind"]
            w = res["window"]
            if kind == "dbtopo":
                if res["failures"]:
                    out.append(f"dbtopo: {res['failures']:.0f} probe failures during the window")
                if res["down_seen"]:
                    out.append(f"dbtopo: targets seen down during the window: {res['down_seen']}")
                if res["findings"]:
                    out.append(f"dbtopo: active findings on a healthy topology: {res['findings']}")
                if res["server"]["conns"] / tp > 0.01:
                    out.append(f"dbtopo: {res['server']['conns']:.0f} new server connections in the window "
                               f"({res['server']['conns'] / tp:.3f}/target-poll): reconnecting?")
                if w.wire:
                    rt = sum(p["flights"] for p in w.wire["ports"].values()) / tp
                    if rt > 1.05:
                        out.append(f"dbtopo: {rt:.2f} round trips per target-poll (> 1)")
                expected = self.seconds / 1.0
                if res["polls"] < 0.9 * expected:
                    out.append(f"dbtopo: only {res['polls']:.0f} rounds in {self.seconds}s at poll_interval 1s")
                if "exit" in res and res["exit"][0] != 0:
                    out.append(f"dbtopo: exit code {res['exit'][0]} after SIGTERM ({res['exit'][1]:.1f}s)")
                elif "exit" in res and res["exit"][1] > 3:
                    out.append(f"dbtopo: took {res['exit'][1]:.1f}s to stop after SIGTERM")
            elif res["scrape_errors"]:
                out.append(f"{kind}: {res['scrape_errors']} failed scrapes, e.g. {res['bad_example']}")
            slope = late_slope(w.rss)
            if kind == "dbtopo" and slope is not None and slope > 50:
                out.append(f"{kind}: RSS still growing in the 2nd half of the window: {slope:.0f} KiB/min "
                           "(allocator warm-up settles within minutes; a leak does not: rerun with a "
                           "longer BENCH_SECONDS to tell)")
            if w.wire and (w.wire["drops"] or any(p["gaps"] for p in w.wire["ports"].values())):
                out.append(f"{kind}: packet capture lost data; wire figures approximate")
        return out


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
            try:
                bench.mysql_part()
            except BenchError as e:
                failed.append(f"MySQL part failed: {e}")
            finally:
                bench.children.stop_all()
        if "redis" in args.parts or "redis-cluster" in args.parts:
            try:
                bench.redis_part()
            except BenchError as e:
                failed.append(f"Redis part failed: {e}")
            finally:
                bench.children.stop_all()
    except KeyboardInterrupt:
        failed.append("interrupted")
    finally:
        bench.children.stop_all()
        if args.keep or (failed and failed != ["interrupted"]):
            say(f"kept {bench.workdir} (logs, configs)")
        else:
            shutil.rmtree(bench.workdir, ignore_errors=True)
    for title, rows, notes in bench.results:
        print_table(title, rows, notes)
    print()
    print(f"host: {os.cpu_count()} CPUs, {os.uname().release}; load average at start {load_start}, "
          f"at end {open('/proc/loadavg').read().split()[0:3]}; dbtopo_exporter: {args.dbtopo}")
    if not bench.wire_ok:
        print(f"wire figures: {bench.wire_why}")
    for f in failed:
        print(f"ERROR: {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
