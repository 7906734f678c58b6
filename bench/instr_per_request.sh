#!/usr/bin/env bash
# instr_per_request.sh - CPU instructions the server spends per authenticated
# GET /v1/workouts?limit=20, counted deterministically with valgrind's callgrind (perf's hardware
# counters are not available on every machine, and wrk's req/s is noisy on a shared one).
#
# usage: bench/instr_per_request.sh [REPRIGHT_BIN]
#   REPRIGHT_BIN  the binary (default ./build/repright; build RelWithDebInfo for real numbers)
#   INSTR_REQUESTS requests counted (default 2000), INSTR_WORKOUTS synced first (default 30),
#   INSTR_OUT directory that keeps callgrind.out (default: a temp dir, removed)
# Needs: valgrind (callgrind_control, callgrind_annotate), curl, jq.
# The server runs under callgrind with REPRIGHT_WORKERS=0; after setup (register, login, sync)
# and 20 warm-up requests the counters are zeroed, INSTR_REQUESTS requests are sent over ONE
# keep-alive connection (curl --config, like wrk's keep-alive), and the counters are dumped.
# Every thread of the server is counted (MHD's pool, the timer thread, logging), so the number
# is "server instructions per request". Prints the total, the per-request figure, and the
# per-request split by shared object (from callgrind_annotate).
set -euo pipefail

BIN=${1:-${REPRIGHT_BIN:-./build/repright}}
N=${INSTR_REQUESTS:-2000}
NWORKOUTS=${INSTR_WORKOUTS:-30}
for tool in valgrind callgrind_control callgrind_annotate curl jq; do
    command -v "$tool" >/dev/null || { echo "instr_per_request: $tool is not installed" >&2; exit 2; }
done
[ -x "$BIN" ] || { echo "instr_per_request: $BIN is not an executable" >&2; exit 2; }
case $N in '' | *[!0-9]*) echo "instr_per_request: INSTR_REQUESTS must be a number" >&2; exit 2 ;; esac
if [ "$N" -lt 1 ] || [ "$N" -gt 1000000 ]; then
    echo "instr_per_request: INSTR_REQUESTS must be 1..1000000" >&2
    exit 2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/repright-instr.XXXXXX")
OUT=${INSTR_OUT:-$TMP}
mkdir -p "$OUT"
PID=""
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
        for _ in $(seq 1 600); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

for v in $(env | sed -n 's/^\(REPRIGHT_[A-Z_]*\)=.*/\1/p'); do
    [ "$v" = REPRIGHT_BIN ] || unset "$v"
done
REPRIGHT_WORKERS=0 valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.%p" \
    --log-file="$TMP/valgrind.log" "$BIN" serve --port 0 --data-dir "$TMP/data" \
    >/dev/null 2>"$TMP/server.log" &
PID=$!

PORT=""
for _ in $(seq 1 1200); do
    kill -0 "$PID" 2>/dev/null || { echo "instr_per_request: server exited:" >&2; cat "$TMP/server.log" >&2; exit 1; }
    PORT=$(grep -h '"listening"' "$TMP/server.log" 2>/dev/null | head -n1 | jq -r '.port // empty' \
        2>/dev/null || true)
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || { echo "instr_per_request: no 'listening' log line" >&2; exit 1; }
URL="http://127.0.0.1:$PORT"
export NO_PROXY='*' no_proxy='*'

EMAIL="instr-$$@example.com"
PASS="correct horse battery staple"
curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASS\"}" "$URL/v1/auth/register" >/dev/null
TOKEN=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASS\"}" "$URL/v1/auth/login" | jq -r .access_token)
if [ -z "$TOKEN" ] || [ "$TOKEN" = null ]; then
    echo "instr_per_request: login failed" >&2
    exit 1
fi
for i in $(seq 1 "$NWORKOUTS"); do
    printf '{"client_id":"seed%d","started_at":"2026-03-%02dT10:00:00Z","exercise":"squat","reps":[%s,%s]}' \
        "$i" $(( i % 28 + 1 )) '{"t_start":0,"t_end":1.5,"score":80,"verdict":"good","faults":[]}' \
        '{"t_start":2,"t_end":3.5,"score":60,"verdict":"bad","faults":["knee_valgus"]}' >"$TMP/body.json"
    curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data-binary @"$TMP/body.json" "$URL/v1/sync" >/dev/null
done

# one curl, one keep-alive connection, N requests
cfg() { # $1 = count
    printf 'header = "Authorization: Bearer %s"\n' "$TOKEN"
    for _ in $(seq 1 "$1"); do
        printf 'url = "%s/v1/workouts?limit=20"\noutput = "/dev/null"\n' "$URL"
    done
}
cfg 20 >"$TMP/warm.cfg"
cfg "$N" >"$TMP/run.cfg"
curl -fsS --config "$TMP/warm.cfg"
callgrind_control -z "$PID" >/dev/null 2>&1
codes=$(curl -sS -w '%{http_code}\n' --config "$TMP/run.cfg" | sort | uniq -c | tr -s ' ')
callgrind_control -d "$PID" >/dev/null 2>&1
sleep 1
DUMP="$OUT/callgrind.out.$PID.1" # valgrind runs in the process it was started as
[ -s "$DUMP" ] || { echo "instr_per_request: no callgrind dump $DUMP" >&2; exit 1; }
TOTAL=$(awk '/^summary:/ { print $2 }' "$DUMP")
echo "instr_per_request: $BIN, $N x GET /v1/workouts?limit=20 (status counts:$codes)"
echo "total instructions: $TOTAL; per request: $(awk -v t="$TOTAL" -v n="$N" 'BEGIN { printf "%.0f", t / n }')"
echo "per request by shared object (self cost):"
# callgrind's format: "ob=(id) name" defines a compressed name, "ob=(id)" reuses it; the cost
# line after "calls=" is the callee's inclusive cost (skipped: self cost only).
awk -v n="$N" '
    function obname(s,   id) {
        if (match(s, /^\([0-9]+\)/)) {
            id = substr(s, 2, RLENGTH - 2)
            if (length(s) > RLENGTH) names[id] = substr(s, RLENGTH + 2)
            return names[id]
        }
        return s
    }
    function fnname(s,   id) {
        if (match(s, /^\([0-9]+\)/)) {
            id = substr(s, 2, RLENGTH - 2)
            if (length(s) > RLENGTH) fnames[id] = substr(s, RLENGTH + 2)
            return fnames[id]
        }
        return s
    }
    /^ob=/  { ob = obname(substr($0, 4)); next }
    /^cob=/ { obname(substr($0, 5)); next }
    /^fn=/  { fn = fnname(substr($0, 4)); next }
    /^cfn=/ { fnname(substr($0, 5)); next }
    /^calls=/ { skip = 1; next }
    /^[0-9+*-]/ { if (skip) { skip = 0; next } if (NF >= 2) { by[ob] += $2; byfn[fn] += $2 } next }
    END {
        for (o in by) { b = o; sub(/^.*\//, "", b); printf "O %9.0f  %s\n", by[o] / n, b }
        for (f in byfn) printf "F %9.0f  %s\n", byfn[f] / n, f
    }
' "$DUMP" >"$TMP/split.txt"
grep '^O' "$TMP/split.txt" | cut -c3- | sort -nr | head -n 8
echo "top functions (self cost per request; rep-string instructions count once per iteration):"
grep '^F' "$TMP/split.txt" | cut -c3- | sort -nr | head -n 12
if [ -n "${INSTR_OUT:-}" ]; then echo "callgrind dump kept: $DUMP"; fi
