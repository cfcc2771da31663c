#!/usr/bin/env bash
# Members and roles (Patroni), who answers /primary, haproxy, etcd and each API node's readiness.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node bin/anfu.js cluster status "$@"
