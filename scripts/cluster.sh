#!/usr/bin/env bash
# cluster.sh - RepRight's production topology as processes on loopback, without Docker:
# nginx -> `repright serve` x N -> store / blob store / queue, plus `repright worker` x M.
# The same shape as deploy/docker-compose.yml; nginx runs deploy/nginx/repright-proxy.conf.
#
#   scripts/cluster.sh up       start everything (idempotent: a running cluster is left alone)
#   scripts/cluster.sh down     stop everything it started (idempotent), remove the state dir
#   scripts/cluster.sh status   what runs, where; exit 1 when something is down
#   scripts/cluster.sh test     the cluster tests (tests/cluster/; each runs its own cluster)
#   scripts/cluster.sh env      print the state (URL=..., one per line; sourceable)
#   scripts/cluster.sh kill NAME / start NAME   (chaos) kill -9 a component / start it again
#
# Environment:
#   REPRIGHT_CLUSTER_DIR       state dir (default ${TMPDIR:-/tmp}/repright-cluster-$UID): data,
#                              logs (*.log), pids, nginx config, engine data
#   REPRIGHT_CLUSTER_BACKENDS  comma list of pg, redis, s3 (default empty: SQLite on one shared
#                              file, blobs in one local directory, the queue in the store).
#                              An engine that is not installed is skipped with a message.
#   REPRIGHT_CLUSTER_SERVES    serve instances (default 2); REPRIGHT_CLUSTER_WORKERS (default 2)
#   REPRIGHT_BIN               the binary (default build/repright)
#   other REPRIGHT_* variables pass through to serve and worker (e.g. REPRIGHT_JOB_LEASE_S).
# Every port is a free one picked at start. Runs as any user; as root, nginx runs as nobody
# and PostgreSQL as postgres (runuser), each on files inside the state dir only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${REPRIGHT_CLUSTER_DIR:-${TMPDIR:-/tmp}/repright-cluster-$(id -u)}
BIN=${REPRIGHT_BIN:-$ROOT/build/repright}
SERVES=${REPRIGHT_CLUSTER_SERVES:-2}
WORKERS=${REPRIGHT_CLUSTER_WORKERS:-2}
BACKENDS=",${REPRIGHT_CLUSTER_BACKENDS:-},"
STATE="$DIR/cluster.env"
START_TIMEOUT_S=${REPRIGHT_CLUSTER_START_TIMEOUT_S:-30}

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }
want() { [[ $BACKENDS == *",$1,"* ]]; }

free_port() {
  /usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pid_of() { if [ -f "$DIR/pids/$1" ]; then cat "$DIR/pids/$1"; fi; }
alive() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# run NAME CMD... : start CMD in the background in its own session, output to NAME.log.
run() {
  local name=$1
  shift
  setsid "$@" >>"$DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/pids/$name"
}

wait_http() { # URL NAME : until it answers 200; fails when NAME's process exits or after
  local url=$1 what=$2 i # START_TIMEOUT_S
  for ((i = 0; i < START_TIMEOUT_S * 10; i++)); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" = 200 ]; then
      return 0
    fi
    alive "$what" || die "$what exited at start (see $DIR/$what.log)"
    sleep 0.1
  done
  die "$what did not answer 200 at $url within ${START_TIMEOUT_S}s (logs in $DIR)"
}

setvar() { printf '%s=%q\n' "$1" "$2" >>"$STATE"; } # quoted: URLs hold '&' and '?'
getvar() { # NAME: its value in the state file
  # shellcheck disable=SC1090
  (. "$STATE" && eval "printf '%s' \"\${$1:-}\"")
}

# ---- engines (each optional) ------------------------------------------------------------------

pg_bin() { # a directory with initdb, pg_ctl and createdb (Debian keeps them out of PATH)
  local b d
  b=$(command -v initdb 2>/dev/null || true)
  for d in /usr/lib/postgresql/*/bin ${b:+"$(dirname "$b")"}; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/createdb" ]; then
      echo "$d"
      return
    fi
  done
}

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_pg() {
  local bin port
  bin=$(pg_bin)
  [ -n "$bin" ] || { log "SKIP postgres: initdb not found (Debian: postgresql)"; return 3; }
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    log "SKIP postgres: running as root and there is no postgres user"; return 3
  fi
  port=$(free_port)
  mkdir -p "$DIR/pg"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$DIR/pg"; chmod o+x "$DIR"; fi
  as_pg "$bin/initdb" -D "$DIR/pg/data" -U repright --auth=trust -E UTF8 >>"$DIR/pg.log" 2>&1 ||
    die "initdb failed (see $DIR/pg.log)"
  setvar PG_BIN "$bin"
  setvar PG_PORT "$port"
  pg_start_again
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U repright repright >>"$DIR/pg.log" 2>&1 ||
    die "createdb failed (see $DIR/pg.log)"
  echo "postgres://repright@127.0.0.1:$port/repright?connect_timeout=5"
}

pg_start_again() { # (re)start the instance of the state file
  # shellcheck disable=SC1090
  . "$STATE"
  as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t "$START_TIMEOUT_S" \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $DIR/pg -c fsync=on" start >/dev/null ||
    die "postgres did not start (see $DIR/pg/server.log)"
}

start_redis() {
  command -v redis-server >/dev/null || { log "SKIP redis: redis-server not found (Debian: redis-server)"; return 3; }
  local port
  port=$(free_port)
  setvar REDIS_PORT "$port"
  redis_start_again
  echo "redis://127.0.0.1:$port/0"
}

redis_start_again() {
  # shellcheck disable=SC1090
  . "$STATE"
  mkdir -p "$DIR/redis"
  # appendonly: a restart after kill -9 keeps what was fsync'd (everysec); the database stays
  # the record of which jobs exist either way
  run redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$DIR/redis" \
    --appendonly yes --save "" --protected-mode yes
  local i
  for ((i = 0; i < START_TIMEOUT_S * 10; i++)); do
    redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  die "redis did not answer (see $DIR/redis.log)"
}

start_s3() {
  # tests/support/s3_server.mjs (lands with the S3 backend): s3rver behind a SigV4 check of
  # its own, one bucket, a free port; it exits when its stdin closes, so a `tail` holds it open
  local mjs="$ROOT/tests/support/s3_server.mjs" nm=${RR_NODE_MODULES:-$ROOT/web/node_modules}
  local node i port key secret
  node=$(command -v node || command -v nodejs || true)
  [ -n "$node" ] || { log "SKIP s3: node is not installed"; return 3; }
  if [ ! -f "$mjs" ] || [ ! -f "$nm/s3rver/package.json" ]; then
    log "SKIP s3: $mjs or web/node_modules/s3rver is absent (scripts/setup.sh)"; return 3
  fi
  key="AK$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
  secret=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  mkdir -p "$DIR/s3"
  setvar S3_ACCESS_KEY_ID "$key"
  setvar S3_SECRET_ACCESS_KEY "$secret"
  # shellcheck disable=SC2016 # "$0" "$@" belong to the inner bash
  run s3 env S3_TEST_ACCESS_KEY="$key" S3_TEST_SECRET_KEY="$secret" RR_NODE_MODULES="$nm" \
    bash -c 'tail -f /dev/null | exec "$0" "$@"' "$node" "$mjs" "$DIR/s3" repright
  for ((i = 0; i < START_TIMEOUT_S * 10; i++)); do
    port=$(sed -n 's/^READY \([0-9]*\)$/\1/p' "$DIR/s3.log" | head -n1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || die "the S3 server did not start (see $DIR/s3.log)"
  setvar S3_PORT "$port"
  echo "s3://repright?endpoint=http://127.0.0.1:$port&region=us-east-1"
}

# engine NAME START_FN DEFAULT_URL: the engine's URL when selected and started, DEFAULT_URL when
# not selected or skipped (exit 3 of START_FN); any other failure stops `up`.
engine() {
  local url rc=0
  if ! want "$1"; then echo "$3"; return 0; fi
  url=$("$2") || rc=$?
  case $rc in
    0) echo "$url" ;;
    3) echo "$3" ;;
    *) exit 1 ;;
  esac
}

# ---- nginx ------------------------------------------------------------------------------------

write_nginx_conf() {
  local port=$1 conf="$DIR/nginx/nginx.conf" p
  mkdir -p "$DIR/nginx/logs" "$DIR/nginx/tmp"
  cp "$ROOT/deploy/nginx/repright-proxy.conf" "$DIR/nginx/"
  {
    echo "# generated by scripts/cluster.sh: the http block of deploy/nginx/nginx.conf on loopback"
    echo "worker_processes 2;"
    echo "pid $DIR/nginx/nginx.pid;"
    echo "error_log $DIR/nginx/logs/error.log warn;"
    echo "daemon off;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "    log_format rr '\$remote_addr [\$time_local] \"\$request\" \$status \$body_bytes_sent '"
    echo "                  '\$request_time rid=\$upstream_http_x_request_id up=\$upstream_addr';"
    echo "    access_log $DIR/nginx/logs/access.log rr buffer=32k flush=1s;"
    for p in client_body proxy fastcgi uwsgi scgi; do
      echo "    ${p}_temp_path $DIR/nginx/tmp/$p;"
    done
    echo "    sendfile on; tcp_nodelay on;"
    echo "    # to the serves from 127.0.0.2, the only trusted proxy: clients on 127.0.0.1 are not"
    echo "    proxy_bind 127.0.0.2;"
    echo "    upstream repright {"
    echo "        zone repright 64k;"
    for ((i = 1; i <= SERVES; i++)); do
      p=$(getvar "SERVE${i}_PORT")
      echo "        server 127.0.0.1:$p max_fails=2 fail_timeout=5s;"
    done
    echo "        keepalive 64;"
    echo "    }"
    echo "    server {"
    echo "        listen 127.0.0.1:$port;"
    echo "        include $DIR/nginx/repright-proxy.conf;"
    echo "    }"
    echo "}"
  } >"$conf"
}

start_nginx() {
  # shellcheck disable=SC1090
  . "$STATE"
  local conf="$DIR/nginx/nginx.conf"
  if [ "$(id -u)" -eq 0 ]; then # never a root master: nobody owns its files
    chown -R nobody "$DIR/nginx"
    chmod o+x "$DIR"
    # setpriv execs (runuser would fork, and its pid would not be nginx's)
    setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$conf" ||
      die "user nobody cannot read $conf: make the state dir's parents searchable (chmod o+x)"
    run nginx setpriv --reuid=nobody --regid=nogroup --clear-groups nginx -p "$DIR/nginx" -c "$conf" -e "$DIR/nginx/logs/error.log"
  else
    run nginx nginx -p "$DIR/nginx" -c "$conf" -e "$DIR/nginx/logs/error.log"
  fi
  wait_http "http://127.0.0.1:$NGINX_PORT/healthz" nginx
}

# ---- repright ---------------------------------------------------------------------------------

rr_env() { # the environment of serve and worker: the caller's REPRIGHT_* plus the cluster's
  # shellcheck disable=SC1090
  . "$STATE"
  export REPRIGHT_DATA_DIR="$DIR/data" REPRIGHT_DATABASE_URL="$DATABASE_URL" \
    REPRIGHT_BLOB_URL="$BLOB_URL" REPRIGHT_QUEUE_URL="$QUEUE_URL" \
    REPRIGHT_TRUSTED_PROXIES=127.0.0.2/32 # nginx's proxy_bind
  if [ -n "${S3_ACCESS_KEY_ID:-}" ]; then
    export REPRIGHT_S3_ACCESS_KEY_ID="$S3_ACCESS_KEY_ID" \
      REPRIGHT_S3_SECRET_ACCESS_KEY="$S3_SECRET_ACCESS_KEY"
  fi
}

start_serve() { # N
  local p
  p=$(getvar "SERVE$1_PORT")
  (rr_env && run "serve$1" "$BIN" serve --port "$p" --workers 0)
  wait_http "http://127.0.0.1:$p/healthz" "serve$1"
}

start_worker() { # N
  (rr_env && run "worker$1" "$BIN" worker --workers "${REPRIGHT_CLUSTER_WORKER_THREADS:-1}")
}

# ---- commands ---------------------------------------------------------------------------------

names() { # every component of the state dir, in start order
  local n
  for n in pg redis s3 serve1 serve2 serve3 serve4 worker1 worker2 worker3 worker4 nginx; do
    [ -f "$DIR/pids/$n" ] && echo "$n"
  done
  [ -f "$STATE" ] && grep -q '^PG_PORT=' "$STATE" && ! [ -f "$DIR/pids/pg" ] && echo pg
  return 0
}

cmd_up() {
  [ -x "$BIN" ] || die "no binary at $BIN (build it, or set REPRIGHT_BIN)"
  command -v nginx >/dev/null || die "nginx is not installed (Debian: nginx)"
  if [ -f "$STATE" ]; then
    if cmd_status >/dev/null 2>&1; then
      log "already up ($DIR)"
      cmd_status
      return 0
    fi
    log "a previous cluster in $DIR is partly down: restarting it"
    cmd_down
  fi
  # a fresh start: what an earlier failed `up` left (its logs included) goes
  rm -rf "$DIR/pids" "$DIR/data" "$DIR/pg" "$DIR/redis" "$DIR/s3" "$DIR/nginx" "$DIR"/*.log
  mkdir -p "$DIR/pids" "$DIR/data"
  : >"$STATE"
  # on failure stop what started, keep the logs (the state file goes: `up` starts afresh)
  trap 'rc=$?; if [ $rc -ne 0 ]; then REPRIGHT_CLUSTER_KEEP=1 cmd_down; fi; exit $rc' EXIT
  setvar DIR "$DIR"
  setvar BIN "$BIN" # `start NAME` later runs the same binary
  local db="sqlite:$DIR/data/repright.db" blob="file:$DIR/data/blobs" queue=db
  db=$(engine pg start_pg "$db")
  queue=$(engine redis start_redis "$queue")
  blob=$(engine s3 start_s3 "$blob")
  setvar DATABASE_URL "$db"
  setvar BLOB_URL "$blob"
  setvar QUEUE_URL "$queue"
  (rr_env && "$BIN" migrate >>"$DIR/migrate.log" 2>&1) || die "migrate failed (see $DIR/migrate.log)"
  for ((i = 1; i <= SERVES; i++)); do setvar "SERVE${i}_PORT" "$(free_port)"; done
  local nport
  nport=$(free_port)
  setvar NGINX_PORT "$nport"
  setvar URL "http://127.0.0.1:$nport"
  setvar SERVES "$SERVES"
  setvar WORKERS "$WORKERS"
  for ((i = 1; i <= SERVES; i++)); do start_serve "$i"; done
  for ((i = 1; i <= WORKERS; i++)); do start_worker "$i"; done
  write_nginx_conf "$nport"
  start_nginx
  trap - EXIT
  log "up: http://127.0.0.1:$nport (state in $DIR)"
  cmd_status
}

# signal SIG NAME: the component's process group (run starts each in its own session, so the
# group is the component with its children: nginx workers, analysis child processes)
signal() {
  local p
  p=$(pid_of "$2")
  [ -n "$p" ] || return 0
  kill "-$1" -- "-$p" 2>/dev/null || kill "-$1" "$p" 2>/dev/null || true
}

stop_all() { # NAME...: TERM to all at once, wait up to 10 s, KILL what is left of each group
  local n p i left
  for n in "$@"; do signal TERM "$n"; done
  for ((i = 0; i < 100; i++)); do
    left=0
    for n in "$@"; do
      p=$(pid_of "$n")
      if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then left=1; fi
    done
    [ $left = 0 ] && break
    sleep 0.1
  done
  for n in "$@"; do
    signal KILL "$n"
    rm -f "$DIR/pids/$n"
  done
}

cmd_down() {
  [ -d "$DIR" ] || { log "nothing to stop ($DIR absent)"; return 0; }
  # nginx first (no new requests), then serve and worker together (each drains its own
  # requests or hands its job back), then the engines they were using
  stop_all nginx
  stop_all worker1 worker2 worker3 worker4 serve1 serve2 serve3 serve4
  stop_all s3 redis
  if [ -f "$STATE" ] && grep -q '^PG_PORT=' "$STATE"; then
    # shellcheck disable=SC1090
    . "$STATE"
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ "${REPRIGHT_CLUSTER_KEEP:-0}" = 1 ]; then
    rm -f "$STATE"
    log "down (logs kept in $DIR)"
  else
    rm -rf "$DIR"
    log "down"
  fi
}

cmd_status() {
  [ -f "$STATE" ] || { echo "down ($DIR has no cluster)"; return 1; }
  # shellcheck disable=SC1090
  . "$STATE"
  local bad=0 n
  echo "url      ${URL:-(not started)}"
  echo "store    ${DATABASE_URL:-?}"
  echo "blobs    ${BLOB_URL:-?}"
  echo "queue    ${QUEUE_URL:-?}"
  [ -n "${URL:-}" ] || bad=1
  for n in $(names); do
    if [ "$n" = pg ]; then
      if as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" status >/dev/null 2>&1; then
        echo "pg       up   port $PG_PORT"
      else
        echo "pg       DOWN"; bad=1
      fi
    elif alive "$n"; then
      printf '%-8s up   pid %s\n' "$n" "$(pid_of "$n")"
    else
      printf '%-8s DOWN\n' "$n"; bad=1
    fi
  done
  return $bad
}

cmd_kill() { # NAME: kill -9 of its process group (chaos); pg: immediate stop
  if [ "$1" = pg ]; then
    # shellcheck disable=SC1090
    . "$STATE"
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m immediate -w stop >/dev/null
    return
  fi
  local p
  p=$(pid_of "$1")
  [ -n "$p" ] || die "no $1 in $DIR"
  signal KILL "$1" # like a container dying: the process and its children
  while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
}

cmd_start() { # NAME: start a killed component again, same port and data
  case $1 in
    pg) pg_start_again ;;
    redis) redis_start_again ;;
    serve*) start_serve "${1#serve}" ;;
    worker*) start_worker "${1#worker}" ;;
    nginx) start_nginx ;;
    *) die "cannot start $1" ;;
  esac
}

cmd_test() {
  local failed=0 t r
  export REPRIGHT_BIN="$BIN" # each test brings up its own cluster in a temp dir
  for t in "$ROOT"/tests/cluster/test_*.sh; do
    echo "== $t"
    r=0
    "$t" || r=$?
    if [ $r -ne 0 ] && [ $r -ne 77 ]; then
      echo "FAILED: $t"
      failed=1
    fi
  done
  return $failed
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) if [ -f "$STATE" ]; then cat "$STATE"; else die "down"; fi ;;
  kill) cmd_kill "${2:?name}" ;;
  start) cmd_start "${2:?name}" ;;
  test) cmd_test ;;
  *) echo "usage: $0 up|down|status|test|env|kill NAME|start NAME" >&2; exit 2 ;;
esac
