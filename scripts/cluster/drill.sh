#!/usr/bin/env bash
# Runs the failover drills (src/cluster/drills.test.ts) on their own cluster; fails if a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
ANFU_REQUIRE_TOOLS=1 ANFU_TEST_CONCURRENCY=1 exec node scripts/run-tests.mjs src/cluster/drills
