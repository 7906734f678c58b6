#!/usr/bin/env bash
# bench_cluster.sh - the cluster (scripts/cluster.sh) under load: an authenticated read
# (GET /v1/workouts?limit=20) through nginx with 1 and 2 serve instances on each store (SQLite:
# both serves on one shared database file, as cluster.sh runs them; PostgreSQL: one database,
# a pool per serve), straight to one serve for nginx's share, then analysis job throughput with
# 1 and 2 workers.
#
# usage: bench/bench_cluster.sh [REPRIGHT_BIN]
#   BENCH_STORES the stores of the read (default "sqlite pg"; pg needs PostgreSQL installed, else
#   its rows say skipped), BENCH_RUNS wrk runs per row (default 1; each run is a row),
#   BENCH_DURATION wrk seconds (default 10), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
#   BENCH_WORKOUTS synced before the read (200), BENCH_JOBS analyses per worker count (6; 0 skips
#   the job part), REPRIGHT_CLUSTER_BACKENDS as for cluster.sh for the rest (redis, s3; pg is set
#   by BENCH_STORES; the job part runs on the first store).
# Each read row also shows the CPU time per request spent in the serves, nginx and PostgreSQL
# (from /proc: what the req/s of a shared machine hide) and the 1-min load average.
# Needs: nginx, wrk, curl, jq; the job part needs ../shared media and the lite model (skipped
# with a message otherwise). Prints one table; the clusters run in temp dirs removed at exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${1:-${REPRIGHT_BIN:-$ROOT/build/repright}}")
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
NWORKOUTS=${BENCH_WORKOUTS:-200}
NJOBS=${BENCH_JOBS:-6}
STORES=${BENCH_STORES:-sqlite pg}
RUNS=${BENCH_RUNS:-1}
SHARED=${RR_SHARED_DIR:-$ROOT/../shared}
CLIP=$SHARED/media/videos/squat_side_BAD_heels_k_i002.mp4
MODEL_DIR=${REPRIGHT_MODEL_DIR:-$HOME/.cache/repright/models}
CLUSTER=$ROOT/scripts/cluster.sh

for tool in nginx wrk curl jq; do
  command -v "$tool" >/dev/null || { echo "bench_cluster: $tool is not installed" >&2; exit 2; }
done
[ -x "$BIN" ] || { echo "bench_cluster: $BIN is not an executable repright binary" >&2; exit 2; }
for store in $STORES; do
  case $store in sqlite | pg) ;; *) echo "bench_cluster: unknown store '$store' in BENCH_STORES (sqlite, pg)" >&2; exit 2 ;; esac
done

# only the cluster's own settings apply
for v in $(env | sed -n 's/^\(REPRIGHT_[A-Z_]*\)=.*/\1/p'); do
  case $v in REPRIGHT_BIN | REPRIGHT_CLUSTER_BACKENDS | REPRIGHT_MODEL_DIR) ;; *) unset "$v" ;; esac
done
# the gym plan: the seeded workouts are dated March 2026, outside the free plan's 90 days of
# history, and the read must return a full page to measure reading it
export REPRIGHT_BIN=$BIN REPRIGHT_LOGIN_IP_LIMIT=1000000 REPRIGHT_REGISTER_LIMIT=1000000
export REPRIGHT_DEFAULT_PLAN=gym
# wrk's connections all come from 127.0.0.1 on the direct row (the default cap is 32 per address)
export REPRIGHT_MAX_PER_IP=$((CONNS * 2)) REPRIGHT_MAX_CONNECTIONS=$((CONNS * 4 + 256))
# the other engines of the caller's list; pg comes from BENCH_STORES
OTHER_BACKENDS=$(echo ",${REPRIGHT_CLUSTER_BACKENDS:-}," | sed 's/,pg,/,/g; s/^,*//; s/,*$//')
export REPRIGHT_MODEL=lite NO_PROXY='*' no_proxy='*'
TMP=$(mktemp -d "${TMPDIR:-/tmp}/repright-bench-cluster.XXXXXX")
chmod 755 "$TMP" # as root, nginx runs as nobody inside it
export REPRIGHT_CLUSTER_DIR=$TMP/cluster
trap '"$CLUSTER" down >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT

backends_of() { # STORE -> the REPRIGHT_CLUSTER_BACKENDS of a cluster on it
  case $1 in
    sqlite) echo "$OTHER_BACKENDS" ;;
    pg) echo "pg${OTHER_BACKENDS:+,$OTHER_BACKENDS}" ;;
  esac
}

up() { # STORE SERVES WORKERS; fails (1) when STORE is pg and PostgreSQL was skipped
  "$CLUSTER" down >/dev/null 2>&1 || true
  REPRIGHT_CLUSTER_BACKENDS=$(backends_of "$1") REPRIGHT_CLUSTER_SERVES=$2 \
    REPRIGHT_CLUSTER_WORKERS=$3 "$CLUSTER" up >"$TMP/up.log" 2>&1 ||
    { cat "$TMP/up.log" >&2; exit 1; }
  # shellcheck disable=SC1091
  . "$REPRIGHT_CLUSTER_DIR/cluster.env"
  if [ "$1" = pg ] && [[ $DATABASE_URL != postgres* ]]; then
    SKIPPED="PostgreSQL rows skipped: $(grep -m1 'SKIP postgres' "$TMP/up.log" || echo 'not started')"
    return 1
  fi
}

account() { # -> TOKEN
  local email="bench-$RANDOM$RANDOM@example.com" pass="correct horse battery staple"
  curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$pass\"}" "$URL/v1/auth/register" >/dev/null
  TOKEN=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$pass\"}" "$URL/v1/auth/login" | jq -r .access_token)
}

seed() {
  local i
  for i in $(seq 1 "$NWORKOUTS"); do
    printf '{"client_id":"seed%d","started_at":"2026-03-%02dT10:00:00Z","exercise":"squat","reps":[{"t_start":0,"t_end":1.5,"score":80,"verdict":"good","faults":[]}]}' \
      "$i" $((i % 28 + 1))
    echo
  done | while read -r body; do
    curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -d "$body" "$URL/v1/sync" >/dev/null
  done
  local n
  n=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/v1/workouts?limit=20" | jq '.items | length')
  [ "$n" = "$((NWORKOUTS < 20 ? NWORKOUTS : 20))" ] ||
    { echo "bench_cluster: the page has $n items after seeding $NWORKOUTS" >&2; exit 1; }
}

ROWS=()
SKIPPED=""
CLK_TCK=$(getconf CLK_TCK)
# ticks serve|nginx|pg: CPU ticks (user + system) of the live processes of that part of the
# running cluster: cluster.sh starts each component in a session of its own (setsid); each
# PostgreSQL backend makes its own session, so there it is the postmaster and its children
ticks() {
  local d=$REPRIGHT_CLUSTER_DIR ids=""
  case $1 in
    serve) ids=$(cat "$d"/pids/serve[0-9]* 2>/dev/null | tr '\n' ' ' || true) ;;
    nginx) ids=$(cat "$d/pids/nginx" 2>/dev/null || true) ;;
    pg) ids=$(head -n1 "$d/pg/data/postmaster.pid" 2>/dev/null || true) ;;
  esac
  [ -n "$ids" ] || { echo 0; return 0; }
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v ids=" $ids " -v part="$1" '{
    pid = $1; sub(/^.*\) /, "")
    if (part == "pg" ? index(ids, " " pid " ") || index(ids, " " $2 " ") : index(ids, " " $4 " "))
      s += $12 + $13
  } END { print s + 0 }'
}
us_per_req() { # TICKS REQUESTS
  awk -v t="$1" -v hz="$CLK_TCK" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "-" }'
}

read_bench() { # STORE LABEL URL
  local out rps p50 p99 errs sock load r nreq part
  local -A c0 c1
  echo "wrk.headers[\"Authorization\"] = \"Bearer $TOKEN\"" >"$TMP/auth.lua"
  for ((r = 0; r < RUNS; r++)); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    for part in serve nginx pg; do c0[$part]=$(ticks "$part"); done
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$TMP/auth.lua" \
      "$3/v1/workouts?limit=20")
    for part in serve nginx pg; do c1[$part]=$(ticks "$part"); done
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    errs=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
    sock=$(awk '/Socket errors:/ { s = 0; for (i = 3; i <= NF; i += 2) s += $(i + 1); print s }' \
      <<<"$out" | tr -d ',')
    nreq=$(awk '/ requests in / { print $1 }' <<<"$out")
    ROWS+=("$(printf '%-7s %-30s %9s %9s %9s %7s %8s %6s %6s %6s %6s' "$1" "$2" "$rps" "$p50" \
      "$p99" "${errs:-0}" "${sock:-0}" \
      "$(us_per_req $((c1[serve] - c0[serve])) "$nreq")" \
      "$(us_per_req $((c1[nginx] - c0[nginx])) "$nreq")" \
      "$(us_per_req $((c1[pg] - c0[pg])) "$nreq")" "$load")")
  done
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for store in $STORES; do
  for n in 1 2; do
    up "$store" "$n" 0 || break
    account
    seed
    read_bench "$store" "via nginx, $n serve" "$URL"
    if [ "$n" = 1 ]; then
      read_bench "$store" "direct to serve1 (no nginx)" "http://127.0.0.1:$SERVE1_PORT"
    fi
  done
done

JOBROWS=()
FIRST_STORE=${STORES%% *}
if [ "$NJOBS" = 0 ]; then
  JOBROWS+=("job throughput skipped: BENCH_JOBS=0")
elif [ -f "$CLIP" ] && [ -f "$MODEL_DIR/pose_landmark_lite.tflite" ]; then
  for w in 1 2; do
    up "$FIRST_STORE" 1 "$w" || { JOBROWS+=("job throughput skipped: $SKIPPED"); break; }
    account
    t0=$(date +%s.%N)
    jids=()
    for _ in $(seq 1 "$NJOBS"); do
      jids+=("$(curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: video/mp4' \
        --data-binary @"$CLIP" "$URL/v1/videos" | jq -r .job_id)")
    done
    dead=0
    for j in "${jids[@]}"; do
      for _ in $(seq 1 3000); do # 10 min at most
        st=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/v1/jobs/$j" | jq -r .state)
        if [ "$st" = "done" ] || [ "$st" = "dead" ]; then break; fi
        sleep 0.2
      done
      [ "$st" = "done" ] || dead=$((dead + 1))
    done
    t1=$(date +%s.%N)
    JOBROWS+=("$(awk -v n="$NJOBS" -v w="$w" -v a="$t0" -v b="$t1" \
      'BEGIN { printf "%d worker(s): %d analyses (%s, lite) in %.1f s = %.2f jobs/min", w, n, "836 KiB clip", b - a, n * 60 / (b - a) }')")
    [ "$dead" = 0 ] || JOBROWS[-1]+=" ($dead not done)"
  done
else
  JOBROWS+=("job throughput skipped: $CLIP or the lite model is absent")
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

echo "repright cluster bench: $(nproc) cores, nginx $(nginx -v 2>&1 | cut -d/ -f2)," \
  "wrk -t$THREADS -c$CONNS -d${DURATION}s, GET /v1/workouts?limit=20 with a Bearer token," \
  "$NWORKOUTS workouts (a page of 20), other engines: ${OTHER_BACKENDS:-none}"
printf '%-7s %-30s %9s %9s %9s %7s %8s %6s %6s %6s %6s\n' store read req/s p50 p99 non-2xx \
  sock-err serve nginx pg load1
for r in "${ROWS[@]+"${ROWS[@]}"}"; do echo "$r"; done
[ -z "$SKIPPED" ] || echo "$SKIPPED"
echo "serve / nginx / pg: CPU microseconds (user + system) per request of all serve processes," \
  "nginx (master + workers) and PostgreSQL (all backends) during the run; load1 at its start"
for r in "${JOBROWS[@]}"; do echo "$r"; done
echo "load average: $LOAD_START before, $LOAD_END after (a shared machine)"
