#!/usr/bin/env bash
# Regenerates docs/topology-page.png, the README's picture of the topology
# page: the browser test (tests/integration/topology_page_test.cc) drives
# headless Chromium over a real MariaDB primary + 2 replicas and a Redis
# Cluster, injects a dual primary and a broken link, and screenshots the page.
#   scripts/screenshot.sh        # after scripts/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
test_bin=build/tests/integration/topology_page_test
[[ -x "$test_bin" ]] || { echo "screenshot: build first (scripts/build.sh)" >&2; exit 2; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
DBTOPO_ARTIFACTS_DIR="$out" "$test_bin" \
  --gtest_filter='TopologyPageTest.ShowsTheTopologyAndFollowsFaultsWithoutAReload'
cp "$out/3-dual-primary.png" docs/topology-page.png
echo "screenshot: wrote docs/topology-page.png"
