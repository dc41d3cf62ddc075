#!/bin/bash
# bench/run.sh - `make bench`: serving, footprint, scheduling, start-up and
# isolation of vitalsd, side by side with nginx, on 127.0.0.1, in one run of
# a few minutes. Prints a table and writes bench/results/<date>.json.
# bench/README.md explains every figure.
#
# usage: bench/run.sh [BUILD_DIR]        (default: build)
#
# Knobs (environment): BENCH_DURATION (s per wrk run, 10), BENCH_ROUNDS (3),
# BENCH_SCHED_DURATION (s, 30), BENCH_STARTUP_REPS (30), BENCH_PORT (first
# of the ports used, 18500), BENCH_OUT (the JSON file to write),
# BENCH_NO_BUILD=1 (use the vitalsd already in BUILD_DIR).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
DUR=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
SCHED_DUR=${BENCH_SCHED_DURATION:-30}
STARTUP_REPS=${BENCH_STARTUP_REPS:-30}
PORT=${BENCH_PORT:-18500}
DATE=$(date -u +%Y-%m-%d)
OUT=${BENCH_OUT:-$ROOT/bench/results/$DATE.json}
HZ=$(getconf CLK_TCK)
T_START=$(date +%s)

P_VITALS=$PORT          # vitalsd, 10 checks (serving, footprint)
P_NGINX=$((PORT + 1))   # nginx
P_BIG=$((PORT + 2))     # vitalsd, 10,000 checks / 1,000 exec checks
P_ISO=$((PORT + 3))     # vitalsd, isolation
P_START=$((PORT + 4))   # start-up

log() { printf '%s\n' "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------------------
# Dependencies (Debian packages, as scripts/deps.sh does) and the build

deps="nginx-light wrk jq curl procps gcc"
missing=""
for p in $deps; do
  case $p in nginx-light) command -v nginx >/dev/null && continue ;; esac
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
BT=$WORK/benchtool

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
passive_opens() { # connections accepted on this machine so far
  awk '$1 == "Tcp:" { if (!h) { for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") c = i; h = 1 } else print $c }' /proc/net/snmp
}
now() { date +%s.%N; }
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
stop_pid() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# A vitalsd configuration: PORT INTERVAL, the "name: {...}" check lines on
# standard input.
config() {
  printf 'service: {id: bench, description: "vitals benchmark", version: "1", release_id: "0.0.0"}\n'
  printf 'listen: ["127.0.0.1:%s"]\n' "$1"
  printf 'defaults: {interval: %s, timeout: 5s}\n' "$2"
  printf 'checks:\n'
  sed 's/^/  /'
}
disk_checks() { # N [PREFIX]: cheap checks that pass (statvfs of /)
  awk -v n="$1" -v p="${2:-disk}" 'BEGIN { for (i = 0; i < n; i++) printf "%s%05d: {type: disk, path: /, degraded_below: 1B}\n", p, i }'
}

# One wrk run: NAME URL CONNS PID... . Appends a line to $SERVING:
# name conns requests rps rpcpu p50_ms p99_ms cpu_share conns_opened non2xx
# socket_errors.
wrk_run() {
  local name=$1 url=$2 conns=$3 out c0 c1 o0 o1 t0 t1
  shift 3
  out=$WORK/wrk.$name.$conns.txt
  c0=$(cpu_ticks self "$@")
  o0=$(passive_opens)
  t0=$(now)
  wrk -t1 -c"$conns" -d"${DUR}s" --latency "$url" >"$out" 2>&1 || true
  t1=$(now)
  o1=$(passive_opens)
  c1=$(cpu_ticks self "$@")
  awk -v name="$name" -v conns="$conns" -v cpu=$((c1 - c0)) -v hz="$HZ" \
    -v wall="$(calc "$t1 - $t0")" -v opened=$((o1 - o0)) '
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
      printf "%s %d %d %.1f %.1f %.4f %.4f %.4f %d %d %d\n", name, conns, req, rps,
        (cpus > 0 ? req / cpus : 0), p50, p99, cpus / wall, opened, non2xx, serr
    }' "$out" >>"$SERVING"
}

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
kvs versions.vitals "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
kv settings.wrk_seconds "$DUR"
kv settings.rounds "$ROUNDS"
kv settings.sched_seconds "$SCHED_DUR"
kv settings.startup_reps "$STARTUP_REPS"
log "machine: $(nproc) x $CPU_MODEL, load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------
# 1. Serving, and 2. footprint with 10 checks

log "1. serving: vitalsd (10 disk checks) and nginx, ${ROUNDS} rounds x ${DUR}s x 6 runs"
disk_checks 10 | config "$P_VITALS" 10s >"$WORK/c10.yaml"
start_vitalsd "$WORK/c10.yaml" "$WORK/vitalsd.c10.log"
V10=$VPID
wait_http "http://127.0.0.1:$P_VITALS/health"
sleep 1
RSS10_IDLE=$(rss_kb "$V10")
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

SERVING=$WORK/serving.txt
: >"$SERVING"
RSS10_AFTER=()
for ((r = 1; r <= ROUNDS; r++)); do
  for c in 50 200; do
    echo "round $r" >>"$SERVING"
    wrk_run nginx "http://127.0.0.1:$P_NGINX/health" "$c" "${NG_ALL[@]}"
    wrk_run health "http://127.0.0.1:$P_VITALS/health" "$c" "$V10"
    wrk_run v2 "http://127.0.0.1:$P_VITALS/api/v2/health" "$c" "$V10"
    if [ "$c" = 200 ]; then
      RSS10_AFTER+=("$(rss_kb "$V10")")
      RSS_NG_AFTER=$(rss_kb "${NG_ALL[@]}")
    fi
  done
  log "  round $r done"
done
RSS10_HWM=$(RSS_FIELD=VmHWM rss_kb "$V10")
THREADS10=$(threads "$V10")
stop_pid "$V10"
stop_pid "$NG"

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
#               share opened non2xx serr | r_rps r_rpcpu r_p50 r_p99
col() { # NAME CONNS FIELD: that field over the rounds
  awk -v n="$1" -v c="$2" -v f="$3" '$3 == n && $2 == c {print $f}' "$WORK/serving.rows"
}
for c in 50 200; do
  for n in nginx health v2; do
    i=0
    for f in requests:6 rps:7 rpcpu:8 p50_ms:9 p99_ms:10 cpu_share:11 conns_opened:12 non2xx:13 socket_errors:14 \
      rps_ratio:15 rpcpu_ratio:16 p50_ratio:17 p99_ratio:18; do
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
kv footprint.c10.rss_idle_kb "$RSS10_IDLE"
kv footprint.c10.rss_after_load_kb "$(median "${RSS10_AFTER[@]}")"
kv footprint.c10.rss_after_load_max_kb "$(printf '%s\n' "${RSS10_AFTER[@]}" | sort -n | tail -1)"
kv footprint.c10.hwm_kb "$RSS10_HWM"
kv footprint.c10.threads "$THREADS10"
kv footprint.nginx.rss_idle_kb "$RSS_NG_IDLE"
kv footprint.nginx.rss_after_load_kb "$RSS_NG_AFTER"

# ---------------------------------------------------------------------------
# 3. Scheduling, and 2. footprint with 10,000 checks

ticks_window() { # PID DELAY SECONDS: self and children ticks over a window
  sleep "$2"
  local s0 k0 t0
  s0=$(cpu_ticks self "$1")
  k0=$(cpu_ticks children "$1")
  t0=$(now)
  sleep "$3"
  echo "$(($(cpu_ticks self "$1") - s0)) $(($(cpu_ticks children "$1") - k0)) $(calc "$(now) - $t0")"
}

log "3. scheduling: 10,000 disk checks every 1s, CPU over ${SCHED_DUR}s"
disk_checks 10000 c | config "$P_BIG" 1s >"$WORK/c10k.yaml"
t0=$(now)
start_vitalsd "$WORK/c10k.yaml" "$WORK/vitalsd.c10k.log"
VBIG=$VPID
wait_http "http://127.0.0.1:$P_BIG/health" 200 120
kv scheduling.c10k.time_to_first_200_s "$(calc "$(now) - $t0")"
read -r s k w < <(ticks_window "$VBIG" 5 "$SCHED_DUR")
kv scheduling.c10k.cpu_share "$(calc "$s / $HZ / $w")"
kv scheduling.c10k.threads "$(threads "$VBIG")"
REF_STATVFS=$("$BT" statvfs 10000 / 5)
kv scheduling.c10k.reference_cpu_share "$REF_STATVFS"
kv scheduling.c10k.ratio_to_reference "$(calc "$s / $HZ / $w / $REF_STATVFS")"
kv footprint.c10k.rss_idle_kb "$(rss_kb "$VBIG")"
curl -s -o "$WORK/body10k.json" "http://127.0.0.1:$P_BIG/health"
kv footprint.c10k.body_bytes "$(wc -c <"$WORK/body10k.json")"
SERVING=$WORK/serving10k.txt
: >"$SERVING"
wrk_run health10k "http://127.0.0.1:$P_BIG/health" 200 "$VBIG"
kv footprint.c10k.rss_after_load_kb "$(rss_kb "$VBIG")"
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
disk_checks 1 | config "$P_START" 10s >"$WORK/start.yaml"
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

log "5. isolation: p99 of /health with 100 exec checks hung on their timeouts, and with none"
iso_config() { # hung|none
  local cmd='["/bin/true"]' opts='interval: 1h, timeout: 30s'
  [ "$1" = hung ] && cmd='["/bin/sleep", "60"]' && opts='interval: 1s, timeout: 30s'
  {
    disk_checks 10
    awk -v c="$cmd" -v o="$opts" 'BEGIN { for (i = 0; i < 100; i++) printf "h%03d: {type: exec, command: %s, %s, critical: false}\n", i, c, o }'
  } | config "$P_ISO" 1s
}
iso_config hung >"$WORK/iso.hung.yaml"
iso_config none >"$WORK/iso.none.yaml"
SERVING=$WORK/iso.txt
: >"$SERVING"
for ((r = 1; r <= ROUNDS; r++)); do
  for mode in none hung; do
    start_vitalsd "$WORK/iso.$mode.yaml" "$WORK/vitalsd.iso.log"
    wait_http "http://127.0.0.1:$P_ISO/health" any 30
    sleep 2 # the disk checks ran; the hung ones are hung (until 30 s)
    if [ "$r" = 1 ]; then
      kv "isolation.$mode.body_bytes" "$(curl -s "http://127.0.0.1:$P_ISO/health" | wc -c)"
      kv "isolation.$mode.children_running" "$(ps -o pid= --ppid "$VPID" | wc -l)"
    fi
    wrk_run "$mode" "http://127.0.0.1:$P_ISO/health" 50 "$VPID"
    stop_pid "$VPID"
  done
done
for mode in none hung; do
  mapfile -t v < <(awk -v m="$mode" '$1 == m {print $7}' "$SERVING")
  kv "isolation.$mode.p99_ms" "$(median "${v[@]}")"
  mapfile -t v < <(awk -v m="$mode" '$1 == m {print $6}' "$SERVING")
  kv "isolation.$mode.p50_ms" "$(median "${v[@]}")"
  mapfile -t v < <(awk -v m="$mode" '$1 == m {print $4}' "$SERVING")
  kv "isolation.$mode.rps" "$(median "${v[@]}")"
done
mapfile -t ratios < <(awk '$1 == "none" {n[++i] = $7} $1 == "hung" {printf "%.4f\n", $7 / n[++j]}' "$SERVING")
kv isolation.p99_ratio "$(median "${ratios[@]}")"

T_END=$(date +%s)
kv settings.total_seconds $((T_END - T_START))

# ---------------------------------------------------------------------------
# The JSON and the table

mkdir -p "$(dirname "$OUT")"
jq -Rn '[inputs | split("\t") | {k: (.[0] | split(".")),
          v: (.[1] | if startswith("s:") then .[2:] else (tonumber? // .) end)}]
        | reduce .[] as $x ({}; setpath($x.k; $x.v))' <"$KV" >"$OUT"

J() { jq -r "$1" "$OUT"; }
pct() { awk -v x="$1" 'BEGIN { printf "%.1f%%", x * 100 }'; }
mib() { awk -v x="$1" 'BEGIN { printf "%.1f MiB", x / 1024 }'; }
verdict() { awk -v x="$1" -v op="$2" -v t="$3" 'BEGIN { ok = op == "<=" ? x <= t : x >= t; print ok ? "met" : "MISSED" }'; }

echo
echo "vitals bench  $(J .machine.date)  $(J .machine.nproc) x $(J .machine.cpu)  load $(J .machine.loadavg)  vitals $(J .versions.vitals)"
echo
echo "1. Serving: wrk -t1, keep-alive, ${DUR}s x ${ROUNDS} rounds, medians; ratio = x / nginx in the same round"
printf '%-22s %5s %9s %7s %10s %6s %6s %8s %6s %8s %6s %6s %7s  %s\n' \
  server conns req/s ratio req/cpu-s ratio cpu p50-ms ratio p99-ms ratio conns non2xx target
for c in 50 200; do
  for n in nginx health v2; do
    case $n in nginx) label="nginx /health" ;; health) label="vitalsd /health" ;; v2) label="vitalsd /api/v2/health" ;; esac
    b=".serving.c$c.$n"
    if [ "$n" = nginx ]; then
      t="-"
    else
      a=$(verdict "$(J "$b.rpcpu_ratio")" ">=" 1.0)
      p=$(verdict "$(J "$b.p99_ratio")" "<=" 1.0)
      t="req/cpu-s $a, p99 $p"
    fi
    printf '%-22s %5s %9.0f %7.2f %10.0f %6.2f %6s %8.3f %6.2f %8.3f %6.2f %6s %7s  %s\n' \
      "$label" "$c" "$(J "$b.rps")" "$(J "$b.rps_ratio")" "$(J "$b.rpcpu")" "$(J "$b.rpcpu_ratio")" \
      "$(pct "$(J "$b.cpu_share")")" "$(J "$b.p50_ms")" "$(J "$b.p50_ratio")" "$(J "$b.p99_ms")" \
      "$(J "$b.p99_ratio")" "$(J "$b.conns_opened")" "$(J "$b.non2xx")" "$t"
  done
done
echo "keep-alive: curl reuses one connection: /health $(J .serving.keepalive_curl.health), /api/v2/health $(J .serving.keepalive_curl.v2), nginx $(J .serving.keepalive_curl.nginx) (1 = yes);"
echo "            'conns' = connections accepted during a run (keep-alive kept: about the wrk connection count)"
echo "bodies: /health $(J .serving.body_bytes.health) B (nginx serves the same bytes), /api/v2/health $(J .serving.body_bytes.v2) B"
echo
echo "2. Footprint (VmRSS)"
printf '%-44s %10s %7s  %s\n' "" RSS "x nginx" target
printf '%-44s %10s %7s\n' "vitalsd, 10 checks, idle" "$(mib "$(J .footprint.c10.rss_idle_kb)")" \
  "$(calc "$(J .footprint.c10.rss_idle_kb) / $(J .footprint.nginx.rss_idle_kb)" | xargs printf '%.2f')"
printf '%-44s %10s %7s  %s\n' "vitalsd, 10 checks, after 200-conn load" "$(mib "$(J .footprint.c10.rss_after_load_kb)")" \
  "$(calc "$(J .footprint.c10.rss_after_load_kb) / $(J .footprint.nginx.rss_after_load_kb)" | xargs printf '%.2f')" \
  "<= 8 MiB: $(verdict "$(J .footprint.c10.rss_after_load_kb)" "<=" 8192)"
printf '%-44s %10s\n' "vitalsd, 10,000 checks, idle" "$(mib "$(J .footprint.c10k.rss_idle_kb)")"
printf '%-44s %10s %7s  %s\n' "vitalsd, 10,000 checks, after 200-conn load" "$(mib "$(J .footprint.c10k.rss_after_load_kb)")" "" \
  "<= 40 MiB: $(verdict "$(J .footprint.c10k.rss_after_load_kb)" "<=" 40960)"
printf '%-44s %10s\n' "nginx (master + 2 workers), idle" "$(mib "$(J .footprint.nginx.rss_idle_kb)")"
printf '%-44s %10s\n' "nginx (master + 2 workers), after load" "$(mib "$(J .footprint.nginx.rss_after_load_kb)")"
echo "(10,000 checks: /health body $(J .footprint.c10k.body_bytes) B, $(J .footprint.c10k.load_rps | xargs printf '%.0f') req/s at 200 conns, p99 $(J .footprint.c10k.load_p99_ms) ms)"
echo
echo "3. Scheduling: CPU of vitalsd as a share of one core over ${SCHED_DUR}s"
printf '%-44s %8s %10s %7s  %s\n' "" vitalsd reference ratio target
printf '%-44s %8s %10s %7.1f  %s\n' "10,000 disk checks every 1s" "$(pct "$(J .scheduling.c10k.cpu_share)")" \
  "$(pct "$(J .scheduling.c10k.reference_cpu_share)")" "$(J .scheduling.c10k.ratio_to_reference)" \
  "<= 15%: $(verdict "$(J .scheduling.c10k.cpu_share)" "<=" 0.15)"
printf '%-44s %8s %10s %7.1f  %s\n' "1,000 exec checks (/bin/true) every 10s" "$(pct "$(J .scheduling.exec1k.cpu_share)")" \
  "$(pct "$(J .scheduling.exec1k.reference_cpu_share)")" "$(J .scheduling.exec1k.ratio_to_reference)" \
  "<= 10%: $(verdict "$(J .scheduling.exec1k.cpu_share)" "<=" 0.10)"
echo "(reference: the bare statvfs() / posix_spawn()+waitpid() calls in a C loop; exec children: $(pct "$(J .scheduling.exec1k.children_cpu_share)") vs $(pct "$(J .scheduling.exec1k.reference_children_cpu_share)"); threads: $(J .scheduling.c10k.threads) / $(J .scheduling.exec1k.threads))"
echo
echo "4. Start-up: exec to the first 200 on /health, median of ${STARTUP_REPS}"
printf '%-44s %8.1f ms  x nginx %.2f  %s\n' "vitalsd (1 disk check)" "$(J .startup.vitalsd_first_200_ms)" \
  "$(J .startup.ratio_to_nginx)" "<= 5 ms: $(verdict "$(J .startup.vitalsd_first_200_ms)" "<=" 5)"
printf '%-44s %8.1f ms\n' "vitalsd, first answer of any status (503)" "$(J .startup.vitalsd_first_answer_ms)"
printf '%-44s %8.1f ms\n' "nginx" "$(J .startup.nginx_first_200_ms)"
echo
echo "5. Isolation: /health p99 at 50 conns with 100 exec checks hung on their timeouts vs none"
for mode in none hung; do
  printf '%-44s %8.3f ms  (p50 %.3f ms, %.0f req/s, body %s B, %s commands running)\n' \
    "$([ $mode = none ] && echo "none hung (100 x /bin/true, done)" || echo "100 hung (sleep 60, timeout 30s)")" \
    "$(J .isolation.$mode.p99_ms)" "$(J .isolation.$mode.p50_ms)" "$(J .isolation.$mode.rps)" \
    "$(J .isolation.$mode.body_bytes)" "$(J .isolation.$mode.children_running)"
done
printf '%-44s %8.2f     %s\n' "ratio" "$(J .isolation.p99_ratio)" "<= 1.2: $(verdict "$(J .isolation.p99_ratio)" "<=" 1.2)"
echo
echo "wrote $OUT ($(J .settings.total_seconds) s)"
