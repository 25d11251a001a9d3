#!/usr/bin/env python3
"""Records fuzzer seeds from real servers on loopback (free ports, temp dirs):
RESP replies of a redis-server master and replica and of a redis-sentinel
probe round, and MariaDB globals and
SHOW ALL SLAVES STATUS rows (as the mysql client prints them with \\G) of a
real primary and replica. Writes into tests/fuzz/seeds/<fuzzer>/.

    python3 tests/fuzz/capture/capture_seeds.py
"""
import os
import socket
import subprocess
import tempfile
import time

SEEDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "seeds")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def resp_command(*args):
    out = f"*{len(args)}\r\n"
    for a in args:
        out += f"${len(a.encode())}\r\n{a}\r\n"
    return out.encode()


def raw_reply(port, *args):
    """The bytes of one reply, read until the server is quiet."""
    return pipelined(port, [args], quiet=0.3)


def write(fuzzer, name, data):
    d = os.path.join(SEEDS, fuzzer)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def start_redis(tmp, name, port):
    """A redis-server on 127.0.0.1:port without persistence, data in tmp."""
    d = os.path.join(tmp, f"{name}-{port}")
    os.makedirs(d)
    return subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)


def capture_redis(tmp):
    master, replica = free_port(), free_port()
    procs = [start_redis(tmp, "redis", port) for port in (master, replica)]
    try:
        for port in (master, replica):
            wait_port(port)
        raw_reply(replica, "REPLICAOF", "127.0.0.1", str(master))
        raw_reply(master, "SET", "k", "v")
        time.sleep(2)
        commands = {
            "role_master": (master, "ROLE"),
            "role_replica": (replica, "ROLE"),
            "info_replication_master": (master, "INFO", "replication"),
            "info_replication_replica": (replica, "INFO", "replication"),
            "info_server": (master, "INFO", "server"),
            "cluster_info_not_cluster": (master, "CLUSTER", "INFO"),
            "auth_without_password": (master, "AUTH", "nobody", "wrong"),
            "wait": (master, "WAIT", "1", "100"),
            "config_get_replica_read_only": (replica, "CONFIG", "GET", "replica-read-only"),
            "replicaof_no_one": (replica, "REPLICAOF", "NO", "ONE"),
            "ping": (master, "PING"),
            "get_nil": (master, "GET", "missing"),
        }
        for name, (port, *args) in commands.items():
            data = raw_reply(port, *args)
            write("redis_reply_fuzzer", name + ".resp", data)
            write("redis_admin_reply_fuzzer", name + ".resp", data)
    finally:
        for p in procs:
            p.terminate()
            p.wait()


def pipelined(port, commands, quiet=0.5):
    """The bytes of the replies to commands sent in one write, read until the
    server has been quiet for `quiet` seconds."""
    with socket.create_connection(("127.0.0.1", port), 2) as s:
        s.sendall(b"".join(resp_command(*c) for c in commands))
        s.settimeout(quiet)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
        return data


def capture_sentinel(tmp):
    """A sentinel probe's round: a master, a replica, one sentinel (quorum 2,
    so CKQUORUM answers -NOQUORUM)."""
    master, replica, sentinel = free_port(), free_port(), free_port()
    procs = [start_redis(tmp, "sentinel-redis", port) for port in (master, replica)]
    conf = os.path.join(tmp, "sentinel.conf")
    with open(conf, "w") as f:
        f.write(f"port {sentinel}\nbind 127.0.0.1\ndir {tmp}\n"
                f"sentinel monitor mymaster 127.0.0.1 {master} 2\n")
    try:
        for port in (master, replica):
            wait_port(port)
        raw_reply(replica, "REPLICAOF", "127.0.0.1", str(master))
        procs.append(subprocess.Popen(["redis-sentinel", conf], stdout=subprocess.DEVNULL))
        wait_port(sentinel)
        time.sleep(12)  # the sentinel learns the replica from the master's INFO (every 10 s)
        data = pipelined(sentinel, [("INFO", "sentinel"), ("INFO", "server"),
                                    ("SENTINEL", "MASTERS"),
                                    ("SENTINEL", "REPLICAS", "mymaster"),
                                    ("SENTINEL", "SENTINELS", "mymaster"),
                                    ("SENTINEL", "CKQUORUM", "mymaster")])
        write("sentinel_reply_fuzzer", "one_master_one_replica.resp", data)
    finally:
        for p in procs:
            p.terminate()
            p.wait()


GLOBALS = ("SELECT @@global.read_only AS read_only, NULL AS super_read_only, "
           "@@global.server_id AS server_id, NULL AS server_uuid, "
           "@@global.gtid_current_pos AS gtid_executed, "
           "@@global.gtid_binlog_state AS gtid_binlog_state, @@global.version AS version")


def mariadb(port, sql, vertical=False):
    args = ["mariadb", "-uroot", "-h127.0.0.1", f"-P{port}", "-e", sql]
    if vertical:
        args.insert(1, "-E")
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def capture_mariadb(tmp):
    ports = [free_port(), free_port()]
    procs = []
    for i, port in enumerate(ports):
        d = os.path.join(tmp, f"mariadb-{port}")
        subprocess.run(["mariadb-install-db", f"--datadir={d}", "--auth-root-authentication-method=normal",
                        "--skip-test-db"], check=True, capture_output=True)
        procs.append(subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={d}", f"--port={port}", "--bind-address=127.0.0.1",
             f"--socket={d}/sock", f"--server-id={i + 1}", "--log-bin=binlog", "--skip-name-resolve",
             f"--pid-file={d}/pid", "--user=root"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        for port in ports:
            wait_port(port)
        time.sleep(1)
        primary, replica = ports
        mariadb(primary, "CREATE USER repl@'%' IDENTIFIED BY 'replpw'; GRANT REPLICATION SLAVE ON *.* TO repl@'%'; "
                         "CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY)")
        mariadb(replica, f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary}, MASTER_USER='repl', "
                         "MASTER_PASSWORD='replpw', MASTER_USE_GTID=slave_pos; START SLAVE; "
                         "SET GLOBAL read_only=1")
        time.sleep(2)
        mariadb(primary, "INSERT INTO app.t VALUES (1)")
        time.sleep(1)
        status = mariadb(replica, "SHOW ALL SLAVES STATUS", vertical=True)
        write("mysql_rows_fuzzer", "mariadb_replica.txt", mariadb(replica, GLOBALS, vertical=True) + status)
        write("mysql_rows_fuzzer", "mariadb_primary.txt", mariadb(primary, GLOBALS, vertical=True))
        # A broken link: the replica's SQL thread stopped by a duplicate key.
        mariadb(replica, "SET GLOBAL read_only=0; INSERT INTO app.t VALUES (2)")
        mariadb(primary, "INSERT INTO app.t VALUES (2)")
        time.sleep(2)
        write("mysql_rows_fuzzer", "mariadb_sql_error.txt",
              mariadb(replica, GLOBALS, vertical=True) + mariadb(replica, "SHOW ALL SLAVES STATUS", vertical=True))
    finally:
        for p in procs:
            p.terminate()
            p.wait()


def main():
    with tempfile.TemporaryDirectory(prefix="dbtopo-seeds-") as tmp:
        capture_redis(tmp)
        capture_sentinel(tmp)
        capture_mariadb(tmp)
    print("seeds written under", os.path.normpath(SEEDS))


if __name__ == "__main__":
    main()
