#!/usr/bin/env bash
# Sets up, builds and runs every test (unit, alert rules, integration on real
# servers). Prints ctest's summary. Extra args go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build
ctest --output-on-failure --timeout 900 "$@"
