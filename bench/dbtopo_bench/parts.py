"""The benchmark parts (Bench): topologies, phases, figures."""

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
from .exporters import *  # noqa: F401,F403
from .report import Report


# --------------------------------------------------------------------------- parts


class Bench(Report):
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
