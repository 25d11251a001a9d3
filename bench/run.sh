#!/usr/bin/env bash
# dbtopo_exporter benchmark: dbtopo_exporter vs prometheus-mysqld-exporter and
# prometheus-redis-exporter on real servers. Prints figures; asserts nothing.
# See bench/README.md.
#
#   bench/run.sh                       # everything, 60 s per exporter
#   BENCH_SECONDS=30 bench/run.sh      # shorter windows
#   BENCH_PARTS=mysql bench/run.sh     # mysql | redis | redis-cluster (comma-separated)
#   bench/run.sh scale                 # thousands of targets in one exporter (bench/scale.py)
#
# Environment:
#   DBTOPO_EXPORTER   binary (default: <repo>/build/dbtopo_exporter)
#   BENCH_SECONDS     measurement window per exporter, seconds (default 60)
#   BENCH_WARMUP      seconds between "ready" and the window (default 3)
#   BENCH_PARTS       default mysql,redis,redis-cluster
#   BENCH_WIRE        auto | off: packet capture on lo for round trips (needs root/CAP_NET_RAW)
#   BENCH_REDIS_EXPORTER_MODE   multi (one process, /scrape?target=) | per-node
#   BENCH_MYSQLD_EXPORTER_ARGS  collector flags for mysqld_exporter (default: slave_status +
#                               global_variables only)
#   BENCH_REDIS_EXPORTER_ARGS   extra flags for redis_exporter
#   BENCH_DBTOPO_CONFIG         extra top-level lines for dbtopo's config, ';'-separated
#                               (A/B runs, e.g. "max_concurrency: 4")
#   BENCH_KEEP=1      keep the temporary directory (server and exporter logs)
# Scale mode (bench/run.sh scale):
#   SCALE_TARGETS     target counts, comma-separated (default 1000,10000)
#   SCALE_SERVERS     redis-server processes, a multiple of 3 (default 6)
#   BENCH_SECONDS     window per count (default 30 in scale mode)
set -euo pipefail
mode="${1:-compare}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
dbtopo="${DBTOPO_EXPORTER:-$repo/build/dbtopo_exporter}"
PATH="$PATH:/usr/sbin:/sbin"  # mariadbd lives in sbin

missing=()
for bin in python3 mariadbd mariadb-install-db mariadb redis-server redis-cli \
           prometheus-mysqld-exporter prometheus-redis-exporter; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done
if ((${#missing[@]})); then
  echo "bench: missing required program(s): ${missing[*]}" >&2
  echo "bench: (Debian: apt-get install mariadb-server mariadb-client redis-server redis-tools" \
       "prometheus-mysqld-exporter prometheus-redis-exporter python3)" >&2
  exit 2
fi
if [[ ! -x "$dbtopo" ]]; then
  echo "bench: dbtopo_exporter not found at $dbtopo; build it first:" >&2
  echo "  cmake -S $repo -B $repo/build -DCMAKE_BUILD_TYPE=RelWithDebInfo &&" \
       "cmake --build $repo/build -j2 --target dbtopo_exporter" >&2
  echo "  (or set DBTOPO_EXPORTER=/path/to/dbtopo_exporter)" >&2
  exit 2
fi

# Every process bench.py starts is recorded here ("pid starttime"); the trap
# kills whatever is still alive, checking the start time so a recycled pid is
# never hit.
export BENCH_PIDFILE="$(mktemp "${TMPDIR:-/tmp}/dbtopo-bench-pids.XXXXXX")"
workdir="$(mktemp -d "${TMPDIR:-/tmp}/dbtopo-bench-XXXXXX")"
bench_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$bench_pid" ]] && kill -0 "$bench_pid" 2>/dev/null; then
    kill -TERM "$bench_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$bench_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$bench_pid" 2>/dev/null || true
  fi
  local pid start now
  while read -r pid start; do
    [[ -n "$pid" ]] || continue
    now="$(awk '{sub(/.*\) /, ""); print $20}' "/proc/$pid/stat" 2>/dev/null || true)"
    if [[ -n "$now" && "$now" == "$start" ]]; then
      echo "bench: killing leftover process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-60))" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done <"$BENCH_PIDFILE"
  rm -f "$BENCH_PIDFILE"
  # bench.py removes it after a clean run and keeps it (logs) after a failure;
  # after an interruption or a hard kill nothing is worth keeping.
  if ((rc >= 128)) && [[ "${BENCH_KEEP:-0}" != 1 ]]; then rm -rf "$workdir"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

args=(--dbtopo "$dbtopo" --workdir "$workdir" --seconds "${BENCH_SECONDS:-60}" --warmup "${BENCH_WARMUP:-3}"
      --parts "${BENCH_PARTS:-mysql,redis,redis-cluster}" --wire "${BENCH_WIRE:-auto}"
      --redis-exporter-mode "${BENCH_REDIS_EXPORTER_MODE:-multi}"
      "--redis-exporter-args=${BENCH_REDIS_EXPORTER_ARGS:-}"
      "--dbtopo-extra-config=${BENCH_DBTOPO_CONFIG:-}")
[[ -n "${BENCH_MYSQLD_EXPORTER_ARGS:-}" ]] && args+=("--mysqld-exporter-args=$BENCH_MYSQLD_EXPORTER_ARGS")
[[ "${BENCH_KEEP:-0}" == 1 ]] && args+=(--keep)

if [[ "$mode" == scale ]]; then
  args=(--dbtopo "$dbtopo" --workdir "$workdir" --seconds "${BENCH_SECONDS:-30}"
        --targets "${SCALE_TARGETS:-1000,10000}" --servers "${SCALE_SERVERS:-6}"
        "--dbtopo-extra-config=${BENCH_DBTOPO_CONFIG:-}")
  [[ "${BENCH_KEEP:-0}" == 1 ]] && args+=(--keep)
  python3 "$here/scale.py" "${args[@]}" &
else
  python3 "$here/bench.py" "${args[@]}" &
fi
bench_pid=$!
wait "$bench_pid"
