#!/usr/bin/env bash
# test_deploy_files.sh - what can be checked of deploy/ without Docker: `nginx -t` on the
# compose nginx config (service names pointed at loopback), and check_deploy.py (variables,
# commands, services, health checks, limits against the binary's defaults). ~1 s.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
command -v nginx >/dev/null 2>&1 || { echo "SKIP: nginx is not installed (Debian: nginx)"; exit 77; }
if ! "$PY" -c 'import yaml, tomllib' 2>/dev/null; then
  echo "SKIP: python3 with yaml and tomllib (Debian: python3-yaml) is missing"; exit 77
fi
[ -x "${REPRIGHT_BIN:-}" ] || { echo "SKIP: REPRIGHT_BIN is not set"; exit 77; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sed -e 's#serve1:8080#127.0.0.1:1#; s#serve2:8080#127.0.0.1:2#' \
  -e "s#/etc/nginx/repright-proxy.conf#$ROOT/deploy/nginx/repright-proxy.conf#" \
  -e "s#pid /tmp/nginx.pid#pid $T/nginx.pid#; s#/tmp/nginx-#$T/#" \
  "$ROOT/deploy/nginx/nginx.conf" >"$T/nginx.conf"
nginx -t -q -p "$T" -c "$T/nginx.conf" -e "$T/error.log"
"$PY" "$ROOT/tests/cluster/check_deploy.py" "$ROOT" "$REPRIGHT_BIN"
