#!/usr/bin/env bash
# Builds the project with clang and a sanitizer into its own directory and
# runs the suites there. Any sanitizer report fails the run: in a test binary
# by its exit status, in the exporter the integration tests start by the
# report in its log (ExporterProcess checks it when it stops).
#   scripts/sanitized.sh address   # build-asan/: ASan+UBSan, unit + integration
#   scripts/sanitized.sh thread    # build-tsan/: TSan, unit + integration labelled threads
# Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:?usage: scripts/sanitized.sh address|thread [ctest args]}"
shift
case "$kind" in
  address) dir=build-asan; labels='^(unit|integration)$'; extra=(-DDBTOPO_BUILD_FUZZERS=ON) ;;
  thread) dir=build-tsan; labels='^(unit|threads)$'; extra=() ;;
  *) echo "unknown sanitizer $kind (address or thread)" >&2; exit 2 ;;
esac
root="$(pwd)"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp"
echo "sanitized: configuring $dir ($kind)"
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDBTOPO_SANITIZE="$kind" "${extra[@]}" >/dev/null
start=$(date +%s)
cmake --build "$dir" -j"$(nproc)" >"$dir/build.log" 2>&1 || { tail -50 "$dir/build.log" >&2; exit 1; }
echo "sanitized: built $dir in $(( $(date +%s) - start )) s"
cd "$dir"
ctest --output-on-failure --timeout 900 -L "$labels" "$@"
