#!/usr/bin/env bash
# test_admin_plans.sh - `repright admin plan set|list`, `usage` and `flag list|set|rule` over a real
# SQLite store: the database is made by `repright migrate`, an account and a month of counters
# are written with Python's sqlite3 (the server is not needed), then the commands read and change
# them. Usage: test_admin_plans.sh PATH/TO/repright. Exit 0 passed, 1 failed, 77 skipped.
set -u
BIN=${1:?usage: test_admin_plans.sh PATH/TO/repright}
# shellcheck source=lib/common.bash
. "$(dirname "$0")/lib/common.bash"

[ -x "$BIN" ] || { echo "FAIL: $BIN is not an executable"; exit 1; }
command -v python3 >/dev/null || { skip "python3 is missing"; finish; }
for k in $(env | sed -n 's/^\(REPRIGHT_[A-Z_]*\)=.*/\1/p'); do unset "$k"; done

D="$TMP/data"
expect "admin --help lists the commands" 0 "plan set USER_EMAIL PLAN" "$BIN" admin --help
expect "admin without a command" 64 "usage: repright admin" "$BIN" admin --data-dir "$D"
expect "admin unknown command" 64 "unknown command 'plan frob'" "$BIN" admin --data-dir "$D" plan frob
expect "migrate makes the database" 0 '"schema_version":' "$BIN" migrate --data-dir "$D"

python3 - "$D/repright.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO users (id, email, password_hash, role, created_at) VALUES "
           "('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'ann@example.com', 'x', 'user', 0), "
           "('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'bob@example.com', 'x', 'user', 0)")
db.executemany("INSERT INTO usage_monthly VALUES (?, ?, ?, ?, ?)", [
    ("user", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "2026-11", "uploads", 7),
    ("user", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "2026-11", "video_seconds", 301),
    ("user", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "2026-11", "uploads", 2),
    ("org", "gym-1", "2026-11", "uploads", 9),
    ("user", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "2026-10", "uploads", 4)])
db.commit()
PY

expect "plan list shows the three plans" 0 "unlimited" "$BIN" admin --data-dir "$D" plan list
grep -qE '^free +Free +10 ' "$TMP/out" && grep -qE '^pro ' "$TMP/out" && grep -qE '^gym ' "$TMP/out" \
  || { echo "FAIL: plan list rows"; cat "$TMP/out"; FAILS=$((FAILS + 1)); }
expect "plan set moves ann to pro" 0 "ann@example.com: free -> pro" \
  "$BIN" admin --data-dir "$D" plan set ann@example.com pro
expect "plan set is case-insensitive on the email" 0 "pro -> gym" \
  "$BIN" admin --data-dir="$D" plan set ANN@example.com gym
expect "plan set unknown plan" 2 "no plan is named 'platinum'" \
  "$BIN" admin --data-dir "$D" plan set ann@example.com platinum
expect "plan set unknown account" 2 "no account has the email zed@example.com" \
  "$BIN" admin --data-dir "$D" plan set zed@example.com pro
expect "plan set without a plan" 64 "expected USER_EMAIL PLAN" \
  "$BIN" admin --data-dir "$D" plan set ann@example.com

expect "usage of a month, everyone" 0 "gym-1" "$BIN" admin --data-dir "$D" usage --month 2026-11
grep -qE '^2026-11 user +ann@example.com +gym +uploads +7$' "$TMP/out" \
  && grep -qE '^2026-11 user +bob@example.com +free +uploads +2$' "$TMP/out" \
  && grep -qE '^2026-11 org +gym-1 +- +uploads +9$' "$TMP/out" \
  || { echo "FAIL: usage rows"; cat "$TMP/out"; FAILS=$((FAILS + 1)); }
expect "usage of one account" 0 "video_seconds" \
  "$BIN" admin --data-dir "$D" usage --month 2026-11 ann@example.com
if grep -q bob "$TMP/out"; then echo "FAIL: one account's usage lists another"; FAILS=$((FAILS + 1)); fi
expect "usage of another month" 0 " 4" "$BIN" admin --data-dir "$D" usage --month 2026-10 ann@example.com
expect "usage of an empty month" 0 "(no usage in 2020-01)" "$BIN" admin --data-dir "$D" usage --month 2020-01
expect "usage with a bad month" 64 "YYYY-MM" "$BIN" admin --data-dir "$D" usage --month 2026-13
expect "usage of an unknown account" 2 "no account" "$BIN" admin --data-dir "$D" usage nobody@example.com

# feature flags: rollout, rules by plan and by account, and how one account gets each
expect "flag list shows the seeded flags" 0 "plan_page" "$BIN" admin --data-dir "$D" flag list
expect "flag set creates a flag" 0 "beta_x: 0% rollout" "$BIN" admin --data-dir "$D" flag set beta_x 0 "a test"
expect "flag set refuses 101 %" 64 "PERCENT(0..100)" "$BIN" admin --data-dir "$D" flag set beta_x 101
expect "flag set refuses a bad name" 64 "flag name" "$BIN" admin --data-dir "$D" flag set "Beta X" 5
expect "a plan rule" 0 "beta_x: plan gym on" "$BIN" admin --data-dir "$D" flag rule beta_x plan gym on
expect "ann (gym) gets it by plan" 0 "" "$BIN" admin --data-dir "$D" flag list ann@example.com
grep -qE '^beta_x +yes +plan$' "$TMP/out" || { echo "FAIL: ann's beta_x"; cat "$TMP/out"; FAILS=$((FAILS + 1)); }
expect "an account rule beats the plan's" 0 "" "$BIN" admin --data-dir "$D" flag rule beta_x user ann@example.com off
"$BIN" admin --data-dir "$D" flag list ann@example.com | grep -qE '^beta_x +no +user$'   || { echo "FAIL: ann's user rule"; FAILS=$((FAILS + 1)); }
"$BIN" admin --data-dir "$D" flag list bob@example.com | grep -qE '^beta_x +no +off$'   || { echo "FAIL: bob's beta_x"; FAILS=$((FAILS + 1)); }
expect "clearing the account rule" 0 "clear" "$BIN" admin --data-dir "$D" flag rule beta_x user ann@example.com clear
expect "a rule on an unknown flag" 2 "no flag 'nope'" "$BIN" admin --data-dir "$D" flag rule nope plan free on
expect "a rule with a bad scope" 64 "plan, org or user" "$BIN" admin --data-dir "$D" flag rule beta_x team x on
finish
