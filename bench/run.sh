#!/usr/bin/env bash
# The benchmark of issue 6: mcprouter (the packaged jar, its own process) and two peer gateways
# (supergateway, mcp-proxy; pinned in bench/package-lock.json) in front of the same one-thread stdio
# echo server (io.mcprouter.bench.EchoServer), against that server over direct stdio (the floor),
# driven by io.mcprouter.bench.LoadGenerator; prints one markdown table (BenchTable: the median run
# of each configuration) and ratio lines. Not part of `mvn verify`.
#
#   bench/run.sh [--quick] [calls-per-session] [many-sessions]
#
# Environment (defaults):
#   BENCH_CALLS=2000        calls per session in the 1-session rows
#   BENCH_MANY=100          sessions in the many-session rows
#   BENCH_MANY_CALLS=200    calls per session in the many-session rows
#   BENCH_RUNS=3            runs per configuration; the table shows the median run (by calls/s)
#   BENCH_PAYLOAD=64        bytes of text per call
#   BENCH_MAX_SECONDS=30    a run's measured window at most (a peer that slows to a crawl is cut)
#   BENCH_PORT=18725        the router's port; the peers use BENCH_PORT+1 .. +3
#   NODE=node               the Node that runs the peers (both need Node >= 20)
#   BENCH_ROUTER_ONLY=      1: only the mcprouter rows (a before/after of the router itself; no floors, no peers)
# --quick: a smoke run (BENCH_CALLS=200, BENCH_MANY_CALLS=50, BENCH_RUNS=1), unless set otherwise.
#
# Rows: the stdio floor (1 session; BENCH_MANY sessions = as many echo processes in parallel, and
# BENCH_MANY sessions multiplexed onto one echo process with unique ids, the floor of a shared child);
# mcprouter with share_process = true (Streamable HTTP and SSE, 1 and BENCH_MANY sessions) and
# share_process = false (BENCH_MANY sessions, one child each); supergateway --outputTransport sse
# and --outputTransport streamableHttp --stateful; mcp-proxy's /sse and /mcp; each at 1 and
# BENCH_MANY sessions. Server CPU is user+sys of the server's whole process tree (its echo child or
# children included, for every row alike) per call; server RSS is the server process alone.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=""
ARGS=()
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
    *) ARGS+=("$a") ;;
  esac
done
CALLS="${ARGS[0]:-${BENCH_CALLS:-${QUICK:+200}}}"
CALLS="${CALLS:-2000}"
MANY="${ARGS[1]:-${BENCH_MANY:-100}}"
MANY_CALLS="${BENCH_MANY_CALLS:-${QUICK:+50}}"
MANY_CALLS="${MANY_CALLS:-200}"
RUNS="${BENCH_RUNS:-${QUICK:+1}}"
RUNS="${RUNS:-3}"
PAYLOAD="${BENCH_PAYLOAD:-64}"
MAX_SECONDS="${BENCH_MAX_SECONDS:-30}"
PORT="${BENCH_PORT:-18725}"
NODE="${NODE:-node}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
ROOT="$PWD"

# --- peers: npm ci only when node_modules is missing or the lock changed ---------------------------
LOCK_SUM="$(sha256sum bench/package-lock.json | cut -d' ' -f1)"
if [[ ! -d bench/node_modules || "$(cat bench/node_modules/.bench-lock.sha256 2>/dev/null)" != "$LOCK_SUM" ]]; then
  (cd bench && npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$LOCK_SUM" > bench/node_modules/.bench-lock.sha256
fi
SUPERGATEWAY="$ROOT/bench/node_modules/supergateway/dist/index.js"
MCP_PROXY="$ROOT/bench/node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs"

# --- build ------------------------------------------------------------------------------------------
mvn -q -B package -DskipTests >&2
# to a file: on stdout, mvn -q puts an ANSI reset in front of the first entry, which then never loads
mvn -q -B dependency:build-classpath -Dmdep.outputFile="$ROOT/target/bench-classpath.txt" -Dmdep.includeScope=test >&2
CP="$ROOT/target/test-classes:$(cat "$ROOT/target/bench-classpath.txt")"
ECHO_ARGV=("$JAVA" -XX:+UseSerialGC -cp "$CP" io.mcprouter.bench.EchoServer)
ECHO_CMD="exec ${ECHO_ARGV[*]}"

WORK="$(mktemp -d)"
SERVER=""          # the pid of the server under test, if one is running
SERVER_NAME=""
descendants() {    # every descendant pid of $1, deepest last
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}
stop_server() {    # TERM the server, wait for it, then KILL any of its descendants still there
  [[ -n "$SERVER" ]] || return 0
  local pids
  pids="$(descendants "$SERVER")"
  kill "$SERVER" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  for _ in $(seq 50); do
    local alive=""
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [[ -z "$alive" ]] && break
    sleep 0.1
  done
  for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
  SERVER=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

await_port() {     # until something accepts on 127.0.0.1:$1 (or the server died)
  for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$SERVER" 2>/dev/null || { echo "run.sh: $SERVER_NAME died at start; its log:" >&2; cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "run.sh: $SERVER_NAME does not listen on $1" >&2
  exit 1
}
settle() {         # until the server's tree is back to $1 processes (children of ended sessions stopped)
  for _ in $(seq 1200); do
    [[ "$(descendants "$SERVER" | wc -l)" -le "$1" ]] && return 0
    sleep 0.1
  done
  echo "run.sh: $SERVER_NAME still has $(descendants "$SERVER" | wc -l) descendants" >&2
}

# the generator's JVM: C1 only (C2 compiling inside the measured window cost it more CPU than it saved)
GEN_JVM=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1)
ROWS="$WORK/rows.md"
: > "$ROWS"
gen() {            # gen LABEL TARGET SESSIONS CALLS [more generator options]: one unmeasured or measured run
  "$JAVA" "${GEN_JVM[@]}" -cp "$CP" io.mcprouter.bench.LoadGenerator --label="$1" --target="$2" --sessions="$3" \
    --calls="$4" --payload="$PAYLOAD" --max-seconds="$MAX_SECONDS" "${@:5}"
}
measure() {        # measure LABEL TARGET SESSIONS CALLS [options]: BENCH_RUNS runs into the rows
  local i
  for i in $(seq "$RUNS"); do
    if gen "$@" > "$WORK/run.out" 2> "$WORK/run.err"; then
      cat "$WORK/run.out" >> "$ROWS"
      grep '^note ' "$WORK/run.err" >> "$ROWS" || true
      grep -v '^note ' "$WORK/run.err" | head -5 >&2 || true
    else
      echo "run.sh: the generator failed on $1 $2 $3:" >&2
      cat "$WORK/run.err" >&2
    fi
    echo "  $(date +%T) $1 $2 x$3 run $i: $(cut -d'|' -f7,8 "$WORK/run.out" 2>/dev/null | tr -s ' ') (calls/s | p50 µs)" >&2
    if [[ -n "$SERVER" ]]; then settle "$BASE"; fi
  done
}
warm() {           # warm TARGET URL [TARGET URL...]: a short unmeasured run each (JIT of server and generator)
  local target url
  while [[ $# -gt 0 ]]; do
    target="$1" url="$2"
    shift 2
    # 20,000 calls: the router's JIT is still compiling its hot path after the first ten thousand
    gen warm-up "$target" 20 "$((CALLS < 1000 ? CALLS : 1000))" --url="$url" --router-pid="$SERVER" --max-seconds=20 \
      > /dev/null 2>&1 || true
  done
}
start() {          # start NAME PORT COMMAND...: the server under test, in the background
  SERVER_NAME="$1"
  local port="$2"
  shift 2
  "$@" > "$WORK/server.log" 2>&1 &
  SERVER=$!
  await_port "$port"
  sleep 0.5
  BASE="$(descendants "$SERVER" | wc -l)"
  echo "run.sh: $SERVER_NAME up (pid $SERVER, $BASE descendants)" >&2
}

CPU_MODEL="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "Benchmark $(date -u '+%Y-%m-%d %H:%M UTC'): nproc $(nproc), ${CPU_MODEL:-unknown CPU}," \
  "$("$JAVA" -version 2>&1 | head -1), node $("$NODE" --version);" \
  "supergateway $(cd bench && "$NODE" -p 'require("./node_modules/supergateway/package.json").version')," \
  "mcp-proxy $(cd bench && "$NODE" -p 'require("./node_modules/mcp-proxy/package.json").version');" \
  "payload $PAYLOAD B, $CALLS calls at 1 session, $MANY_CALLS calls each at $MANY sessions, median of $RUNS runs"
echo

ROUTER_ONLY="${BENCH_ROUTER_ONLY:-}"

# --- the floor: the echo server's own stdio, one process per session --------------------------------
BASE=0
if [[ -z "$ROUTER_ONLY" ]]; then
echo "run.sh: stdio floor" >&2
# warmed up in-process like the servers' shared children are, except with a process per session:
# a gateway's per-session children are fresh too
measure "stdio floor" stdio 1 "$CALLS" --command="$ECHO_CMD" --warmup-calls=5000
measure "stdio floor" stdio "$MANY" "$MANY_CALLS" --command="$ECHO_CMD"
measure "stdio floor, one process" stdio "$MANY" "$MANY_CALLS" --command="$ECHO_CMD" --share-process=true \
  --warmup-calls="$(((5000 + MANY - 1) / MANY))"
fi

# --- mcprouter ----------------------------------------------------------------------------------------
cat > "$WORK/bench.toml" <<TOML
[proxy_server]
port = $PORT
[mcp_servers]
shared = { command = "$ECHO_CMD", share_process = true, idle_timeout = 0 }
dedicated = { command = "$ECHO_CMD", share_process = false }
TOML
R="http://127.0.0.1:$PORT"
export MCPROUTER_LOG_LEVEL=WARN
start mcprouter "$PORT" "$JAVA" -jar target/mcprouter.jar proxy -c "$WORK/bench.toml"
warm streamable "$R/mcp/shared" sse "$R/sse/shared"
BASE="$(descendants "$SERVER" | wc -l)" # the shared child is up now
warm streamable "$R/mcp/dedicated" sse "$R/sse/dedicated"
settle "$BASE"
for t in streamable sse; do
  path=$([[ $t == sse ]] && echo sse || echo mcp)
  measure "mcprouter shared" "$t" 1 "$CALLS" --url="$R/$path/shared" --router-pid="$SERVER"
  measure "mcprouter shared" "$t" "$MANY" "$MANY_CALLS" --url="$R/$path/shared" --router-pid="$SERVER"
done
for t in streamable sse; do
  path=$([[ $t == sse ]] && echo sse || echo mcp)
  measure "mcprouter dedicated" "$t" "$MANY" "$MANY_CALLS" --url="$R/$path/dedicated" --router-pid="$SERVER"
done
stop_server

if [[ -z "$ROUTER_ONLY" ]]; then
# --- supergateway: one child for every SSE session (answers go to every session), one per stateful
# --- Streamable HTTP session ----------------------------------------------------------------------------
P=$((PORT + 1))
start "supergateway (sse)" "$P" "$NODE" "$SUPERGATEWAY" --stdio "$ECHO_CMD" --port "$P" --outputTransport sse --logLevel none
warm sse "http://127.0.0.1:$P/sse"
settle "$BASE"
measure supergateway sse 1 "$CALLS" --url="http://127.0.0.1:$P/sse" --router-pid="$SERVER"
measure supergateway sse "$MANY" "$MANY_CALLS" --url="http://127.0.0.1:$P/sse" --router-pid="$SERVER"
stop_server

P=$((PORT + 2))
start "supergateway (streamableHttp --stateful)" "$P" "$NODE" "$SUPERGATEWAY" --stdio "$ECHO_CMD" --port "$P" \
  --outputTransport streamableHttp --stateful --logLevel none
warm streamable "http://127.0.0.1:$P/mcp"
settle "$BASE"
measure "supergateway --stateful" streamable 1 "$CALLS" --url="http://127.0.0.1:$P/mcp" --router-pid="$SERVER"
measure "supergateway --stateful" streamable "$MANY" "$MANY_CALLS" --url="http://127.0.0.1:$P/mcp" --router-pid="$SERVER"
stop_server

# --- mcp-proxy: one child for everything, /sse and /mcp ---------------------------------------------------
P=$((PORT + 3))
start "mcp-proxy" "$P" "$NODE" "$MCP_PROXY" --port "$P" --host 127.0.0.1 -- "${ECHO_ARGV[@]}"
warm sse "http://127.0.0.1:$P/sse" streamable "http://127.0.0.1:$P/mcp"
settle "$BASE"
for t in sse streamable; do
  path=$([[ $t == sse ]] && echo sse || echo mcp)
  measure "mcp-proxy" "$t" 1 "$CALLS" --url="http://127.0.0.1:$P/$path" --router-pid="$SERVER"
  measure "mcp-proxy" "$t" "$MANY" "$MANY_CALLS" --url="http://127.0.0.1:$P/$path" --router-pid="$SERVER"
done
stop_server
fi

"$JAVA" -cp "$CP" io.mcprouter.bench.BenchTable "$ROWS"
echo
echo "($((SECONDS / 60)) min $((SECONDS % 60)) s in all, build included)"
