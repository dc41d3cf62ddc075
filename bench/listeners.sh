# bench/listeners.sh - section 6 of `make bench`: what the HAProxy agent and
# gRPC health listeners cost, each next to a reference measured in the same
# run. Sourced by bench/run.sh, whose helpers it uses (cpu_ticks,
# passive_opens, kv, ...); `BENCH_ONLY=listeners bench/run.sh` runs this
# section alone. bench/README.md explains the figures.
#
#   agent: HAProxy's own agent checks (50 servers, agent-inter 10ms, only
#          agent-check) against vitalsd's agent listener, then against
#          `benchtool agent` (accept, read, "up 100%", close: the least an
#          agent can do). Figure: connections answered per CPU-second of
#          the server (connections = TCP passive opens on the machine).
#   grpc:  h2load (nghttp2-client) calling Check on one connection per
#          client, against vitalsd's grpc listener, then against the
#          reference gRPC health server: grpc-health-check's own
#          HealthImplementation on @grpc/grpc-js (node). Figure: Check
#          calls per CPU-second of the server.

P_AGENT=$((PORT + 6))     # vitalsd's agent listener (HTTP on PORT + 9)
P_AGENT_REF=$((PORT + 7)) # benchtool agent
P_GRPC=$((PORT + 8))      # vitalsd's grpc listener
P_GRPC_REF=$((PORT + 10)) # the reference gRPC server
L_DUR=${BENCH_LISTENER_DURATION:-10}

# CPU ticks and passive opens over one HAProxy run against agent port $1,
# charged to the server processes $2...: "opens ticks seconds".
agent_run() {
  local port=$1 t0 o0 c0 hp i
  shift
  {
    printf 'global\n  stats socket %s/hb.sock\n' "$WORK"
    printf 'defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout check 1s\n'
    printf 'backend be\n  default-server agent-check agent-port %s agent-inter 10ms agent-send "ready\\n"\n' "$port"
    for i in $(seq 50); do printf '  server s%s 127.0.0.1:9\n' "$i"; done
  } >"$WORK/agent-bench.cfg"
  haproxy -f "$WORK/agent-bench.cfg" -db >>"$WORK/haproxy.log" 2>&1 &
  hp=$!
  PIDS+=("$hp")
  sleep 1
  c0=$(cpu_ticks self "$@")
  o0=$(passive_opens)
  t0=$(now)
  sleep "$L_DUR"
  echo "$(($(passive_opens) - o0)) $(($(cpu_ticks self "$@") - c0)) $(calc "$(now) - $t0")"
  kill "$hp" 2>/dev/null || true
  wait "$hp" 2>/dev/null || true
}

# One h2load run of Check calls against port $1, charged to the server
# processes $2...: "calls ticks seconds errors".
grpc_run() {
  local port=$1 c0 t0 out
  shift
  out=$WORK/h2load.$port.txt
  c0=$(cpu_ticks self "$@")
  t0=$(now)
  h2load -D "$L_DUR" -c 4 -m 10 -d "$WORK/check.bin" -H 'content-type: application/grpc' \
    -H 'te: trailers' "http://127.0.0.1:$port/grpc.health.v1.Health/Check" >"$out" 2>&1 || true
  awk -v ticks=$(($(cpu_ticks self "$@") - c0)) -v wall="$(calc "$(now) - $t0")" \
    '$1 == "requests:" { ok = $8; bad = $10 + $12 }
     END { printf "%d %d %s %d\n", ok, ticks, wall, bad }' "$out"
}

listeners_bench() {
  local v ref node_ok=0 r opens ticks secs calls errs
  log "6. listeners: HAProxy agent-check and gRPC Check, vitalsd vs a reference, ${ROUNDS} rounds x ${L_DUR}s"
  {
    cheap_checks 10 | config "$((PORT + 9))" 10s
    printf 'listen:\n  - "127.0.0.1:%s"\n  - {address: "127.0.0.1:%s", kind: agent}\n  - {address: "127.0.0.1:%s", kind: grpc}\n' \
      "$((PORT + 9))" "$P_AGENT" "$P_GRPC"
  } | sed '2d' >"$WORK/listeners.yaml" # config's own listen: line replaced
  start_vitalsd "$WORK/listeners.yaml" "$WORK/vitalsd.listeners.log"
  v=$VPID
  wait_http "http://127.0.0.1:$((PORT + 9))/health"
  "$BT" agent "$P_AGENT_REF" &
  ref=$!
  PIDS+=("$ref")
  printf '\0\0\0\0\0' >"$WORK/check.bin" # Check(""), length-prefixed
  if [ -d "$ROOT/tests/support/node_modules/grpc-health-check" ] ||
    npm ci --prefix "$ROOT/tests/support" --no-audit --no-fund >/dev/null 2>&1; then
    node "$ROOT/tests/support/grpc-client.mjs" serve "$P_GRPC_REF" >"$WORK/grpc-ref.port" 2>&1 &
    GREF=$!
    PIDS+=("$GREF")
    for _ in $(seq 100); do [ -s "$WORK/grpc-ref.port" ] && break; sleep 0.1; done
    grep -qx "$P_GRPC_REF" "$WORK/grpc-ref.port" && node_ok=1
  fi
  for ((r = 0; r < ROUNDS; r++)); do
    read -r opens ticks secs < <(agent_run "$P_AGENT" "$v")
    kv "listeners.agent.vitalsd.rounds.conns_per_cpu_s.$r" "$(calc "$opens / ($ticks / $HZ + 1e-9)")"
    kv "listeners.agent.vitalsd.rounds.conns_per_s.$r" "$(calc "$opens / $secs")"
    read -r opens ticks secs < <(agent_run "$P_AGENT_REF" "$ref")
    kv "listeners.agent.reference.rounds.conns_per_cpu_s.$r" "$(calc "$opens / ($ticks / $HZ + 1e-9)")"
    kv "listeners.agent.reference.rounds.conns_per_s.$r" "$(calc "$opens / $secs")"
    read -r calls ticks secs errs < <(grpc_run "$P_GRPC" "$v")
    kv "listeners.grpc.vitalsd.rounds.calls_per_cpu_s.$r" "$(calc "$calls / ($ticks / $HZ + 1e-9)")"
    kv "listeners.grpc.vitalsd.rounds.calls_per_s.$r" "$(calc "$calls / $secs")"
    kv "listeners.grpc.vitalsd.rounds.errors.$r" "$errs"
    if [ "$node_ok" = 1 ]; then
      read -r calls ticks secs errs < <(grpc_run "$P_GRPC_REF" "$GREF")
      kv "listeners.grpc.reference.rounds.calls_per_cpu_s.$r" "$(calc "$calls / ($ticks / $HZ + 1e-9)")"
      kv "listeners.grpc.reference.rounds.calls_per_s.$r" "$(calc "$calls / $secs")"
      kv "listeners.grpc.reference.rounds.errors.$r" "$errs"
    fi
    log "  round $((r + 1)) done"
  done
  kv listeners.grpc.reference_available "$node_ok"
  kv listeners.seconds "$L_DUR"
  stop_pid "$v"
  stop_pid "$ref"
  [ "$node_ok" = 1 ] && stop_pid "$GREF"
  local f
  for f in agent.vitalsd.conns_per_cpu_s agent.vitalsd.conns_per_s agent.reference.conns_per_cpu_s \
    agent.reference.conns_per_s grpc.vitalsd.calls_per_cpu_s grpc.vitalsd.calls_per_s \
    grpc.reference.calls_per_cpu_s grpc.reference.calls_per_s; do
    mapfile -t vals < <(awk -F'\t' -v k="listeners.${f%.*}.rounds.${f##*.}." 'index($1, k) == 1 {print $2}' "$KV")
    [ "${#vals[@]}" -gt 0 ] && kv "listeners.$f" "$(median "${vals[@]}")"
  done
  return 0
}

listeners_table() {
  local ref_http
  echo "6. Listeners: ${L_DUR}s x ${ROUNDS} rounds, medians; per CPU-second of the server process"
  printf '%-52s %12s %10s %7s\n' "" per-cpu-s "per s" ratio
  printf '%-52s %12.0f %10.0f %7.2f\n' "vitalsd agent-check (HAProxy, 50 servers, 10ms)" \
    "$(J .listeners.agent.vitalsd.conns_per_cpu_s)" "$(J .listeners.agent.vitalsd.conns_per_s)" \
    "$(calc "$(J .listeners.agent.vitalsd.conns_per_cpu_s) / $(J .listeners.agent.reference.conns_per_cpu_s)")"
  printf '%-52s %12.0f %10.0f\n' "reference: benchtool agent (accept, read, write, close)" \
    "$(J .listeners.agent.reference.conns_per_cpu_s)" "$(J .listeners.agent.reference.conns_per_s)"
  if [ "$(J .listeners.grpc.reference_available)" = 1 ]; then
    printf '%-52s %12.0f %10.0f %7.2f\n' "vitalsd gRPC Check (h2load -c4 -m10)" \
      "$(J .listeners.grpc.vitalsd.calls_per_cpu_s)" "$(J .listeners.grpc.vitalsd.calls_per_s)" \
      "$(calc "$(J .listeners.grpc.vitalsd.calls_per_cpu_s) / $(J .listeners.grpc.reference.calls_per_cpu_s)")"
    printf '%-52s %12.0f %10.0f\n' "reference: grpc-health-check on @grpc/grpc-js (node)" \
      "$(J .listeners.grpc.reference.calls_per_cpu_s)" "$(J .listeners.grpc.reference.calls_per_s)"
  else
    printf '%-52s %12.0f %10.0f\n' "vitalsd gRPC Check (h2load -c4 -m10)" \
      "$(J .listeners.grpc.vitalsd.calls_per_cpu_s)" "$(J .listeners.grpc.vitalsd.calls_per_s)"
    echo "(no node for the reference gRPC server: compare with /health's req/cpu-s in section 1)"
  fi
  ref_http=$(J '.serving.c50.health.rpcpu // empty')
  [ -n "$ref_http" ] && printf '%-52s %12.0f\n' "for scale: vitalsd HTTP /health, 50 conns (section 1)" "$ref_http"
  echo "(connections: TCP passive opens on the machine during the run, so other processes' connections count too)"
  echo
}
