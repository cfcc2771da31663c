#!/usr/bin/env bash
# Scans Anfu's HTTPS listener with real scanners and fails unless only TLS 1.2/1.3 with ECDHE AEAD
# suites are offered. Usage: scripts/security/tls-scan.sh [host:port]
# Without a target it starts a development server on 127.0.0.1 (temporary data dir), scans it, stops it.
# Tools: sslscan (apt-get install sslscan), optionally testssl (apt-get install testssl.sh), openssl.
set -euo pipefail
cd "$(dirname "$0")/../.."

target="${1:-}"
server_pid=""
cleanup() { if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

if [[ -z "$target" ]]; then
  port="${ANFU_SCAN_PORT:-18443}"
  data_dir="$(mktemp -d)"
  ANFU_ENV=development ANFU_DATA_DIR="$data_dir" ANFU_HOST=127.0.0.1 ANFU_PORT="$port" ANFU_LOG_LEVEL=silent \
    node bin/anfu.js serve >"$data_dir/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.2
  done
  target="127.0.0.1:$port"
fi

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

if command -v sslscan >/dev/null; then
  out="$(sslscan --no-colour "$target")"
  echo "$out"
  for p in SSLv2 SSLv3 'TLSv1\.0' 'TLSv1\.1'; do grep -Eq "^${p} +disabled" <<<"$out" || fail "$p is not disabled"; done
  for p in 'TLSv1\.2' 'TLSv1\.3'; do grep -Eq "^${p} +enabled" <<<"$out" || fail "$p is not enabled"; done
  weak="$(grep -E '^(Preferred|Accepted)' <<<"$out" | grep -Ei 'CBC|RC4|3DES|DES-|NULL|EXP|MD5|anon' || true)"
  [[ -z "$weak" ]] || fail "weak suites offered: $weak"
  non_ecdhe="$(grep -E '^(Preferred|Accepted) +TLSv1\.2' <<<"$out" | grep -v ' ECDHE-' || true)"
  [[ -z "$non_ecdhe" ]] || fail "TLS 1.2 suites without ECDHE: $non_ecdhe"
else
  echo "sslscan not installed; falling back to openssl s_client"
  for p in tls1 tls1_1; do
    if openssl s_client -connect "$target" "-$p" -cipher 'DEFAULT@SECLEVEL=0' -brief </dev/null 2>&1 | grep -q 'Protocol version'; then fail "$p accepted"; fi
  done
  for p in tls1_2 tls1_3; do
    openssl s_client -connect "$target" "-$p" -brief </dev/null 2>&1 | grep -q 'Protocol version' || fail "$p refused"
  done
fi

if command -v testssl >/dev/null && [[ "${ANFU_SCAN_TESTSSL:-1}" == 1 ]]; then
  # Protocols, cipher categories and forward secrecy; slower than sslscan, so it is a second opinion.
  out="$(testssl --quiet --color 0 --warnings off -p -s -f "$target" || true)"
  echo "$out"
  for p in 'SSLv3' 'TLS 1 ' 'TLS 1.1'; do grep -E "^ *${p}" <<<"$out" | grep -q 'not offered' || fail "testssl: $p offered"; done
  grep -E '^ *(NULL ciphers|Anonymous NULL|Export ciphers|LOW|Triple DES)' <<<"$out" | grep -v 'not offered' && fail "testssl: weak cipher category offered" || true
fi

if [[ $failures -gt 0 ]]; then echo "TLS scan: $failures failure(s)"; exit 1; fi
echo "TLS scan: OK (TLS 1.2/1.3 only, ECDHE AEAD suites only)"
