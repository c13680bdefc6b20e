#!/usr/bin/env bash
# First cut of the benchmark harness (issue 6, in progress): the router (the packaged jar, its own
# process) in front of a one-thread stdio echo server, against the same server over direct stdio
# (the floor). Prints one markdown table. Not part of `mvn verify`.
#
#   bench/run.sh [calls-per-session] [many-sessions]      defaults: 2000 100
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS="${1:-2000}"
MANY="${2:-100}"
PORT="${BENCH_PORT:-18725}"

mvn -q -B package -DskipTests
mvn -q -B test-compile -DskipTests
CP="target/test-classes:$(mvn -q -B dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
ECHO_CMD="exec $JAVA -XX:+UseSerialGC -cp $CP io.mcprouter.bench.EchoServer"

WORK="$(mktemp -d)"
trap 'kill "$ROUTER" 2>/dev/null || true; wait "$ROUTER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
cat > "$WORK/bench.toml" <<TOML
[proxy_server]
port = $PORT
[mcp_servers]
shared = { command = "$ECHO_CMD", share_process = true, idle_timeout = 0 }
dedicated = { command = "$ECHO_CMD", share_process = false }
TOML
MCPROUTER_LOG_LEVEL=WARN "$JAVA" -jar target/mcprouter.jar proxy -c "$WORK/bench.toml" > "$WORK/router.log" 2>&1 &
ROUTER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

gen() { "$JAVA" -cp "$CP" io.mcprouter.bench.LoadGenerator --router-pid="$ROUTER" --calls="$CALLS" "$@"; }

# warm-up: the router's JIT compiles its hot path before anything is measured
gen --target=streamable --url="http://127.0.0.1:$PORT/mcp/shared" --sessions=10 > /dev/null
gen --target=sse --url="http://127.0.0.1:$PORT/sse/shared" --sessions=10 > /dev/null

echo "| target | sessions | calls each | payload | calls/s | p50 µs | p90 µs | p99 µs | max µs | errors | mismatched | router CPU µs/call | router RSS MiB | generator CPU |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
"$JAVA" -cp "$CP" io.mcprouter.bench.LoadGenerator --target=stdio --command="$ECHO_CMD" --sessions=1 --calls="$CALLS"
gen --target=streamable --url="http://127.0.0.1:$PORT/mcp/shared" --sessions=1
gen --target=sse --url="http://127.0.0.1:$PORT/sse/shared" --sessions=1
gen --target=streamable --url="http://127.0.0.1:$PORT/mcp/shared" --sessions="$MANY"
gen --target=sse --url="http://127.0.0.1:$PORT/sse/shared" --sessions="$MANY"
