#!/usr/bin/env bash
# bench_server.sh - HTTP throughput, latency and memory of `repright serve`: wrk against
# GET /healthz, an authenticated GET /v1/workouts?limit=20 and a write (POST /v1/sync with
# unique client ids), then one 1 GiB streamed POST /v1/videos (MB/s and server RSS growth).
#
# usage: bench/bench_server.sh [REPRIGHT_BIN]
#   REPRIGHT_BIN  the binary (default: ./build/repright); also read from $REPRIGHT_BIN
#   BENCH_DURATION wrk seconds per endpoint (default 10), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
#   BENCH_UPLOAD_MB size of the upload (default 1024), BENCH_WORKOUTS synced before the read (200),
#   BENCH_HTTP_THREADS the server's HTTP threads (default: the server's default),
#   BENCH_ROUTES the wrk runs, in order (default "healthz list summary sync"),
#   BENCH_UPLOAD_MB=0 skips the upload
#   BENCH_STORE=postgres runs the server on PostgreSQL: BENCH_DATABASE_URL when set, else a
#   PostgreSQL 15 started here in the temp dir with its durable defaults (fsync on,
#   synchronous_commit on; as the postgres user when run as root), stopped at the end
#   BENCH_REDIS=1 runs the server with REPRIGHT_QUEUE_URL=redis://... on a redis-server started
#   here (loopback, random port, no persistence), stopped at the end; BENCH_CACHE_TTL_S sets
#   REPRIGHT_CACHE_TTL_S (default: the server's, 60; 0 = Redis without the read cache)
# The load average before and after the wrk runs is printed with the table (a shared machine),
# and per request the server's CPU time (user + system, microseconds) and context switches.
# For a deterministic cost of the list route see bench/instr_per_request.sh (callgrind).
# Needs: wrk, curl, jq. The server runs with REPRIGHT_WORKERS=0 (no analysis), on a temp data dir
# removed at the end; it is stopped with SIGTERM. Prints one table; exits non-zero only when the
# server cannot be started or set up, or when the upload grows server RSS by more than 16 MiB.
set -euo pipefail

BIN=${1:-${REPRIGHT_BIN:-./build/repright}}
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
UPLOAD_MB=${BENCH_UPLOAD_MB:-1024}
NWORKOUTS=${BENCH_WORKOUTS:-200}
HTTP_THREADS=${BENCH_HTTP_THREADS:-}
ROUTES=${BENCH_ROUTES:-healthz list summary sync}
RSS_GROWTH_MAX_KB=$((16 * 1024))

for tool in wrk curl jq; do
    command -v "$tool" >/dev/null || { echo "bench_server: $tool is not installed" >&2; exit 2; }
done
[ -x "$BIN" ] || { echo "bench_server: $BIN is not an executable repright binary" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/repright-bench.XXXXXX")
PID=""
PG_DATA=""
REDIS_PID=""
PG_AS=()
[ "$(id -u)" = 0 ] && PG_AS=(runuser -u postgres --)
cleanup() {
    if [ -n "$PG_DATA" ]; then
        "${PG_AS[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$PG_DATA" -w -m fast stop >/dev/null 2>&1 || true
    fi
    if [ -n "$REDIS_PID" ]; then
        kill -TERM "$REDIS_PID" 2>/dev/null || true
        wait "$REDIS_PID" 2>/dev/null || true
    fi
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
        for _ in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

# ---- start the server -------------------------------------------------------------------------
# Only the REPRIGHT_* settings below apply (the caller's environment could change the result).
for v in $(env | sed -n 's/^\(REPRIGHT_[A-Z_]*\)=.*/\1/p'); do
    [ "$v" = REPRIGHT_BIN ] || unset "$v"
done
[ -n "$HTTP_THREADS" ] && export REPRIGHT_HTTP_THREADS=$HTTP_THREADS
STORE=${BENCH_STORE:-sqlite}
if [ "$STORE" = postgres ]; then
    if [ -n "${BENCH_DATABASE_URL:-}" ]; then
        export REPRIGHT_DATABASE_URL=$BENCH_DATABASE_URL
    else
        PGB=/usr/lib/postgresql/15/bin
        [ -x "$PGB/initdb" ] || { echo "bench_server: PostgreSQL 15 is not installed" >&2; exit 2; }
        mkdir -p "$TMP/pg"
        [ "$(id -u)" = 0 ] && chown postgres: "$TMP/pg" && chmod 755 "$TMP"
        PG_DATA=$TMP/pg/data
        "${PG_AS[@]}" "$PGB/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 --locale=C >/dev/null
        PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        "${PG_AS[@]}" "$PGB/pg_ctl" -D "$PG_DATA" -w -l "$TMP/pg/log" \
            -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $TMP/pg" start >/dev/null
        export REPRIGHT_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    fi
fi
QUEUE=db
if [ "${BENCH_REDIS:-0}" = 1 ]; then
    command -v redis-server >/dev/null || { echo "bench_server: redis-server is not installed" >&2; exit 2; }
    R_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mkdir -p "$TMP/redis"
    redis-server --port "$R_PORT" --bind 127.0.0.1 --dir "$TMP/redis" --save '' --appendonly no \
        >"$TMP/redis/log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 1 100); do
        redis-cli -p "$R_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    export REPRIGHT_QUEUE_URL="redis://127.0.0.1:$R_PORT/0"
    QUEUE=redis
    [ -n "${BENCH_CACHE_TTL_S:-}" ] && export REPRIGHT_CACHE_TTL_S=$BENCH_CACHE_TTL_S
fi
# the gym plan: the synced workouts are dated March 2026, outside the free plan's 90 days of
# history, and the list must show them to measure reading them
REPRIGHT_DEFAULT_PLAN=gym \
REPRIGHT_WORKERS=0 \
REPRIGHT_UPLOAD_LIMIT=$(( (UPLOAD_MB + 64) * 1024 * 1024 )) \
REPRIGHT_MAX_PER_IP=$((CONNS * 2)) \
REPRIGHT_MAX_CONNECTIONS=$((CONNS * 4)) \
    "$BIN" serve --port 0 --data-dir "$TMP/data" >/dev/null 2>"$TMP/server.log" &
PID=$!

PORT=""
for _ in $(seq 1 300); do
    kill -0 "$PID" 2>/dev/null || { echo "bench_server: server exited:" >&2; cat "$TMP/server.log" >&2; exit 1; }
    PORT=$(grep -h '"listening"' "$TMP/server.log" 2>/dev/null | head -n1 | jq -r '.port // empty' \
        2>/dev/null || true)
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || { echo "bench_server: no 'listening' log line" >&2; cat "$TMP/server.log" >&2; exit 1; }
URL="http://127.0.0.1:$PORT"
export NO_PROXY='*' no_proxy='*'

for _ in $(seq 1 100); do
    curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done

# ---- account and data -------------------------------------------------------------------------
EMAIL="bench-$$-$RANDOM@example.com"
PASS="correct horse battery staple"
curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASS\"}" "$URL/v1/auth/register" >/dev/null
TOKEN=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASS\"}" "$URL/v1/auth/login" | jq -r .access_token)
[ -n "$TOKEN" ] && [ "$TOKEN" != null ] || { echo "bench_server: login failed" >&2; exit 1; }

sync_body() { # $1 = client id, $2 = day of month
    printf '{"client_id":"%s","started_at":"2026-03-%02dT10:00:00Z","exercise":"squat","reps":[' "$1" "$2"
    printf '{"t_start":0,"t_end":1.5,"score":80,"verdict":"good","faults":[]},'
    printf '{"t_start":2,"t_end":3.5,"score":60,"verdict":"bad","faults":["knee_valgus"]}]}'
}
for i in $(seq 1 "$NWORKOUTS"); do
    sync_body "seed$i" $(( i % 28 + 1 )) >"$TMP/body.json"
    curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data-binary @"$TMP/body.json" "$URL/v1/sync" >/dev/null
done
NLIST=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/v1/workouts?limit=20" | jq '.items | length')

# ---- wrk scripts ------------------------------------------------------------------------------
cat >"$TMP/auth.lua" <<EOF
wrk.headers["Authorization"] = "Bearer $TOKEN"
EOF
cat >"$TMP/sync.lua" <<EOF
-- unique client ids: one Lua state per wrk thread, each with its own id prefix and counter
local next_id = 1
local counter = 0
local prefix = "t0"
function setup(thread)
    thread:set("tid", next_id)
    next_id = next_id + 1
end
function init(args)
    prefix = "t" .. tostring(tid) .. "x" .. tostring(os.time())
end
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
function request()
    counter = counter + 1
    local body = '{"client_id":"' .. prefix .. "n" .. counter ..
        '","started_at":"2026-04-01T10:00:00Z","exercise":"squat","reps":[' ..
        '{"t_start":0,"t_end":1.5,"score":80,"verdict":"good","faults":[]}]}'
    return wrk.format(nil, nil, nil, body)
end
EOF

# ---- memory -----------------------------------------------------------------------------------
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"; }
reset_peak() { echo 5 >"/proc/$PID/clear_refs" 2>/dev/null || true; } # VmHWM := VmRSS
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }

RSS_REST=$(status_kb VmRSS)

# ---- wrk runs ---------------------------------------------------------------------------------
ROWS=()
NOTES=()
# the server's CPU (user + system, all threads) and context switches (all threads): per request
# they show what the req/s of a shared machine hide (what each request costs the server)
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
ctx_switches() { cat "/proc/$PID"/task/*/status 2>/dev/null | awk '/ctxt_switches:/ { s += $2 } END { print s + 0 }'; }
run_wrk() { # $1 = label, $2 = path, $3 = lua script or ""
    local label=$1 path=$2 script=$3 out rps p50 p99 non2xx sockerr peak nreq cpu0 csw0 cpu csw
    local args=(-t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency)
    [ -n "$script" ] && args+=(-s "$script")
    reset_peak
    cpu0=$(cpu_ticks)
    csw0=$(ctx_switches)
    out=$(wrk "${args[@]}" "$URL$path")
    cpu=$(( $(cpu_ticks) - cpu0 ))
    csw=$(( $(ctx_switches) - csw0 ))
    peak=$(status_kb VmHWM)
    echo "$out" >"$TMP/wrk-${label//[^A-Za-z0-9]/_}.txt"
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
    sockerr=$(awk '/Socket errors:/ { s = 0; for (i = 3; i <= NF; i += 2) s += $(i + 1); print s }' \
        <<<"$out" | tr -d ',')
    nreq=$(awk '/ requests in / { print $1 }' <<<"$out")
    grep -q 'Socket errors:' <<<"$out" && NOTES+=("$label: $(grep 'Socket errors:' <<<"$out" | sed 's/^ *//')")
    ROWS+=("$(printf '%-32s %10s %9s %9s %8s %8s %10s %8s %7s' "$label" "$rps" "$p50" "$p99" \
        "${non2xx:-0}" "${sockerr:-0}" "$(mb "$peak")" \
        "$(awk -v t="$cpu" -v hz="$CLK_TCK" -v n="${nreq:-0}" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')" \
        "$(awk -v c="$csw" -v n="${nreq:-0}" 'BEGIN { printf "%.2f", n ? c / n : 0 }')")")
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START=$(loadavg)
for route in $ROUTES; do
    case $route in
        healthz) run_wrk "GET /healthz" "/healthz" "" ;;
        list) run_wrk "GET /v1/workouts?limit=20" "/v1/workouts?limit=20" "$TMP/auth.lua" ;;
        summary) run_wrk "GET /v1/analytics/summary" "/v1/analytics/summary" "$TMP/auth.lua" ;;
        sync) run_wrk "POST /v1/sync (new workout)" "/v1/sync" "$TMP/sync.lua" ;;
        *) echo "bench_server: unknown route '$route' in BENCH_ROUTES (healthz list summary sync)" >&2
           exit 2 ;;
    esac
done
RSS_AFTER_WRK=$(status_kb VmRSS)
LOAD_END=$(loadavg)

# ---- 1 GiB upload -----------------------------------------------------------------------------
upload() {
    # A sparse file: curl streams it with a Content-Length, the client reads zeros without disk I/O.
    truncate -s "${UPLOAD_MB}M" "$TMP/upload.bin"
    RSS_BEFORE_UP=$(status_kb VmRSS)
    reset_peak
    UP_OUT=$(curl -sS -o "$TMP/upload.json" -w '%{http_code} %{time_total} %{size_upload}' \
        -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: video/mp4' \
        -T "$TMP/upload.bin" "$URL/v1/videos")
    PEAK_UP=$(status_kb VmHWM)
    rm -f "$TMP/upload.bin"
    read -r UP_CODE UP_TIME UP_SIZE <<<"$UP_OUT"
    UP_MBS=$(awk -v b="$UP_SIZE" -v t="$UP_TIME" 'BEGIN { printf "%.0f", (t > 0) ? b / 1048576 / t : 0 }')
    UP_GROWTH=$((PEAK_UP - RSS_BEFORE_UP))
}
UP_CODE=skipped
[ "$UPLOAD_MB" = 0 ] || upload

# ---- report -----------------------------------------------------------------------------------
echo "repright serve bench: $BIN, $(nproc) cores, wrk -t$THREADS -c$CONNS -d${DURATION}s," \
    "$NWORKOUTS workouts synced (list page: $NLIST items), REPRIGHT_WORKERS=0, store $STORE, queue $QUEUE${REPRIGHT_CACHE_TTL_S:+ REPRIGHT_CACHE_TTL_S=$REPRIGHT_CACHE_TTL_S}" \
    "${HTTP_THREADS:+REPRIGHT_HTTP_THREADS=$HTTP_THREADS}"
printf '%-32s %10s %9s %9s %8s %8s %10s %8s %7s\n' endpoint req/s p50 p99 non-2xx sock-err "peak MiB" \
    "cpu us/r" "csw/r"
for row in "${ROWS[@]}"; do echo "$row"; done
for note in "${NOTES[@]+"${NOTES[@]}"}"; do echo "  $note"; done
echo "load average (1/5/15 min): $LOAD_START before the wrk runs, $LOAD_END after" \
    "(the machine is shared: req/s scale with what else runs)"
echo
echo "server RSS: at rest $(mb "$RSS_REST") MiB, after the wrk runs $(mb "$RSS_AFTER_WRK") MiB"
STATUS=0
if [ "$UP_CODE" = skipped ]; then
    echo "upload skipped (BENCH_UPLOAD_MB=0)"
else
    echo "upload ${UPLOAD_MB} MiB POST /v1/videos: HTTP $UP_CODE, ${UP_TIME}s, $UP_MBS MiB/s," \
        "server RSS $(mb "$RSS_BEFORE_UP") -> peak $(mb "$PEAK_UP") MiB (growth $(mb "$UP_GROWTH") MiB," \
        "limit 16)"
fi
if [ "$UP_CODE" != 201 ] && [ "$UP_CODE" != skipped ]; then
    echo "bench_server: upload answered HTTP $UP_CODE: $(head -c 300 "$TMP/upload.json")" >&2
    STATUS=1
fi
if [ "$UP_CODE" != skipped ] && [ "$UP_GROWTH" -gt "$RSS_GROWTH_MAX_KB" ]; then
    echo "bench_server: the upload grew server RSS by more than 16 MiB" >&2
    STATUS=1
fi

# ---- stop -------------------------------------------------------------------------------------
kill -TERM "$PID"
for _ in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID" 2>/dev/null; then
    echo "bench_server: server still running 30 s after SIGTERM" >&2
    STATUS=1
else
    wait "$PID" || { echo "bench_server: server exited with status $? at SIGTERM" >&2; STATUS=1; }
fi
PID=""
exit $STATUS
