#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) into build-fuzz/ and runs
# each for FUZZ_SECONDS (default 20) from its seeds: tests/fuzz/seeds/<name>/
# when there is one, else the recorded server replies in
# tests/unit/testdata/redis/. Any crash, hang (-timeout) or leak fails.
#   scripts/fuzz.sh              # 20 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"
cmake -S tests/fuzz -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
status=0
for fuzzer in build-fuzz/*_fuzzer; do
  name="$(basename "$fuzzer")"
  mkdir -p "$corpus/$name"
  seeds=tests/unit/testdata/redis
  [ -d "tests/fuzz/seeds/$name" ] && seeds="tests/fuzz/seeds/$name"
  echo "fuzz: $name for ${seconds}s"
  # libFuzzer exits non-zero on a crash, a timeout or a leak, and writes the
  # input as crash-*/timeout-*/leak-* in the current directory.
  if "$fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
      "$corpus/$name" "$seeds" >"$corpus/$name.log" 2>&1; then
    grep -E "^stat::number_of_executed_units" "$corpus/$name.log" || true
  else
    echo "fuzz: $name FAILED:" >&2
    grep -E "^(==|SUMMARY|artifact_prefix|Test unit written)" "$corpus/$name.log" >&2 || tail -20 "$corpus/$name.log" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "fuzz: all fuzzers ran clean"
exit "$status"
