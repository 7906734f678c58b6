#!/usr/bin/env bash
# bench_report_latency.sh - how long a person waits for the report of an uploaded clip: a real
# `repright serve` (one worker, the default model), one account, the clip uploaded in one
# request (POST /v1/videos), then the time from the upload's answer until its analysis job is
# done (polled every 100 ms), as seconds and as a share of the clip's duration, and the CPU
# seconds the server spent meanwhile (the work itself, whatever else runs). Then, when
# BENCH_OVERLAY=1 (the default), the overlay video asked for on its own (POST
# /v1/videos/{id}/render) and timed the same way.
#
# usage: bench/bench_report_latency.sh [CLIP ...]
#   REPRIGHT_BIN   the binary (default ./build/repright)
#   BENCH_RUNS     uploads per clip (default 2; the table shows each and the best)
#   BENCH_OVERLAY  1: also time the overlay job (a binary without it prints "-")
# Default clip: the longest 720p clip of ../shared/media (plank_side_forearm_home_dark_followalong,
# 35 s) and a 30 s squat set. Needs curl, jq, ffprobe. Prints one table; no assertions. The
# issue's target: report <= 0.4 x the clip's duration on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${REPRIGHT_BIN:-./build/repright}
RUNS=${BENCH_RUNS:-2}
OVERLAY=${BENCH_OVERLAY:-1}
MEDIA=../shared/media/videos
if [ $# -gt 0 ]; then CLIPS=("$@"); else
    CLIPS=("$MEDIA/plank_side_forearm_home_dark_followalong_28s_rj.mp4"
           "$MEDIA/squat_front_bodyweight_dark_rj.mp4")
fi
for tool in curl jq ffprobe; do
    command -v "$tool" >/dev/null || { echo "bench_report_latency: $tool is not installed" >&2; exit 2; }
done
for c in "${CLIPS[@]}"; do
    [ -f "$c" ] || { echo "SKIP: $c is absent (../shared/media)"; exit 77; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/repright-latency.XXXXXX")
PID=""
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
        for _ in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
for v in $(env | sed -n 's/^\(REPRIGHT_[A-Z_]*\)=.*/\1/p'); do
    case "$v" in REPRIGHT_BIN|REPRIGHT_MODEL_DIR|REPRIGHT_MODEL) ;; *) unset "$v" ;; esac
done
REPRIGHT_WORKERS=1 "$BIN" serve --port 0 --data-dir "$TMP/data" >/dev/null 2>"$TMP/server.log" &
PID=$!
PORT=""
for _ in $(seq 1 300); do
    kill -0 "$PID" 2>/dev/null || { echo "server exited:" >&2; cat "$TMP/server.log" >&2; exit 1; }
    PORT=$(grep -h '"listening"' "$TMP/server.log" 2>/dev/null | head -n1 | jq -r '.port // empty' 2>/dev/null || true)
    [ -n "$PORT" ] && break
    sleep 0.1
done
URL="http://127.0.0.1:$PORT"
EMAIL="bench-$$@example.com"
curl -sf "$URL/v1/auth/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"a long bench passphrase\"}" >/dev/null
TOKEN=$(curl -sf "$URL/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"a long bench passphrase\"}" | jq -r .access_token)
AUTH="Authorization: Bearer $TOKEN"
# the overlay is a plan feature (docs/internals/plans.md): the bench account is on Pro
"$BIN" admin --data-dir "$TMP/data" plan set "$EMAIL" pro >/dev/null

now() { date +%s.%N; }
# CPU seconds the server and its finished children (the sandboxed decode and analysis) have
# used so far (user + system): the work itself, whatever else the machine runs at the same time
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15 + $16 + $17) / hz }' "/proc/$PID/stat"; }
# wait_job ID -> prints the seconds until it is done (or "dead")
wait_job() {
    local t0 state
    t0=$(now)
    while :; do
        state=$(curl -sf "$URL/v1/jobs/$1" -H "$AUTH" | jq -r .state)
        case "$state" in
            done) echo "$(now) - $t0" | bc -l; return 0 ;;
            dead) echo dead; return 0 ;;
        esac
        sleep 0.1
    done
}

printf '%-44s %6s %3s %9s %7s %6s %9s %7s %6s\n' clip dur_s run report_s x_clip cpu_s overlay_s x_clip cpu_s
for clip in "${CLIPS[@]}"; do
    dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$clip")
    for run in $(seq 1 "$RUNS"); do
        up=$(curl -sf "$URL/v1/videos" -H "$AUTH" -H 'Content-Type: video/mp4' --data-binary @"$clip")
        vid=$(echo "$up" | jq -r .video_id)
        jid=$(echo "$up" | jq -r .job_id)
        c0=$(cpu)
        rs=$(wait_job "$jid")
        rc=$(echo "$(cpu) - $c0" | bc -l)
        os="-"; ox="-"; oc="-"
        if [ "$OVERLAY" = 1 ]; then
            rj=$(curl -s -X POST "$URL/v1/videos/$vid/render" -H "$AUTH" | jq -r '.job_id // empty')
            if [ -n "$rj" ]; then
                c0=$(cpu)
                os=$(wait_job "$rj")
                oc=$(printf '%.1f' "$(echo "$(cpu) - $c0" | bc -l)")
                [ "$os" = dead ] || ox=$(printf '%.2f' "$(echo "$os / $dur" | bc -l)")
                [ "$os" = dead ] || os=$(printf '%.1f' "$os")
            fi
        fi
        rx="-"
        [ "$rs" = dead ] || { rx=$(printf '%.2f' "$(echo "$rs / $dur" | bc -l)"); rs=$(printf '%.1f' "$rs"); }
        printf '%-44.44s %6.1f %3d %9s %7s %6.1f %9s %7s %6s\n' "$(basename "$clip")" "$dur" "$run" \
            "$rs" "$rx" "$rc" "$os" "$ox" "$oc"
    done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: other work slows these runs)"
