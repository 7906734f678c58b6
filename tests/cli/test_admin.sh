#!/usr/bin/env bash
# test_admin.sh - `repright admin` (partners, issue 13): organisations, console admins, invite
# codes and API keys over the configured store. The key is printed once and never stored (the
# database holds neither the key, its secret part nor its plain SHA-256); revocation shows in
# `key list`; bad scopes, unknown orgs and duplicate names answer with their exit codes.
# Exit codes: 64 bad usage, 2 unknown org/key/user or a name taken. Usage: test_admin.sh
# PATH/TO/repright. Exit 0 all passed, 1 a check failed.
set -u
BIN=${1:?usage: test_admin.sh PATH/TO/repright}
# shellcheck source=lib/common.bash
. "$(dirname "$0")/lib/common.bash"
export REPRIGHT_DATA_DIR="$TMP/data"
export REPRIGHT_LOG_LEVEL=warn

json() { python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print(eval(sys.argv[1]))' "$1"; }

expect "admin --help lists the verbs" 0 "key create" "$BIN" admin --help
expect "admin without a verb" 64 "usage" "$BIN" admin
expect "admin unknown verb" 64 "unknown command" "$BIN" admin org frobnicate
expect "org create" 0 '"name":"Iron Gym"' "$BIN" admin org create "Iron Gym"
ORG=$(json 'd["id"]' <"$TMP/out")
expect "org create: a name is unique whatever its case" 2 "name is taken" "$BIN" admin org create "IRON gym"
expect "org create with a --data-dir flag before the group" 0 '"name":"Elsewhere"' \
  "$BIN" admin --data-dir "$TMP/other" org create Elsewhere
expect "org list" 0 "$ORG" "$BIN" admin org list
grep -q Elsewhere "$TMP/out" && { echo "FAIL: org list shows another data dir's org"; FAILS=$((FAILS + 1)); }
expect "key create without scopes" 64 "--scopes" "$BIN" admin key create "$ORG"
expect "key create with an unknown scope" 64 'unknown scope "members:write"' \
  "$BIN" admin key create "$ORG" --scopes members:read,members:write
expect "key create for an unknown org" 2 "not found" \
  "$BIN" admin key create 00000000000000000000000000000000 --scopes members:read
expect "key create with expiry 0" 64 "usage" "$BIN" admin key create "$ORG" --scopes members:read --expires 0
expect "key create" 0 '"key":"rr_live_' "$BIN" admin key create "$ORG" \
  --scopes members:read,workouts:read,analytics:read,webhooks:write --expires 30 --name ci
KEY=$(json 'd["key"]' <"$TMP/out")
KID=$(json 'd["record"]["id"]' <"$TMP/out")
PREFIX=$(json 'd["record"]["prefix"]' <"$TMP/out")
CHECKS=$((CHECKS + 1))
if [[ "$KEY" =~ ^rr_live_[0-9a-f]{12}_[0-9a-f]{64}$ ]] && [ "${KEY:8:12}" = "$PREFIX" ]; then
  echo "ok: the key is rr_live_<12 hex prefix>_<64 hex secret> (256 random bits)"
else
  echo "FAIL: key format: $KEY"; FAILS=$((FAILS + 1))
fi
expect "key list shows the prefix, scopes, expiry and state" 0 "\"prefix\":\"$PREFIX\"" "$BIN" admin key list "$ORG"
for needle in '"webhooks:write"' '"state":"active"' '"last_used_at":null' '"expires_at":"20'; do
  CHECKS=$((CHECKS + 1))
  grep -qF "$needle" "$TMP/out" || { echo "FAIL: key list lacks $needle"; FAILS=$((FAILS + 1)); }
done
CHECKS=$((CHECKS + 1))
if grep -qF "${KEY:21}" "$TMP/out"; then echo "FAIL: key list prints the secret"; FAILS=$((FAILS + 1)); fi
# the database keeps only the peppered hash: not the key, not its secret, not its plain SHA-256
SHA=$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)
CHECKS=$((CHECKS + 1))
if cat "$TMP"/data/repright.db* | grep -aqF -e "${KEY:21}" -e "$SHA"; then
  echo "FAIL: the database holds the key or its plain hash"; FAILS=$((FAILS + 1))
else
  echo "ok: the database holds neither the key nor its plain SHA-256"
fi
expect "key revoke" 0 '"state":"revoked"' "$BIN" admin key revoke "$KID"
expect "key list after revoke" 0 '"state":"revoked"' "$BIN" admin key list "$ORG"
expect "key revoke of an unknown key" 2 "no such key" "$BIN" admin key revoke 0123456789abcdef0123456789abcdef
expect "org invite" 0 '"code":"rrinv_' "$BIN" admin org invite "$ORG" --days 3
expect "org invite --days 0" 64 "usage" "$BIN" admin org invite "$ORG" --days 0
expect "key list without ORG" 64 "usage: repright admin key list ORG" "$BIN" admin key list
expect "org create with two names" 64 "unexpected arguments" "$BIN" admin org create A B
expect "org add-admin of an unknown user" 2 "no such org or user" "$BIN" admin org add-admin "$ORG" nobody@example.com
finish
