# common.bash - shared by the tests/cli/*.sh scripts: a temp dir, `expect`, `skip` and `finish`.
# Callers set BIN (the repright binary) before sourcing. A script that skipped any part exits 77
# (CTest: skipped) unless a check failed (exit 1): a skip never counts as a pass.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rr_test_cli_XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILS=0
CHECKS=0
SKIPPED=0

# expect NAME WANT_STATUS NEEDLE(stdout+stderr, may be empty) -- command...
expect() {
  local name=$1 want=$2 needle=$3
  shift 3
  "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
  local got=$?
  CHECKS=$((CHECKS + 1))
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $name: exit $got, wanted $want"; sed 's/^/    /' "$TMP/err" | head -5
    FAILS=$((FAILS + 1)); return 1
  fi
  if [ -n "$needle" ] && ! grep -qF -- "$needle" "$TMP/out" "$TMP/err"; then
    echo "FAIL: $name: output lacks '$needle'"; head -5 "$TMP/out" "$TMP/err" | sed 's/^/    /'
    FAILS=$((FAILS + 1)); return 1
  fi
  echo "ok: $name (exit $got)"
}

# skip WHY: print "SKIP: WHY"; the script goes on, and finish exits 77 unless a check failed.
skip() {
  echo "SKIP: $*"
  SKIPPED=1
}

# finish: exit 1 when a check failed, else 77 when something was skipped, else 0.
finish() {
  echo "$CHECKS checks, $FAILS failed"
  [ "$FAILS" -eq 0 ] || exit 1
  [ "$SKIPPED" -eq 0 ] || exit 77
  exit 0
}

