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
export REPRIGHT_CLUSTER_BACKENDS=${REPRIGHT_CLUSTER_BACKENDS:-}
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
  REPRIGHT_MODEL=lite REPRIGHT_DEFAULT_PLAN=gym # as tests/api/conftest.py: suites not about plans

cluster_up() {
  local try msg drop
  for try in 1 2 3 4; do
    if "$CLUSTER" up >"$DIR.up.log" 2>&1; then break; fi
    # a build without a selected backend (PostgreSQL, Redis and S3 land on their own branches):
    # go on without it, and skip when none is left
    msg=$(grep -hs -m1 -oE '(unsupported [a-z]+ url|blob: )[^"]*' "$DIR"/migrate.log \
      "$DIR"/serve1.log | head -n1 || true)
    case $msg in
      *"database url"*) drop=pg ;;
      *"queue url"*) drop=redis ;;
      blob:*) drop=s3 ;;
      *) drop="" ;;
    esac
    if [ -z "$drop" ] || [ $try = 4 ] || [[ ",$REPRIGHT_CLUSTER_BACKENDS," != *",$drop,"* ]]; then
      cat "$DIR.up.log"
      rm -f "$DIR.up.log"
      exit 1
    fi
    echo "NOTE: this build has no $drop backend ($msg): going on without it"
    REPRIGHT_CLUSTER_BACKENDS=$(echo ",$REPRIGHT_CLUSTER_BACKENDS," | sed "s/,$drop,/,/; s/^,//; s/,$//")
    [ -n "$REPRIGHT_CLUSTER_BACKENDS" ] || { rm -f "$DIR.up.log"; skip "this build has none of the selected backends"; }
  done
  rm -f "$DIR.up.log"
  # shellcheck disable=SC1091
  . "$DIR/cluster.env"
  if [ -n "$REPRIGHT_CLUSTER_BACKENDS" ] && [ "$QUEUE_URL" = db ] &&
    [ "${DATABASE_URL#sqlite:}" != "$DATABASE_URL" ] && [ "${BLOB_URL#file:}" != "$BLOB_URL" ]; then
    skip "none of the engines of REPRIGHT_CLUSTER_BACKENDS=$REPRIGHT_CLUSTER_BACKENDS is installed"
  fi
}
