#!/bin/bash
# bench/run.sh - `make bench`: serving, footprint, scheduling, start-up and
# isolation of vitalsd, side by side with nginx, on 127.0.0.1, in one run of
# a few minutes. Prints a table and writes bench/results/<date>.json.
# bench/README.md explains every figure.
#
# usage: bench/run.sh [BUILD_DIR]        (default: build)
#
# Knobs (environment): BENCH_DURATION (s per wrk run, 10), BENCH_ROUNDS (3),
# BENCH_SCHED_DURATION (s, 30), BENCH_STARTUP_REPS (30), BENCH_ISO_ROUNDS
# (5), BENCH_ISO_DURATION (s per wrk run, 8), BENCH_PORT (first
# of the ports used, 18500), BENCH_OUT (the JSON file to write),
# BENCH_NO_BUILD=1 (use the vitalsd already in BUILD_DIR), BENCH_VERSION
# (what to call that build in the results; default: git describe),
# BENCH_DEBUG=1 (print each serving run's CPU accounting on stderr),
# BENCH_HISTORY_DURATION (s, 20), BENCH_ONLY=history (only section 6,
# written to bench/results/<date>-history.json).
# BENCH_LISTENER_DURATION (s per listener run, 10), BENCH_ONLY=listeners
# (run only section 6, the agent and gRPC listeners).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
DUR=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
SCHED_DUR=${BENCH_SCHED_DURATION:-30}
STARTUP_REPS=${BENCH_STARTUP_REPS:-30}
ISO_ROUNDS=${BENCH_ISO_ROUNDS:-5}
ISO_DUR=${BENCH_ISO_DURATION:-8}
HIST_DUR=${BENCH_HISTORY_DURATION:-20}
PORT=${BENCH_PORT:-18500}
DATE=$(date -u +%Y-%m-%d)
OUT=${BENCH_OUT:-$ROOT/bench/results/$DATE${BENCH_ONLY:+-$BENCH_ONLY}.json}
HZ=$(getconf CLK_TCK)
T_START=$(date +%s)

P_VITALS=$PORT          # vitalsd, 10 checks (serving, footprint)
P_NGINX=$((PORT + 1))   # nginx
P_BIG=$((PORT + 2))     # vitalsd, 10,000 checks / 1,000 exec checks
P_ISO=$((PORT + 3))     # vitalsd, isolation
P_START=$((PORT + 4))   # start-up
P_MHD=$((PORT + 5))     # libmicrohttpd serving a prebuilt response
P_ATT=$((PORT + 6))     # vitalsd under attack

log() { printf '%s\n' "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------------------
# Dependencies (Debian packages, as scripts/deps.sh does) and the build

deps="nginx wrk jq curl procps gcc pkg-config libmicrohttpd-dev python3 haproxy nghttp2-client"
missing=""
for p in $deps; do
  case $p in nginx) command -v nginx >/dev/null && continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $p"
done
if [ -n "$missing" ]; then
  [ "$(id -u)" = 0 ] || die "missing Debian packages:$missing (run as root, or: sudo apt-get install$missing)"
  log "installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
  log "using the binaries already in $BUILD (BENCH_NO_BUILD=1)"
else
  log "building release binaries into $BUILD"
  make -C "$ROOT" --no-print-directory BUILD="$BUILD" all >/dev/null
fi
VITALSD=$BUILD/vitalsd
[ -x "$VITALSD" ] || die "no $VITALSD"

WORK=$(mktemp -d /tmp/vitals-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -Wall -Wextra -o "$WORK/benchtool" "$ROOT/bench/benchtool.c"
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -o "$WORK/mhd_static" "$ROOT/bench/mhd_static.c" $(pkg-config --cflags --libs libmicrohttpd)
BT=$WORK/benchtool
cc -O2 -Wall -Wextra -pthread -o "$WORK/attack" "$ROOT/bench/attack.c"
AT=$WORK/attack

# ---------------------------------------------------------------------------
# Helpers

KV=$WORK/results.kv   # "key<TAB>value" lines, made into the JSON at the end
kv() { printf '%s\t%s\n' "$1" "$2" >>"$KV"; }
kvs() { printf '%s\ts:%s\n' "$1" "$2" >>"$KV"; } # a string

# CPU ticks (utime+stime) of processes; "children" for the reaped children.
cpu_ticks() {
  local field=$1 t=0 p
  shift
  for p in "$@"; do
    # After "pid (comm) ", utime is field 12, stime 13, cutime 14, cstime 15.
    t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" |
      awk -v f="$field" '{print f == "self" ? $12 + $13 : $14 + $15}')))
  done
  echo "$t"
}
rss_kb() { # the sum of VmRSS (or another /proc status field) over processes
  local field=${RSS_FIELD:-VmRSS} t=0 p
  for p in "$@"; do
    t=$((t + $(awk -v f="$field:" '$1 == f {print $2}' "/proc/$p/status")))
  done
  echo "$t"
}
threads() { awk '$1 == "Threads:" {print $2}' "/proc/$1/status"; }
children() { ps -o pid= --ppid "$1" || true; } # the child processes of $1
peers() { # the client ends of the connections established to port $1
  ss -Htn state established "( sport = :$1 )" | awk '{print $4}' | sort
}
passive_opens() { # connections accepted on this machine so far
  awk '$1 == "Tcp:" { if (!h) { for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") c = i; h = 1 } else print $c }' /proc/net/snmp
}
now() { date +%s.%N; }
# Busy CPU time of the machine: user, nice, system, irq, softirq (processes
# are charged the irq and softirq ticks that hit them); not idle, iowait,
# steal.
machine_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
# CPU seconds of this shell's reaped children (wrk), from a file written by
# `times` in the shell itself: in a $(...) subshell it would see none.
children_seconds() {
  awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}
calc() { awk "BEGIN { printf \"%.6g\", $* }"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# Waits until GET url answers 200 (or any status with "any"), at most $3 s.
wait_http() {
  local url=$1 want=${2:-200} limit=${3:-60} i code
  for ((i = 0; i < limit * 20; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
    if [ "$code" = 200 ] || { [ "$want" = any ] && [ "$code" != 000 ]; }; then
      return 0
    fi
    sleep 0.05
  done
  die "$url: no answer ($code) within ${limit}s"
}

start_vitalsd() { # CONFIG LOGFILE: sets VPID
  "$VITALSD" --config "$1" --log-level warn 2>>"$2" &
  VPID=$!
  PIDS+=("$VPID")
}
stop_pid() { # vitalsd drains on the first SIGTERM; the second stops it
  kill "$1" 2>/dev/null || true
  sleep 0.2
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# A vitalsd configuration: PORT INTERVAL, the "name: {...}" check lines on
# standard input.
config() {
  printf 'service: {id: bench, description: "vitals benchmark", version: "1", release_id: "0.0.0"}\n'
  printf 'listen: ["127.0.0.1:%s"]\n' "$1"
  printf 'defaults: {interval: %s, timeout: 5s}\n' "$2"
  [ -n "$LIMITS" ] && printf '%s\n' "$LIMITS"
  [ -n "$HISTORY" ] && printf '%s\n' "$HISTORY"
  printf 'checks:\n'
  sed 's/^/  /'
}
# N [PREFIX]: cheap checks that pass at once: `file` on one file that
# exists (a stat), or `disk` on / (a statvfs) where `file` is unknown.
cheap_checks() {
  awk -v n="$1" -v p="${2:-c}" -v c="$CHEAP" 'BEGIN { for (i = 0; i < n; i++) printf "%s%05d: %s\n", p, i, c }'
}
valid_config() { "$VITALSD" --check-config /dev/stdin >/dev/null 2>&1; }
ticks_window() { # PID DELAY SECONDS: self and children ticks over a window
  sleep "$2"
  local s0 k0 t0
  s0=$(cpu_ticks self "$1")
  k0=$(cpu_ticks children "$1")
  t0=$(now)
  sleep "$3"
  echo "$(($(cpu_ticks self "$1") - s0)) $(($(cpu_ticks children "$1") - k0)) $(calc "$(now) - $t0")"
}

# One wrk run: NAME URL CONNS PID... . Appends a line to $SERVING:
# name conns requests rps rpcpu p50_ms p99_ms cpu_share conns_opened non2xx
# socket_errors.
wrk_run() {
  local name=$1 url=$2 conns=$3 out c0 c1 o0 o1 t0 t1 m0 m1 k0 k1 port wpid third
  shift 3
  port=${url#*127.0.0.1:}
  port=${port%%/*}
  third=$(calc "$DUR / 3")
  out=$WORK/wrk.$name.$conns.txt
  c0=$(cpu_ticks self "$@")
  o0=$(passive_opens)
  m0=$(machine_ticks)
  times >"$WORK/times.0"
  t0=$(now)
  wrk -t1 -c"$conns" -d"${DUR}s" --latency "$url" >"$out" 2>&1 &
  wpid=$!
  # The clients connected to the server at a third and at two thirds of
  # the run: with keep-alive kept, the same ones (reconn 0).
  sleep "$third"
  peers "$port" >"$WORK/peers.1"
  sleep "$third"
  peers "$port" >"$WORK/peers.2"
  wait "$wpid" || true
  t1=$(now)
  times >"$WORK/times.1"
  m1=$(machine_ticks)
  k0=$(children_seconds "$WORK/times.0")
  k1=$(children_seconds "$WORK/times.1")
  o1=$(passive_opens)
  c1=$(cpu_ticks self "$@")
  awk -v name="$name" -v conns="$conns" -v cpu=$((c1 - c0)) -v hz="$HZ" \
    -v wall="$(calc "$t1 - $t0")" -v opened=$((o1 - o0)) -v machine=$((m1 - m0)) \
    -v wrk="$(calc "$k1 - $k0")" -v reconn="$(comm -13 "$WORK/peers.1" "$WORK/peers.2" | wc -l)" '
    function ms(x) { if (x ~ /us$/) return x / 1000; if (x ~ /ms$/) return x + 0
                     if (x ~ /m$/) return x * 60000; if (x ~ /s$/) return x * 1000; return x + 0 }
    $2 == "requests" && $3 == "in" { req = $1 }
    $1 == "Requests/sec:" { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    /Socket errors:/ { gsub(/,/, ""); serr = $4 + $6 + $8 + $10 }
    END {
      cpus = cpu / hz
      other = (machine / hz - cpus - wrk) / wall
      if (ENVIRON["BENCH_DEBUG"] != "") printf "other %s: machine %.2f server %.2f wrk %.2f wall %.2f\n", name, machine / hz, cpus, wrk, wall > "/dev/stderr"
      printf "%s %d %d %.1f %.1f %.4f %.4f %.4f %d %d %d %.3f %d\n", name, conns, req, rps,
        (cpus > 0 ? req / cpus : 0), p50, p99, cpus / wall, opened, non2xx, serr,
        (other > 0 ? other : 0), reconn
    }' "$out" >>"$SERVING"
}

# shellcheck source=bench/listeners.sh
. "$ROOT/bench/listeners.sh"

# What this build of vitalsd knows: the `file` check type; the per-client
# connection limit (default 64), raised so that 200 wrk connections from
# 127.0.0.1 are all accepted.
touch "$WORK/heartbeat"
LIMITS=""
CHEAP="{type: file, path: $WORK/heartbeat}"
CHEAP_STAT=stat CHEAP_NAME=file
if ! printf 'checks:\n  a: %s\n' "$CHEAP" | valid_config; then
  CHEAP="{type: disk, path: /, degraded_below: 1B}"
  CHEAP_STAT=statvfs CHEAP_NAME=disk
fi
if printf 'limits: {max_connections_per_ip: 1024}\n' | valid_config; then
  LIMITS="limits: {max_connections_per_ip: 1024}"
fi
# Sections 1-5 keep the history in memory, as builds before it did (and
# nothing is written to /var/lib/vitals); section 6 measures the stores.
HISTORY=""
if printf 'history: {store: memory}\n' | valid_config; then
  HISTORY="history: {store: memory}"
fi
kvs settings.cheap_check "$CHEAP"
kvs settings.limits "${LIMITS:-none}"


# ---------------------------------------------------------------------------
# 6. History: what keeping every run costs (run by the main flow at the
# end, or alone with BENCH_ONLY=history)

hist_run() { # NAME HISTORY-LINE: 10,000 checks every 1 s with that history
  local name=$1 s w
  cheap_checks 10000 | HISTORY=$2 config "$P_BIG" 1s >"$WORK/hist.$name.yaml"
  start_vitalsd "$WORK/hist.$name.yaml" "$WORK/vitalsd.hist.$name.log"
  wait_http "http://127.0.0.1:$P_BIG/health" 200 120
  read -r s _ w < <(ticks_window "$VPID" 5 "$HIST_DUR")
  kv "history.$name.cpu_share" "$(calc "$s / $HZ / $w")"
  kv "history.$name.rss_kb" "$(rss_kb "$VPID")"
  kv "history.$name.rss_anon_kb" "$(RSS_FIELD=RssAnon rss_kb "$VPID")"
  kv "history.$name.dropped" "$(curl -s "http://127.0.0.1:$P_BIG/metrics" |
    awk '$1 == "vitals_history_dropped_total" {print $2}')"
  kv "history.$name.threads" "$(threads "$VPID")"
  stop_pid "$VPID"
}

history_bench() {
  log "6. history: 10,000 $CHEAP_NAME checks every 1s, CPU and RSS over ${HIST_DUR}s: memory_runs 1, memory, sqlite"
  hist_run off "history: {store: memory, memory_runs: 1}"
  hist_run memory "history: {store: memory}"
  hist_run sqlite "history: {store: sqlite, path: $WORK/history.db}"
  kv history.sqlite.rows "$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM vitals_runs").fetchone()[0])' "$WORK/history.db")"
  kv history.sqlite.file_kb "$(du -k "$WORK/history.db" | cut -f1)"
  kv settings.history_seconds "$HIST_DUR"
}

history_table() {
  echo "6. History: 10,000 $CHEAP_NAME checks every 1s, CPU of vitalsd as a share of one core over $(J .settings.history_seconds)s, RSS at the end"
  printf '%-44s %8s %10s %10s %8s\n' "" cpu RSS anon dropped
  for n in off memory sqlite; do
    case $n in
      off) label="memory_runs: 1 (the least history)" ;;
      memory) label="store: memory (32 runs per check)" ;;
      sqlite) label="store: sqlite (the default)" ;;
    esac
    printf '%-44s %8s %10s %10s %8s\n' "$label" "$(pct "$(J .history.$n.cpu_share)")" \
      "$(mib "$(J .history.$n.rss_kb)")" "$(mib "$(J .history.$n.rss_anon_kb)")" "$(J .history.$n.dropped)"
  done
  echo "(sqlite: $(J .history.sqlite.rows) runs written, $(J .history.sqlite.file_kb) KB of file, at the end of the run)"
}

write_json() {
  mkdir -p "$(dirname "$OUT")"
  jq -Rn '[inputs | split("\t") | {k: (.[0] | split(".") | map(tonumber? // .)),
          v: (.[1] | if startswith("s:") then .[2:] else (tonumber? // .) end)}]
        | reduce .[] as $x ({}; setpath($x.k; $x.v))' <"$KV" >"$OUT"
}
J() { jq -r "$1" "$OUT"; }
pct() { awk -v x="$1" 'BEGIN { printf "%.1f%%", x * 100 }'; }
mib() { awk -v x="$1" 'BEGIN { printf "%.1f MiB", x / 1024 }'; }

# ---------------------------------------------------------------------------
# The machine

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
kvs machine.date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
kv machine.nproc "$(nproc)"
kvs machine.cpu "$CPU_MODEL"
kvs machine.kernel "$(uname -r)"
kvs machine.debian "$(cat /etc/debian_version 2>/dev/null || echo unknown)"
kvs machine.loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
kvs versions.nginx "$("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"
kvs versions.wrk "$(dpkg-query -W -f='${Version}' wrk 2>/dev/null || echo unknown)"
kvs versions.libmicrohttpd "$(dpkg-query -W -f='${Version}' libmicrohttpd12 2>/dev/null || echo unknown)"
kvs versions.vitals "${BENCH_VERSION:-$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)}"
kv settings.wrk_seconds "$DUR"
kv settings.rounds "$ROUNDS"
kv settings.sched_seconds "$SCHED_DUR"
kv settings.startup_reps "$STARTUP_REPS"
log "machine: $(nproc) x $CPU_MODEL, load $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "${BENCH_ONLY:-}" = history ]; then
  history_bench
  kvs machine.loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
  write_json
  echo
  history_table
  echo "wrote $OUT"
  exit 0
fi
if [ "${BENCH_ONLY:-}" = listeners ]; then
  listeners_bench
  kv settings.total_seconds $(($(date +%s) - T_START))
  kvs machine.loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
  write_json
  echo
  echo "vitals bench (section 6 only)  $(J .machine.date)  $(J .machine.nproc) x $(J .machine.cpu)  load $(J .machine.loadavg) -> $(J .machine.loadavg_end)  vitals $(J .versions.vitals)"
  echo
  listeners_table
  echo "wrote $OUT ($(J .settings.total_seconds) s)"
  exit 0
fi

# ---------------------------------------------------------------------------
# 1. Serving, and 2. footprint with 10 checks

log "1. serving: vitalsd (10 $CHEAP_NAME checks), nginx, libmicrohttpd static: ${ROUNDS} rounds x ${DUR}s x 8 runs"
cheap_checks 10 | config "$P_VITALS" 10s >"$WORK/c10.yaml"
start_vitalsd "$WORK/c10.yaml" "$WORK/vitalsd.c10.log"
V10=$VPID
wait_http "http://127.0.0.1:$P_VITALS/health"
sleep 1
RSS10_IDLE=$(rss_kb "$V10")
RSS10_IDLE_ANON=$(RSS_FIELD=RssAnon rss_kb "$V10")
curl -s "http://127.0.0.1:$P_VITALS/health" >"$WORK/body.json"
curl -s "http://127.0.0.1:$P_VITALS/api/v2/health" >"$WORK/body_v2.json"
BODY_LEN=$(wc -c <"$WORK/body.json")
BODY_V2_LEN=$(wc -c <"$WORK/body_v2.json")

# Keep-alive: two requests on one connection, and no "Connection: close".
keepalive_ok() { # URL: 1 when curl reused its connection and saw no close
  local v
  v=$(curl -sv -o /dev/null -o /dev/null "$1" "$1" 2>&1)
  if grep -q "Re-using existing connection" <<<"$v" && ! grep -qi "^< connection: close" <<<"$v"; then
    echo 1
  else
    echo 0
  fi
}
KA_HEALTH=$(keepalive_ok "http://127.0.0.1:$P_VITALS/health")
KA_V2=$(keepalive_ok "http://127.0.0.1:$P_VITALS/api/v2/health")

# nginx: the same body, the same headers, 2 workers, no access log.
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g" "$WORK/body.json" >"$WORK/body.nginx"
{
  cat <<EOF
worker_processes 2;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  server_tokens off;
  keepalive_requests 100000000;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$P_NGINX;
    location = /health {
      default_type application/health+json;
      add_header Cache-Control no-store;
      add_header ETag '"18ea2ac9f0dea8db-4"';
      return 200 '$(cat "$WORK/body.nginx")';
    }
  }
}
EOF
} >"$WORK/nginx/nginx.conf"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" &
NG=$!
PIDS+=("$NG")
wait_http "http://127.0.0.1:$P_NGINX/health"
for _ in $(seq 50); do
  NG_ALL=("$NG" $(ps -o pid= --ppid "$NG"))
  [ "${#NG_ALL[@]}" -ge 3 ] && break
  sleep 0.1
done
cmp -s <(curl -s "http://127.0.0.1:$P_NGINX/health") "$WORK/body.json" ||
  die "nginx does not serve the same body as vitalsd"
KA_NGINX=$(keepalive_ok "http://127.0.0.1:$P_NGINX/health")
RSS_NG_IDLE=$(rss_kb "${NG_ALL[@]}")

# libmicrohttpd alone, answering with one prebuilt response: the floor.
"$WORK/mhd_static" "$P_MHD" "$WORK/body.json" application/health+json &
MHD=$!
PIDS+=("$MHD")
wait_http "http://127.0.0.1:$P_MHD/health"
KA_MHD=$(keepalive_ok "http://127.0.0.1:$P_MHD/health")

SERVING=$WORK/serving.txt
: >"$SERVING"
RSS10_AFTER=()
for ((r = 1; r <= ROUNDS; r++)); do
  for c in 50 200; do
    echo "round $r" >>"$SERVING"
    wrk_run nginx "http://127.0.0.1:$P_NGINX/health" "$c" "${NG_ALL[@]}"
    wrk_run health "http://127.0.0.1:$P_VITALS/health" "$c" "$V10"
    wrk_run v2 "http://127.0.0.1:$P_VITALS/api/v2/health" "$c" "$V10"
    wrk_run mhd "http://127.0.0.1:$P_MHD/health" "$c" "$MHD"
    if [ "$c" = 200 ]; then
      RSS10_AFTER+=("$(rss_kb "$V10")")
      RSS10_AFTER_ANON=$(RSS_FIELD=RssAnon rss_kb "$V10")
      RSS10_AFTER_FILE=$(RSS_FIELD=RssFile rss_kb "$V10")
      RSS_NG_AFTER=$(rss_kb "${NG_ALL[@]}")
      RSS_MHD_AFTER=$(rss_kb "$MHD")
    fi
  done
  log "  round $r done"
done
RSS10_HWM=$(RSS_FIELD=VmHWM rss_kb "$V10")
THREADS10=$(threads "$V10")
stop_pid "$V10"
stop_pid "$NG"
stop_pid "$MHD"

# Per round: each figure and its ratio to nginx at the same connections.
# Lines "name conns rps rpcpu p50 p99 share opened requests non2xx serr"
# with ratios appended: rps_r rpcpu_r p50_r p99_r.
awk '
  $1 == "round" { r = $2; next }
  { key = r " " $2; line[NR] = $0; k[NR] = key
    if ($1 == "nginx") { n_rps[key] = $4; n_rpcpu[key] = $5; n_p50[key] = $6; n_p99[key] = $7 } }
  END {
    for (i = 1; i <= NR; i++) if (i in line) {
      split(line[i], f, " ")
      printf "%s %s %s %.4f %.4f %.4f %.4f\n", k[i], f[1], line[i],
        f[4] / n_rps[k[i]], f[5] / n_rpcpu[k[i]], f[6] / n_p50[k[i]], f[7] / n_p99[k[i]]
    }
  }' "$SERVING" >"$WORK/serving.rows"
# serving.rows: round conns name | name conns requests rps rpcpu p50 p99
#               share opened non2xx serr other reconn | r_rps r_rpcpu r_p50 r_p99
col() { # NAME CONNS FIELD: that field over the rounds
  awk -v n="$1" -v c="$2" -v f="$3" '$3 == n && $2 == c {print $f}' "$WORK/serving.rows"
}
for c in 50 200; do
  for n in nginx health v2 mhd; do
    i=0
    for f in requests:6 rps:7 rpcpu:8 p50_ms:9 p99_ms:10 cpu_share:11 conns_opened:12 non2xx:13 socket_errors:14 \
      other_cpu:15 reconnected:16 rps_ratio:17 rpcpu_ratio:18 p50_ratio:19 p99_ratio:20; do
      mapfile -t vals < <(col "$n" "$c" "${f#*:}")
      kv "serving.c$c.$n.${f%:*}" "$(median "${vals[@]}")"
      for ((r = 0; r < ${#vals[@]}; r++)); do
        kv "serving.c$c.$n.rounds.${f%:*}.$r" "${vals[$r]}"
      done
      i=$((i + 1))
    done
  done
done
kv serving.body_bytes.health "$BODY_LEN"
kv serving.body_bytes.v2 "$BODY_V2_LEN"
kv serving.keepalive_curl.health "$KA_HEALTH"
kv serving.keepalive_curl.v2 "$KA_V2"
kv serving.keepalive_curl.nginx "$KA_NGINX"
kv serving.keepalive_curl.mhd "$KA_MHD"
kv footprint.c10.rss_idle_kb "$RSS10_IDLE"
kv footprint.c10.rss_after_load_kb "$(median "${RSS10_AFTER[@]}")"
kv footprint.c10.rss_after_load_max_kb "$(printf '%s\n' "${RSS10_AFTER[@]}" | sort -n | tail -1)"
kv footprint.c10.hwm_kb "$RSS10_HWM"
kv footprint.c10.rss_anon_idle_kb "$RSS10_IDLE_ANON"
kv footprint.c10.rss_anon_after_load_kb "$RSS10_AFTER_ANON"
kv footprint.c10.rss_file_after_load_kb "$RSS10_AFTER_FILE"
kv footprint.c10.threads "$THREADS10"
kv footprint.nginx.rss_idle_kb "$RSS_NG_IDLE"
kv footprint.nginx.rss_after_load_kb "$RSS_NG_AFTER"
kv footprint.mhd_static.rss_after_load_kb "$RSS_MHD_AFTER"

# ---------------------------------------------------------------------------
# 3. Scheduling, and 2. footprint with 10,000 checks

log "3. scheduling: 10,000 $CHEAP_NAME checks every 1s, CPU over ${SCHED_DUR}s"
cheap_checks 10000 | config "$P_BIG" 1s >"$WORK/c10k.yaml"
t0=$(now)
start_vitalsd "$WORK/c10k.yaml" "$WORK/vitalsd.c10k.log"
VBIG=$VPID
wait_http "http://127.0.0.1:$P_BIG/health" 200 120
kv scheduling.c10k.time_to_first_200_s "$(calc "$(now) - $t0")"
read -r s k w < <(ticks_window "$VBIG" 5 "$SCHED_DUR")
kv scheduling.c10k.cpu_share "$(calc "$s / $HZ / $w")"
kv scheduling.c10k.threads "$(threads "$VBIG")"
REF_STATVFS=$("$BT" "$CHEAP_STAT" 10000 "$([ "$CHEAP_STAT" = stat ] && echo "$WORK/heartbeat" || echo /)" 5)
kv scheduling.c10k.reference_cpu_share "$REF_STATVFS"
kv scheduling.c10k.ratio_to_reference "$(calc "$s / $HZ / $w / $REF_STATVFS")"
kv footprint.c10k.rss_idle_kb "$(rss_kb "$VBIG")"
kv footprint.c10k.rss_anon_idle_kb "$(RSS_FIELD=RssAnon rss_kb "$VBIG")"
curl -s -o "$WORK/body10k.json" "http://127.0.0.1:$P_BIG/health"
kv footprint.c10k.body_bytes "$(wc -c <"$WORK/body10k.json")"
SERVING=$WORK/serving10k.txt
: >"$SERVING"
wrk_run health10k "http://127.0.0.1:$P_BIG/health" 200 "$VBIG"
kv footprint.c10k.rss_after_load_kb "$(rss_kb "$VBIG")"
kv footprint.c10k.rss_anon_after_load_kb "$(RSS_FIELD=RssAnon rss_kb "$VBIG")"
kv footprint.c10k.hwm_kb "$(RSS_FIELD=VmHWM rss_kb "$VBIG")"
read -r _ _ _ rps10k rpcpu10k _ p99_10k _ _ _ _ <"$SERVING"
kv footprint.c10k.load_rps "$rps10k"
kv footprint.c10k.load_rpcpu "$rpcpu10k"
kv footprint.c10k.load_p99_ms "$p99_10k"
stop_pid "$VBIG"

log "3. scheduling: 1,000 exec checks (/bin/true) every 10s, CPU over ${SCHED_DUR}s"
exec_checks() {
  awk 'BEGIN { for (i = 0; i < 1000; i++) printf "x%04d: {type: exec, command: [\"/bin/true\"]}\n", i }'
}
exec_checks | config "$P_BIG" 10s >"$WORK/exec.yaml"
start_vitalsd "$WORK/exec.yaml" "$WORK/vitalsd.exec.log"
VEX=$VPID
wait_http "http://127.0.0.1:$P_BIG/health" 200 60
# Start half-way between two bursts: the window holds whole bursts.
read -r s k w < <(ticks_window "$VEX" 5 "$SCHED_DUR")
kv scheduling.exec1k.cpu_share "$(calc "$s / $HZ / $w")"
kv scheduling.exec1k.children_cpu_share "$(calc "$k / $HZ / $w")"
kv scheduling.exec1k.threads "$(threads "$VEX")"
kv footprint.exec1k.rss_kb "$(rss_kb "$VEX")"
read -r ref_self ref_kids < <("$BT" spawn 1000 /bin/true 3)
kv scheduling.exec1k.reference_cpu_share "$(calc "$ref_self / 10")"
kv scheduling.exec1k.reference_children_cpu_share "$(calc "$ref_kids / 10")"
kv scheduling.exec1k.ratio_to_reference "$(calc "($s / $HZ / $w) / ($ref_self / 10)")"
stop_pid "$VEX"

# ---------------------------------------------------------------------------
# 4. Start-up

log "4. start-up: exec to the first 200 on /health, ${STARTUP_REPS} times (vitalsd and nginx)"
cheap_checks 1 | config "$P_START" 10s >"$WORK/start.yaml"
"$BT" startup "$P_START" /health "$STARTUP_REPS" -- "$VITALSD" --config "$WORK/start.yaml" \
  --log-level error >"$WORK/start.vitalsd" 2>>"$WORK/vitalsd.start.log"
sed -e "s/$P_NGINX/$P_START/" "$WORK/nginx/nginx.conf" >"$WORK/nginx/start.conf"
"$BT" startup "$P_START" /health "$STARTUP_REPS" -- "$NGINX" -p "$WORK/nginx" \
  -c "$WORK/nginx/start.conf" -e "$WORK/nginx/logs/error.log" >"$WORK/start.nginx"
ST_V=$(median $(awk '{print $1}' "$WORK/start.vitalsd"))
ST_V_ANY=$(median $(awk '{print $2}' "$WORK/start.vitalsd"))
ST_N=$(median $(awk '{print $1}' "$WORK/start.nginx"))
kv startup.vitalsd_first_200_ms "$ST_V"
kv startup.vitalsd_first_answer_ms "$ST_V_ANY"
kv startup.nginx_first_200_ms "$ST_N"
kv startup.ratio_to_nginx "$(calc "$ST_V / $ST_N")"

# ---------------------------------------------------------------------------
# 5. Isolation

log "5. isolation: p99 of /health with 100 exec checks hung on their timeouts, and with none, ${ISO_ROUNDS} x ${ISO_DUR}s each"
# hung: 100 commands that outlive the whole measurement (sleep 600 under a
# 300 s timeout); none: the same 100 checks, run once, passed, idle.
iso_config() { # hung|none
  local cmd='["/bin/true"]' opts='interval: 1h, timeout: 300s'
  [ "$1" = hung ] && cmd='["/bin/sleep", "600"]' && opts='interval: 1s, timeout: 300s'
  {
    cheap_checks 10
    awk -v c="$cmd" -v o="$opts" 'BEGIN { for (i = 0; i < 100; i++) printf "h%03d: {type: exec, command: %s, %s, critical: false}\n", i, c, o }'
  } | config "$P_ISO" 1s
}
iso_config hung >"$WORK/iso.hung.yaml"
iso_config none >"$WORK/iso.none.yaml"
SERVING=$WORK/iso.txt
: >"$SERVING"
DUR_SAVED=$DUR
DUR=$ISO_DUR
ramps=()
for ((r = 1; r <= ISO_ROUNDS; r++)); do
  for mode in none hung; do
    t0=$(now)
    start_vitalsd "$WORK/iso.$mode.yaml" "$WORK/vitalsd.iso.log"
    wait_http "http://127.0.0.1:$P_ISO/health" any 30
    if [ "$mode" = hung ]; then
      # Until the 100 commands run (the pool must start a worker for each),
      # at most 10 s.
      for _ in $(seq 100); do
        [ "$(children "$VPID" | wc -l)" -ge 100 ] && break
        sleep 0.1
      done
      ramps+=("$(calc "$(now) - $t0")")
    fi
    sleep 1
    kids=$(children "$VPID" | wc -l)
    echo "$mode-children $kids" >>"$SERVING"
    if [ "$r" = 1 ]; then
      kv "isolation.$mode.body_bytes" "$(curl -s "http://127.0.0.1:$P_ISO/health" | wc -c)"
    fi
    wrk_run "$mode" "http://127.0.0.1:$P_ISO/health" 50 "$VPID"
    mapfile -t kids < <(children "$VPID")
    echo "$mode-children-after ${#kids[@]}" >>"$SERVING"
    # The 10 cheap checks must keep passing while the others hang.
    echo "$mode-cheap-failing $(curl -s "http://127.0.0.1:$P_ISO/health" |
      jq '[.checks | to_entries[] | select(.key | test("^c[0-9]")) | select(.value[0].status != "pass")] | length')" >>"$SERVING"
    stop_pid "$VPID"
    # vitalsd kills its commands' process groups when it stops; this only
    # makes sure with an older build.
    [ "${#kids[@]}" -gt 0 ] && kill "${kids[@]}" 2>/dev/null || true
  done
done
DUR=$DUR_SAVED
for mode in none hung; do
  mapfile -t v < <(awk -v m="$mode" '$1 == m {print $7}' "$SERVING")
  kv "isolation.$mode.p99_ms" "$(median "${v[@]}")"
  for ((r = 0; r < ${#v[@]}; r++)); do kv "isolation.$mode.rounds.p99_ms.$r" "${v[$r]}"; done
  mapfile -t v < <(awk -v m="$mode" '$1 == m {print $6}' "$SERVING")
  kv "isolation.$mode.p50_ms" "$(median "${v[@]}")"
  mapfile -t v < <(awk -v m="$mode" '$1 == m {print $4}' "$SERVING")
  kv "isolation.$mode.rps" "$(median "${v[@]}")"
  mapfile -t v < <(awk -v m="$mode" '$1 == m {print $12}' "$SERVING")
  kv "isolation.$mode.other_cpu" "$(median "${v[@]}")"
  for ((r = 0; r < ${#v[@]}; r++)); do kv "isolation.$mode.rounds.other_cpu.$r" "${v[$r]}"; done
  mapfile -t v < <(awk -v m="$mode-children" '$1 == m {print $2}' "$SERVING")
  kv "isolation.$mode.children_running_min" "$(printf '%s\n' "${v[@]}" | sort -n | head -1)"
  for ((r = 0; r < ${#v[@]}; r++)); do kv "isolation.$mode.rounds.children_before.$r" "${v[$r]}"; done
  mapfile -t v < <(awk -v m="$mode-children-after" '$1 == m {print $2}' "$SERVING")
  for ((r = 0; r < ${#v[@]}; r++)); do kv "isolation.$mode.rounds.children_after.$r" "${v[$r]}"; done
  mapfile -t v < <(awk -v m="$mode-cheap-failing" '$1 == m {print $2}' "$SERVING")
  kv "isolation.$mode.cheap_failing_max" "$(printf '%s\n' "${v[@]}" | sort -n | tail -1)"
  for ((r = 0; r < ${#v[@]}; r++)); do kv "isolation.$mode.rounds.cheap_failing.$r" "${v[$r]}"; done
done
kv isolation.hung_ramp_s_max "$(printf '%s\n' "${ramps[@]}" | sort -g | tail -1)"
for ((r = 0; r < ${#ramps[@]}; r++)); do kv "isolation.hung.rounds.ramp_s.$r" "${ramps[$r]}"; done
mapfile -t ratios < <(awk '$1 == "none" {n[++i] = $7} $1 == "hung" {printf "%.4f\n", $7 / n[++j]}' "$SERVING")
kv isolation.p99_ratio "$(median "${ratios[@]}")"
for ((r = 0; r < ${#ratios[@]}; r++)); do kv "isolation.rounds.p99_ratio.$r" "${ratios[$r]}"; done

history_bench
# ---------------------------------------------------------------------------
# 6. Attacks

log "6. attacks: probes from 127.0.0.2 during floods; worker threads during a burst; memory after floods"
ATT_LIMITS="limits: {max_connections: 200, max_connections_per_ip: 64, read_timeout: 10s}"
att_stats() { # NAME FILE: median and max of the probe times, failures
  local v
  mapfile -t v < <(grep -E '^-?[0-9.]+$' "$2")
  kv "attacks.$1.probes" "${#v[@]}"
  kv "attacks.$1.probe_p50_ms" "$(median "${v[@]}")"
  kv "attacks.$1.probe_max_ms" "$(printf '%s\n' "${v[@]}" | sort -g | tail -1)"
  kv "attacks.$1.probe_failed" "$(printf '%s\n' "${v[@]}" | grep -c '^-1' || true)"
}
cheap_checks 1 | LIMITS=$ATT_LIMITS config "$P_ATT" 10s >"$WORK/att.yaml"
start_vitalsd "$WORK/att.yaml" "$WORK/vitalsd.att.log"
wait_http "http://127.0.0.1:$P_ATT/livez" 200 30
# 20 addresses x 20 connections that send nothing (400, for 200 slots).
"$AT" idle "$P_ATT" 20 20 20 >"$WORK/att.idle"
att_stats idle "$WORK/att.idle"
# 4 addresses x 64 connections trickling a body, one byte per 0.9 s.
"$AT" slow "$P_ATT" 4 64 20 >"$WORK/att.slow"
att_stats slow "$WORK/att.slow"
stop_pid "$VPID"
# 4 clients looping a 100-call JSON-RPC batch against 2,000 checks.
cheap_checks 2000 | LIMITS=$ATT_LIMITS config "$P_ATT" 30s >"$WORK/att.batch.yaml"
awk 'BEGIN { printf "["; for (i = 0; i < 100; i++) printf "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"health.health\"}", i ? "," : "", i; printf "]" }' >"$WORK/batch.json"
start_vitalsd "$WORK/att.batch.yaml" "$WORK/vitalsd.att.log"
wait_http "http://127.0.0.1:$P_ATT/health" 200 60
"$AT" batch "$P_ATT" 4 20 "$WORK/batch.json" >"$WORK/att.batch"
att_stats batch "$WORK/att.batch"
kv attacks.batch.request_bytes "$(wc -c <"$WORK/batch.json")"
kv attacks.batch.replies "$(awk '$1 == "replies" {print $2}' "$WORK/att.batch")"
kv attacks.batch.largest_reply_bytes "$(awk '$1 == "replies" {print $4}' "$WORK/att.batch")"
stop_pid "$VPID"
# A burst: 10 exec checks of /bin/sleep 0.1 due at once (after 2 s).
{
  cheap_checks 1
  awk 'BEGIN { for (i = 0; i < 10; i++) printf "b%02d: {type: exec, command: [\"/bin/sleep\", \"0.1\"], interval: 30s, initial_delay: 2s}\n", i }'
} | config "$P_ATT" 30s >"$WORK/att.burst.yaml"
start_vitalsd "$WORK/att.burst.yaml" "$WORK/vitalsd.att.log"
wait_http "http://127.0.0.1:$P_ATT/livez" 200 30
kv attacks.burst.threads_before "$(threads "$VPID")"
kv attacks.burst.threads_max "$("$AT" threads "$VPID" 3)"
stop_pid "$VPID"
# Memory: three floods of 1,000 trickling connections, each let go.
cheap_checks 1 | LIMITS="limits: {max_connections: 1024, max_connections_per_ip: 1024, read_timeout: 10s}" \
  config "$P_ATT" 10s >"$WORK/att.mem.yaml"
start_vitalsd "$WORK/att.mem.yaml" "$WORK/vitalsd.att.log"
wait_http "http://127.0.0.1:$P_ATT/livez" 200 30
kv attacks.memory.rss_before_kb "$(rss_kb "$VPID")"
for r in 1 2 3; do
  "$AT" slow "$P_ATT" 4 250 20 >/dev/null &
  sleep 1.2
  kv "attacks.memory.rounds.rss_during_kb.$((r - 1))" "$(rss_kb "$VPID")"
  wait $!
  sleep 1
  kv "attacks.memory.rounds.rss_after_kb.$((r - 1))" "$(rss_kb "$VPID")"
done
kv attacks.memory.rss_after_kb "$(rss_kb "$VPID")"
stop_pid "$VPID"
listeners_bench

T_END=$(date +%s)
kv settings.total_seconds $((T_END - T_START))
kvs machine.loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------
# The JSON and the table

write_json
verdict() { awk -v x="$1" -v op="$2" -v t="$3" 'BEGIN { ok = op == "<=" ? x <= t : x >= t; print ok ? "met" : "MISSED" }'; }

echo
echo "vitals bench  $(J .machine.date)  $(J .machine.nproc) x $(J .machine.cpu)  load $(J .machine.loadavg) -> $(J .machine.loadavg_end)  vitals $(J .versions.vitals)"
echo
echo "1. Serving: wrk -t1, keep-alive, ${DUR}s x ${ROUNDS} rounds, medians; ratio = x / nginx in the same round"
printf '%-22s %5s %9s %7s %10s %6s %6s %8s %6s %8s %6s %6s %6s %6s %6s  %s\n' \
  server conns req/s ratio req/cpu-s ratio cpu p50-ms ratio p99-ms ratio conns reconn errors other target
for c in 50 200; do
  for n in nginx health v2 mhd; do
    case $n in
      nginx) label="nginx /health" ;;
      health) label="vitalsd /health" ;;
      v2) label="vitalsd /api/v2/health" ;;
      mhd) label="libmicrohttpd static" ;;
    esac
    b=".serving.c$c.$n"
    if [ "$n" = nginx ] || [ "$n" = mhd ]; then
      t="-"
    else
      a=$(verdict "$(J "$b.rpcpu_ratio")" ">=" 1.0)
      p=$(verdict "$(J "$b.p99_ratio")" "<=" 1.0)
      t="req/cpu-s $a, p99 $p"
    fi
    printf '%-22s %5s %9.0f %7.2f %10.0f %6.2f %6s %8.3f %6.2f %8.3f %6.2f %6s %6s %6s %6.2f  %s\n' \
      "$label" "$c" "$(J "$b.rps")" "$(J "$b.rps_ratio")" "$(J "$b.rpcpu")" "$(J "$b.rpcpu_ratio")" \
      "$(pct "$(J "$b.cpu_share")")" "$(J "$b.p50_ms")" "$(J "$b.p50_ratio")" "$(J "$b.p99_ms")" \
      "$(J "$b.p99_ratio")" "$(J "$b.conns_opened")" "$(J "$b.reconnected")" "$(J "$b.non2xx + $b.socket_errors")" "$(J "$b.other_cpu")" "$t"
  done
done
echo "libmicrohttpd static: bench/mhd_static.c, the same body with server.c's daemon flags: the floor under vitalsd"
echo "keep-alive: curl reuses one connection: /health $(J .serving.keepalive_curl.health), /api/v2/health $(J .serving.keepalive_curl.v2), nginx $(J .serving.keepalive_curl.nginx), static $(J .serving.keepalive_curl.mhd) (1 = yes);"
echo "            'conns' = connections accepted on the machine during a run (keep-alive kept: about the wrk connection count);"
echo "            'reconn' = clients connected to the server at 2/3 of the run that were not at 1/3 (keep-alive kept: 0);"
echo "            'errors' = non-2xx answers + socket errors seen by wrk;"
echo "            'other' = cores used by other processes on the machine during the run (noise: rounds with a high one are less trustworthy)"
echo "bodies: /health $(J .serving.body_bytes.health) B (nginx serves the same bytes), /api/v2/health $(J .serving.body_bytes.v2) B"
echo
echo "2. Footprint: VmRSS (anon: RssAnon, the process's own memory; the rest is mapped files, mostly shared libraries)"
printf '%-44s %10s %10s %7s  %s\n' "" RSS "anon" "x nginx" target
printf '%-44s %10s %10s %7s\n' "vitalsd, 10 checks, idle" "$(mib "$(J .footprint.c10.rss_idle_kb)")" \
  "$(mib "$(J .footprint.c10.rss_anon_idle_kb)")" \
  "$(calc "$(J .footprint.c10.rss_idle_kb) / $(J .footprint.nginx.rss_idle_kb)" | xargs printf '%.2f')"
printf '%-44s %10s %10s %7s  %s\n' "vitalsd, 10 checks, after 200-conn load" "$(mib "$(J .footprint.c10.rss_after_load_kb)")" \
  "$(mib "$(J .footprint.c10.rss_anon_after_load_kb)")" \
  "$(calc "$(J .footprint.c10.rss_after_load_kb) / $(J .footprint.nginx.rss_after_load_kb)" | xargs printf '%.2f')" \
  "<= 8 MiB: $(verdict "$(J .footprint.c10.rss_after_load_kb)" "<=" 8192)"
printf '%-44s %10s %10s\n' "vitalsd, 10,000 checks, idle" "$(mib "$(J .footprint.c10k.rss_idle_kb)")" \
  "$(mib "$(J .footprint.c10k.rss_anon_idle_kb)")"
printf '%-44s %10s %10s %7s  %s\n' "vitalsd, 10,000 checks, after 200-conn load" "$(mib "$(J .footprint.c10k.rss_after_load_kb)")" \
  "$(mib "$(J .footprint.c10k.rss_anon_after_load_kb)")" "" \
  "<= 40 MiB: $(verdict "$(J .footprint.c10k.rss_after_load_kb)" "<=" 40960)"
printf '%-44s %10s\n' "nginx (master + 2 workers), idle" "$(mib "$(J .footprint.nginx.rss_idle_kb)")"
printf '%-44s %10s\n' "nginx (master + 2 workers), after load" "$(mib "$(J .footprint.nginx.rss_after_load_kb)")"
printf '%-44s %10s\n' "libmicrohttpd static, after load" "$(mib "$(J .footprint.mhd_static.rss_after_load_kb)")"
echo "(10,000 checks: /health body $(J .footprint.c10k.body_bytes) B, $(J .footprint.c10k.load_rps | xargs printf '%.0f') req/s at 200 conns, p99 $(J .footprint.c10k.load_p99_ms) ms)"
echo
echo "3. Scheduling: CPU of vitalsd as a share of one core over ${SCHED_DUR}s"
printf '%-44s %8s %10s %7s  %s\n' "" vitalsd reference ratio target
printf '%-44s %8s %10s %7.1f  %s\n' "10,000 $CHEAP_NAME checks every 1s" "$(pct "$(J .scheduling.c10k.cpu_share)")" \
  "$(pct "$(J .scheduling.c10k.reference_cpu_share)")" "$(J .scheduling.c10k.ratio_to_reference)" \
  "<= 15%: $(verdict "$(J .scheduling.c10k.cpu_share)" "<=" 0.15)"
printf '%-44s %8s %10s %7.1f  %s\n' "1,000 exec checks (/bin/true) every 10s" "$(pct "$(J .scheduling.exec1k.cpu_share)")" \
  "$(pct "$(J .scheduling.exec1k.reference_cpu_share)")" "$(J .scheduling.exec1k.ratio_to_reference)" \
  "<= 10%: $(verdict "$(J .scheduling.exec1k.cpu_share)" "<=" 0.10)"
echo "(reference: the bare $CHEAP_STAT() / posix_spawn()+waitpid() calls in a C loop; exec children: $(pct "$(J .scheduling.exec1k.children_cpu_share)") vs $(pct "$(J .scheduling.exec1k.reference_children_cpu_share)"); threads: $(J .scheduling.c10k.threads) / $(J .scheduling.exec1k.threads))"
echo
echo "4. Start-up: exec to the first 200 on /health, median of ${STARTUP_REPS}"
printf '%-44s %8.1f ms  x nginx %.2f  %s\n' "vitalsd (1 $CHEAP_NAME check)" "$(J .startup.vitalsd_first_200_ms)" \
  "$(J .startup.ratio_to_nginx)" "<= 5 ms: $(verdict "$(J .startup.vitalsd_first_200_ms)" "<=" 5)"
printf '%-44s %8.1f ms\n' "vitalsd, first answer of any status (503)" "$(J .startup.vitalsd_first_answer_ms)"
printf '%-44s %8.1f ms\n' "nginx" "$(J .startup.nginx_first_200_ms)"
echo
echo "5. Isolation: /health p99 at 50 conns with 100 exec checks hung on their timeouts vs none, ${ISO_ROUNDS} x ${ISO_DUR}s, median of per-round ratios"
for mode in none hung; do
  printf '%-44s %8.3f ms  (p50 %.3f ms, %.0f req/s, body %s B, >= %s commands running)\n' \
    "$([ $mode = none ] && echo "none hung (100 x /bin/true, done)" || echo "100 hung (sleep 600, timeout 300s)")" \
    "$(J .isolation.$mode.p99_ms)" "$(J .isolation.$mode.p50_ms)" "$(J .isolation.$mode.rps)" \
    "$(J .isolation.$mode.body_bytes)" "$(J .isolation.$mode.children_running_min)"
done
printf '%-44s %8.2f     %s\n' "ratio" "$(J .isolation.p99_ratio)" "<= 1.2: $(verdict "$(J .isolation.p99_ratio)" "<=" 1.2)"
echo "(per-round ratios: $(J '[.isolation.rounds.p99_ratio[]] | map(. * 100 | round / 100 | tostring) | join(" ")');"
echo " commands running before/after each hung run: $(J '[.isolation.hung.rounds.children_before, .isolation.hung.rounds.children_after] | transpose | map(map(tostring) | join("/")) | join(" ")'),"
echo " seconds from exec to 100 running (10 s wait at most, then measured anyway): $(J '.isolation.hung.rounds.ramp_s | map(. * 10 | round / 10 | tostring) | join(" ")'))"
printf '%-44s %8s     %s\n' "the 10 cheap checks failing, worst round" "$(J .isolation.hung.cheap_failing_max)/10" \
  "0 (a hung check delays no other): $(verdict "$(J .isolation.hung.cheap_failing_max)" "<=" 0)"
echo
history_table
echo "6. Attacks: a probe (GET, new connection) from 127.0.0.2 during each flood; max_connections 200"
printf '%-44s %9s %9s %6s  %s\n' "" p50 max failed target
for a in idle slow batch; do
  case $a in
  idle) what="idle flood: 20 addresses x 20 connections" ;;
  slow) what="slow bodies: 4 x 64, a byte per 0.9 s" ;;
  batch) what="JSON-RPC batch flood: 4 clients, 2,000 checks" ;;
  esac
  printf '%-44s %6.2f ms %6.2f ms %6s  %s\n' "$what" "$(J .attacks.$a.probe_p50_ms)" "$(J .attacks.$a.probe_max_ms)" \
    "$(J .attacks.$a.probe_failed)/$(J .attacks.$a.probes)" "<= 100 ms: $(verdict "$(J .attacks.$a.probe_max_ms)" "<=" 100)"
done
echo "(batch: $(J .attacks.batch.request_bytes) B of 100 calls; $(J .attacks.batch.replies) replies, the largest $(J .attacks.batch.largest_reply_bytes) B)"
printf '%-44s %9s %9s         %s\n' "worker threads, burst of 10 exec checks" "$(J .attacks.burst.threads_before)" \
  "$(J .attacks.burst.threads_max)" "<= before + 10 + 2: $(verdict "$(J .attacks.burst.threads_max)" "<=" "$(($(J .attacks.burst.threads_before) + 12))")"
printf '%-44s %9s %9s         %s\n' "VmRSS before / after 3 floods of 1,000 conns" "$(mib "$(J .attacks.memory.rss_before_kb)")" \
  "$(mib "$(J .attacks.memory.rss_after_kb)")" "(during: $(J '.attacks.memory.rounds.rss_during_kb | map(. / 1024 | . * 10 | round / 10 | tostring) | join(" ")') MiB)"
echo
listeners_table
echo "wrote $OUT ($(J .settings.total_seconds) s)"
