# shellcheck shell=bash
# lib.sh - shared by the cluster tests: skip when nginx (or python) is missing, bring a cluster
# up in a fresh state dir with the settings the black-box suite expects, and always take it
# down at exit. Sourced; sets URL, DIR, CLUSTER (the script) and the engine variables.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLUSTER="$ROOT/scripts/cluster.sh"
PY=/usr/bin/python3

skip() { echo "SKIP: $*"; exit 77; }

command -v nginx >/dev/null 2>&1 || skip "nginx is not installed (Debian: nginx; scripts/setup.sh --test)"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
[ -x "$PY" ] || skip "no /usr/bin/python3"
"$PY" -c 'import pytest, requests' 2>/dev/null || skip "python3 lacks pytest or requests"
[ -x "${REPRIGHT_BIN:-}" ] || skip "REPRIGHT_BIN is not set to an executable repright binary"

export REPRIGHT_CLUSTER_DIR
REPRIGHT_CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/repright-cluster-test.XXXXXX")
DIR=$REPRIGHT_CLUSTER_DIR
cluster_down() {
  local rc=$? f
  # stop gracefully (SIGTERM) but keep the logs: sanitizer reports appear at exit
  REPRIGHT_CLUSTER_KEEP=1 "$CLUSTER" down >/dev/null 2>&1 || true
  for f in "$DIR"/*.log; do
    [ -f "$f" ] || continue
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"; then
      echo "sanitizer report in $f:"
      grep -m1 -A30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"
      [ $rc -eq 0 ] || [ $rc -eq 77 ] && rc=1
    fi
  done
  if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then # keep what explains a failure
    for f in "$DIR"/*.log "$DIR"/nginx/logs/error.log; do
      [ -f "$f" ] && { echo "---- tail $f"; tail -n 15 "$f"; }
    done
  fi
  rm -rf "$DIR"
  exit $rc
}
trap cluster_down EXIT

# The shared-server settings of tests/api/conftest.py (RELAXED_ENV) and a quick model.
export REPRIGHT_LOGIN_IP_LIMIT=1000000 REPRIGHT_LOGIN_ACCOUNT_LIMIT=1000000 \
  REPRIGHT_LOGIN_UNTRUSTED_LIMIT=1000000 REPRIGHT_REGISTER_LIMIT=1000000 \
  REPRIGHT_JWT_SECRET=5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed \
  REPRIGHT_MODEL=lite

cluster_up() {
  "$CLUSTER" up >"$DIR.up.log" 2>&1 || { cat "$DIR.up.log"; rm -f "$DIR.up.log"; exit 1; }
  rm -f "$DIR.up.log"
  # shellcheck disable=SC1091
  . "$DIR/cluster.env"
}
