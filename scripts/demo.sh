#!/usr/bin/env bash
# Sets up, builds, starts a local demo topology of real servers (a MariaDB
# primary + 2 replicas with GTID replication, and a Redis master + 2 replicas)
# on free loopback ports, and runs dbtopo_exporter against it. Ctrl-C stops
# everything and removes the temp dir.
#
#   scripts/demo.sh                 # exporter on 127.0.0.1:9856
#   DEMO_LISTEN=127.0.0.1:19856 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh dbtopo_exporter

listen="${DEMO_LISTEN:-127.0.0.1:9856}"
work="$(mktemp -d /tmp/dbtopo-demo.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
user="$(id -un)"

echo "demo: data in $work"
password="demo-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$password" >"$work/exporter.pw"
chmod 600 "$work/exporter.pw"

# --- MariaDB: primary (index 0) + 2 replicas --------------------------------
mysql_ports=()
template="$work/mysql-template"
mariadb-install-db --no-defaults --datadir="$template" --user="$user" \
  --auth-root-authentication-method=normal --skip-test-db >"$work/install.log" 2>&1
for i in 0 1 2; do
  port="$(free_port)"
  mysql_ports+=("$port")
  cp -a "$template" "$work/mysql-$i"
  mariadbd --no-defaults --datadir="$work/mysql-$i" --user="$user" --port="$port" \
    --bind-address=127.0.0.1 --socket="$work/mysql-$i.sock" --pid-file="$work/mysql-$i.pid" \
    --server-id=$((i + 1)) --log-bin=mysql-bin --log-slave-updates --skip-name-resolve \
    --innodb-buffer-pool-size=16M --read-only=$([ "$i" -eq 0 ] && echo 0 || echo 1) \
    >"$work/mysql-$i.log" 2>&1 &
  pids+=($!)
done
sql() { mariadb --no-defaults -uroot -S "$work/mysql-$1.sock" -e "$2"; }
for i in 0 1 2; do
  for _ in $(seq 100); do sql "$i" "SELECT 1" >/dev/null 2>&1 && break; sleep 0.1; done
done
sql 0 "CREATE USER repl@'%' IDENTIFIED BY 'repl'; GRANT REPLICATION SLAVE ON *.* TO repl@'%';
       CREATE USER exporter@'%' IDENTIFIED BY '$password';
       GRANT SLAVE MONITOR, REPLICATION CLIENT, PROCESS ON *.* TO exporter@'%';
       CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, note TEXT);"
for i in 1 2; do
  sql "$i" "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${mysql_ports[0]},
            MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos; START SLAVE;"
done

# --- Redis: master + 2 replicas --------------------------------------------
redis_ports=()
for i in 0 1 2; do
  port="$(free_port)"
  redis_ports+=("$port")
  mkdir -p "$work/redis-$i"
  args=(--port "$port" --bind 127.0.0.1 --dir "$work/redis-$i" --save "" --appendonly no
        --requirepass "$password" --masterauth "$password")
  [ "$i" -gt 0 ] && args+=(--replicaof 127.0.0.1 "${redis_ports[0]}")
  redis-server "${args[@]}" >"$work/redis-$i.log" 2>&1 &
  pids+=($!)
done

# --- Redis Sentinel: three sentinels watching the master --------------------
sentinel_ports=()
for i in 0 1 2; do
  port="$(free_port)"
  sentinel_ports+=("$port")
  cat >"$work/sentinel-$i.conf" <<EOF
port $port
bind 127.0.0.1
dir $work
requirepass "$password"
sentinel sentinel-pass "$password"
sentinel monitor mymaster 127.0.0.1 ${redis_ports[0]} 2
sentinel auth-pass mymaster "$password"
sentinel down-after-milliseconds mymaster 5000
EOF
  redis-sentinel "$work/sentinel-$i.conf" >"$work/sentinel-$i.log" 2>&1 &
  pids+=($!)
done

# Wait until the replicas' links are up and the sentinels have met each other
# (hello messages every 2 s), so that the exporter's first rounds show a
# healthy topology rather than the servers still starting.
rcli() { REDISCLI_AUTH="$password" redis-cli -h 127.0.0.1 -p "$1" "${@:2}" 2>/dev/null; }
for _ in $(seq 150); do
  ready=1
  for i in 1 2; do
    [[ "$(rcli "${redis_ports[$i]}" INFO replication)" == *master_link_status:up* ]] || ready=0
  done
  for port in "${sentinel_ports[@]}"; do
    [[ "$(rcli "$port" SENTINEL CKQUORUM mymaster)" == OK* ]] || ready=0
  done
  [ "$ready" = 1 ] && break
  sleep 0.2
done
[ "$ready" = 1 ] || echo "demo: Redis replicas or sentinels not settled after 30 s; the exporter will say which" >&2

cat >"$work/dbtopo.yml" <<EOF
poll_interval: 2s
probe_timeout: 1s
clusters:
  - name: shop
    engine: mysql
    credentials: {username: exporter, password_file: exporter.pw}
    members:
      - {pod: shop-mysql-0, address: 127.0.0.1:${mysql_ports[0]}, labels: {kubeblocks.io/role: primary}}
      - {pod: shop-mysql-1, address: 127.0.0.1:${mysql_ports[1]}, labels: {kubeblocks.io/role: secondary}}
      - {pod: shop-mysql-2, address: 127.0.0.1:${mysql_ports[2]}, labels: {kubeblocks.io/role: secondary}}
  - name: cache
    engine: redis
    credentials: {password_file: exporter.pw}
    members:
      - {pod: cache-redis-0, address: 127.0.0.1:${redis_ports[0]}, labels: {kubeblocks.io/role: primary}}
      - {pod: cache-redis-1, address: 127.0.0.1:${redis_ports[1]}, labels: {kubeblocks.io/role: secondary}}
      - {pod: cache-redis-2, address: 127.0.0.1:${redis_ports[2]}, labels: {kubeblocks.io/role: secondary}}
  - name: cache
    engine: redis-sentinel
    component: sentinel
    credentials: {password_file: exporter.pw}
    members:
      - {pod: cache-sentinel-0, address: 127.0.0.1:${sentinel_ports[0]}}
      - {pod: cache-sentinel-1, address: 127.0.0.1:${sentinel_ports[1]}}
      - {pod: cache-sentinel-2, address: 127.0.0.1:${sentinel_ports[2]}}
EOF

build/dbtopo_exporter --config.file="$work/dbtopo.yml" --web.listen-address="$listen" \
  2> >(tee "$work/exporter.log" >&2) &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://$listen/-/ready" >/dev/null && break; sleep 0.2; done

cat <<EOF

dbtopo_exporter is running against a real MariaDB primary + 2 replicas and a
Redis master + 2 replicas under 3 sentinels (config: $work/dbtopo.yml).

  metrics:   curl http://$listen/metrics
  topology:  curl http://$listen/api/v1/topology
  web page:  http://$listen/

Try a fault (then watch dbtopo_finding in /metrics):
  stop a replica's SQL thread:  mariadb --no-defaults -uroot -S $work/mysql-1.sock -e 'STOP SLAVE SQL_THREAD'
  make a replica a 2nd primary: mariadb --no-defaults -uroot -S $work/mysql-2.sock -e 'STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0'
  detach a Redis replica:       redis-cli -p ${redis_ports[1]} -a '<password in $work/exporter.pw>' REPLICAOF NO ONE
                                (the sentinels name the old master, then turn it back into a replica)
  lose the sentinels' quorum:   kill two of the redis-sentinel processes (logs: $work/sentinel-*.log)

Press Ctrl-C to stop.
EOF
wait "${pids[-1]}"
