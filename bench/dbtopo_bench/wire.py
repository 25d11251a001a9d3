"""Wire capture: counts MySQL and Redis round trips on loopback (AF_PACKET)."""

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


# The entry point that runs capture_main in a child process (it needs
# CAP_NET_RAW, so it runs under its own privileges when the parent has none).
BENCH_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench.py")


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
        argv = [sys.executable, BENCH_PY, "capture", "--out", self.out]
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
