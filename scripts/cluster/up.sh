#!/usr/bin/env bash
# Brings the local high-availability cluster up (as root): etcd, three PostgreSQL 15 under Patroni,
# haproxy, API nodes. Installs the Debian packages when missing. Arguments go to `anfu cluster up`.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node bin/anfu.js cluster up "$@"
