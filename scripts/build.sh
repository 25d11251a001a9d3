#!/usr/bin/env bash
# Configures and builds into build/ (binary: build/dbtopo_exporter).
#   scripts/build.sh                   # everything (exporter, tests, bench)
#   scripts/build.sh dbtopo_exporter   # only the named targets
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j"$(nproc)" "${targets[@]}"
