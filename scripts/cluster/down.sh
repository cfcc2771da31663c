#!/usr/bin/env bash
# Stops every process of the local cluster (by its pid files) and removes its directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node bin/anfu.js cluster down "$@"
