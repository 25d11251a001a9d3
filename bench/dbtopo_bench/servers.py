"""The databases under test: MariaDB and Redis, their counters and calibration."""

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
