#!/usr/bin/env bash
# Idle-sessions benchmark (issue 6): for each N and each transport (sse, streamable) a fresh router
# (the packaged jar, its own process, one shared echo server) is made to hold N sessions open and
# idle; io.mcprouter.bench.IdleSessions measures the time to open them, the router's memory with them
# open, its threads, and 1,000 sequential pings from one more session while they are open, checks
# they all survived, closes them and checks the memory comes back. Prints two markdown tables.
# Not part of `mvn verify`.
#
#   bench/idle.sh [sessions...]          default: 1000 10000
#
# Memory: the primary per-session cost is the LIVE HEAP delta (jstat used after two full GCs via
# jcmd GC.run), which does not depend on GC policy. RSS is secondary: with the default fixed,
# pre-touched heap (-Xms=-Xmx, AlwaysPreTouch) the heap is fully resident before the test, so the
# RSS delta is what grows OUTSIDE the heap (thread stacks, metaspace, code, direct buffers, malloc);
# without it RSS mostly tracks how far the GC chose to grow the heap, not what the sessions cost.
# The kernel's socket buffers are in neither.
#
# Environment:
#   ROUTER_JAVA_OPTS  JVM options for the router (default: -Xms1g -Xmx1g -XX:+AlwaysPreTouch
#                     -XX:NativeMemoryTracking=summary; without NMT the NMT KiB/session column is n/a)
#   TRANSPORTS        default "sse streamable"
#   IDLE_PORT         router port (default 19201)
#   HOLD              seconds the sessions are held idle before memory is measured (default 20;
#                     the SSE keep-alive comment comes every 15 s)
#   SETTLE            at most this many seconds to wait, before each measurement, for the threads the
#                     router's blocking dispatcher started under the last burst of traffic to time
#                     out (its keep-alive-time is 60 s; default 75; 0 = do not wait)
#   PINGS             pings from the extra session while the N are open (default 1000)
#   CONCURRENCY       sessions opened at once (default 64 workers)
#   MAX_CONNECTIONS   akka.http.server.max-connections for the router (default 30000; Akka's own
#                     default, 1024, caps concurrent connections and so idle SSE/GET streams)
#   DIAGNOSE=1        also log the router's class histogram with the sessions open, and (with
#                     -XX:NativeMemoryTracking=summary in ROUTER_JAVA_OPTS) the NMT categories that grew
#   KEEP_LOGS=1       keep the router logs (their directory is printed)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then set -- 1000 10000; fi
PORT="${IDLE_PORT:-19201}"
TRANSPORTS="${TRANSPORTS:-sse streamable}"
ROUTER_JAVA_OPTS="${ROUTER_JAVA_OPTS:--Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:NativeMemoryTracking=summary}"
HOLD="${HOLD:-20}"
SETTLE="${SETTLE:-75}"
PINGS="${PINGS:-1000}"
CONCURRENCY="${CONCURRENCY:-64}"
MAX_CONNECTIONS="${MAX_CONNECTIONS:-30000}"

# every idle session is one socket in the router and one here; both JVMs inherit this limit
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
largest=0
for n in "$@"; do [ "$n" -gt "$largest" ] && largest=$n; done
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((largest + 1000)) ]; then
  echo "idle.sh: ulimit -n is $(ulimit -n), too low for $largest sessions" >&2
  exit 1
fi

mvn -o -q -B package -DskipTests 2>/dev/null || mvn -q -B package -DskipTests
mvn -o -q -B test-compile -DskipTests 2>/dev/null || mvn -q -B test-compile -DskipTests
CP="target/test-classes:$( (mvn -o -q -B dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test 2>/dev/null) \
  || mvn -q -B dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
ECHO_CMD="exec $JAVA -XX:+UseSerialGC -cp $CP io.mcprouter.bench.EchoServer"

WORK="$(mktemp -d)"
ROUTER=""
stop_router() {
  if [ -n "$ROUTER" ]; then
    local children
    children="$(pgrep -P "$ROUTER" || true)"
    kill "$ROUTER" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$ROUTER" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$ROUTER" 2>/dev/null || true
    wait "$ROUTER" 2>/dev/null || true
    for child in $children; do kill "$child" 2>/dev/null || true; done
    ROUTER=""
  fi
}
cleanup() {
  stop_router
  if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "router logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

cat > "$WORK/idle.toml" <<TOML
[proxy_server]
port = $PORT
[mcp_servers]
shared = { command = "$ECHO_CMD", share_process = true, idle_timeout = 0 }
TOML

rows=()
extras=()
for n in "$@"; do
  for transport in $TRANSPORTS; do
    log="$WORK/router-$transport-$n.log"
    # shellcheck disable=SC2086 # ROUTER_JAVA_OPTS is a list of options
    MCPROUTER_LOG_LEVEL=WARN "$JAVA" $ROUTER_JAVA_OPTS \
      -Dmcprouter.limits.max-sessions-per-key=$((largest * 2 + 1000)) \
      -Dmcprouter.limits.max-sessions=$((largest * 3 + 1000)) \
      -Dakka.http.server.max-connections="$MAX_CONNECTIONS" \
      -jar target/mcprouter.jar proxy -c "$WORK/idle.toml" > "$log" 2>&1 &
    ROUTER=$!
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
    echo "== $transport, $n sessions (router pid $ROUTER)" >&2
    out="$("$JAVA" -Xmx1g -cp "$CP" io.mcprouter.bench.IdleSessions --transport="$transport" --port="$PORT" \
      --sessions="$n" --concurrency="$CONCURRENCY" --pings="$PINGS" --hold="$HOLD" --settle="$SETTLE" --diagnose="$([ "${DIAGNOSE:-0}" = 1 ] && echo true || echo false)" --router-pid="$ROUTER")" || true
    rows+=("$(grep '^ROW ' <<<"$out" | sed 's/^ROW //' || true)")
    extras+=("$(grep '^EXTRA ' <<<"$out" | sed 's/^EXTRA //' || true)")
    if grep -qE 'WARN|ERROR' "$log"; then
      echo "router log ($log), warnings and errors:" >&2
      # timestamps and numbers stripped so that repeats count as one kind
      { grep -E 'WARN|ERROR' "$log" | sed -E 's/^[0-9:.]+ //; s/session=[^ ]+/session=…/g; s/[0-9]{3,}/N/g' \
          | sort | uniq -c | sort -rn | head -20 >&2; } || true
    fi
    stop_router
  done
done

echo
echo "| transport | sessions | open time s | sessions/s | RSS Δ MiB | RSS KiB/session | live heap Δ MiB | heap KiB/session | threads | ping p50 µs | ping p99 µs | ping max µs | errors |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| transport | sessions | opened | open failures | still open after pings | router lists | released after close s | router lists after close | router fds before / open / closed | RSS MiB before → open → closed | live heap MiB before → open → closed | NMT KiB/session | ping errors | ping p50 / p99 µs with no sessions open |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${extras[@]}"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "router: ${ROUTER_JAVA_OPTS}, akka.http.server.max-connections=$MAX_CONNECTIONS; sessions held $HOLD s idle before measuring; $PINGS pings"
