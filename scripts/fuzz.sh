#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, in build-asan/ which
# scripts/sanitized.sh address shares) and runs each for FUZZ_SECONDS
# (default 20) from its seeds in tests/fuzz/seeds/<name>/. Any crash, hang
# (-timeout) or leak fails. Prints execs and coverage per target.
#   scripts/fuzz.sh                          # 20 s each
#   FUZZ_SECONDS=300 scripts/fuzz.sh         # the long run
#   FUZZ_SECONDS=300 scripts/fuzz.sh config_fuzzer cli_fuzzer   # some
# FUZZ_CORPUS=<dir> keeps the corpus that grows (default: a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"
cmake -S . -B build-asan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDBTOPO_SANITIZE=address -DDBTOPO_BUILD_FUZZERS=ON >/dev/null
cmake --build build-asan -j"$(nproc)" --target fuzzers >build-asan/fuzz-build.log 2>&1 ||
  { tail -50 build-asan/fuzz-build.log >&2; exit 1; }
corpus="${FUZZ_CORPUS:-$(mktemp -d)}"
[ -n "${FUZZ_CORPUS:-}" ] || trap 'rm -rf "$corpus"' EXIT
names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
  for fuzzer in build-asan/fuzz/*_fuzzer; do names+=("$(basename "$fuzzer")"); done
fi
status=0
for name in "${names[@]}"; do
  seeds="tests/fuzz/seeds/$name"
  [ -d "$seeds" ] || { echo "fuzz: $name has no seeds in $seeds" >&2; status=1; continue; }
  mkdir -p "$corpus/$name"
  # libFuzzer exits non-zero on a crash, a timeout or a leak, and writes the
  # input as crash-*/timeout-*/leak-* into build-asan/fuzz/.
  if build-asan/fuzz/"$name" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix=build-asan/fuzz/ \
      "$corpus/$name" "$seeds" >"$corpus/$name.log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$corpus/$name.log")
    cov=$(grep -E "^#[0-9]+" "$corpus/$name.log" | grep -oE "cov: [0-9]+" | tail -1)
    echo "fuzz: $name ${seconds}s: $execs execs, $cov, $(ls "$corpus/$name" | wc -l) corpus"
  else
    echo "fuzz: $name FAILED:" >&2
    grep -E "^(==|SUMMARY|artifact_prefix|Test unit written)" "$corpus/$name.log" >&2 ||
      tail -20 "$corpus/$name.log" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "fuzz: all ${#names[@]} fuzzers ran clean"
exit "$status"
