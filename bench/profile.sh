#!/usr/bin/env bash
# Profiles the router under load: a shared echo server behind the packaged jar, a warm-up, then one
# measured generator run recorded by JDK Flight Recorder (allocation, locks, GC) and by async-profiler
# (CPU including kernel time: most of the router's cost is thread hand-offs, which JFR's Java-only
# sampler does not see). Prints the top self frames and the CPU by thread pool.
#
#   bench/profile.sh [sse|streamable] [sessions] [calls-per-session]     defaults: sse 100 500
# Output: target/profile/{router.jfr,cpu.collapsed} (open the .jfr in JDK Mission Control).
set -euo pipefail
cd "$(dirname "$0")/.."
TRANSPORT="${1:-sse}"; SESSIONS="${2:-100}"; CALLS="${3:-500}"
PORT="${BENCH_PORT:-18735}"
OUT=target/profile; mkdir -p "$OUT"

mvn -q -B package -DskipTests
mvn -q -B test-compile -DskipTests
mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test > /dev/null
CP="target/test-classes:$(cat target/bench-classpath.txt)"
mvn -q -B dependency:get -Dartifact=tools.profiler:async-profiler:3.0 >/dev/null
AP_DIR="$OUT/async-profiler"; mkdir -p "$AP_DIR"
unzip -o -q ~/.m2/repository/tools/profiler/async-profiler/3.0/async-profiler-3.0.jar 'linux-x64/*' -d "$AP_DIR"
AP="$PWD/$AP_DIR/linux-x64/libasyncProfiler.so"

ECHO_CMD="exec java -XX:+UseSerialGC -cp $CP io.mcprouter.bench.EchoServer"
cat > "$OUT/bench.toml" <<TOML
[proxy_server]
port = $PORT
[mcp_servers]
shared = { command = "$ECHO_CMD", share_process = true, idle_timeout = 0 }
TOML
MCPROUTER_LOG_LEVEL=WARN java -agentpath:"$AP" -jar target/mcprouter.jar proxy -c "$OUT/bench.toml" > "$OUT/router.log" 2>&1 &
ROUTER=$!
trap 'kill "$ROUTER" 2>/dev/null || true; wait "$ROUTER" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
if [ "$TRANSPORT" = sse ]; then URL="http://127.0.0.1:$PORT/sse/shared"; else URL="http://127.0.0.1:$PORT/mcp/shared"; fi
gen() { java -cp "$CP" io.mcprouter.bench.LoadGenerator --target="$TRANSPORT" --url="$URL" --router-pid="$ROUTER" "$@"; }

gen --sessions=20 --calls=2500 > /dev/null   # warm-up: the JIT settles before anything is recorded
jcmd "$ROUTER" JFR.start name=bench settings=profile filename="$PWD/$OUT/router.jfr" > /dev/null
jcmd "$ROUTER" JVMTI.agent_load "$AP" "\"start,event=cpu,interval=500us,threads\"" > /dev/null
gen --sessions="$SESSIONS" --calls="$CALLS"
jcmd "$ROUTER" JVMTI.agent_load "$AP" "\"stop,file=$PWD/$OUT/cpu.collapsed,collapsed\"" > /dev/null
jcmd "$ROUTER" JFR.stop name=bench > /dev/null

echo; echo "Top self frames (CPU, async-profiler):"
awk '{n=$NF; $NF=""; k=split($0,f,";"); leaf=f[k]; gsub(/ $/,"",leaf); s[leaf]+=n; t+=n}
     END {for (x in s) printf "%6.1f%%  %s\n", 100*s[x]/t, x}' "$OUT/cpu.collapsed" | sort -nr | head -25
echo; echo "CPU by thread pool:"
awk '{n=$NF; split($0,f,";"); th=f[1]; sub(/^\[/,"",th); sub(/ tid=.*/,"",th); sub(/-[0-9]+$/,"",th); s[th]+=n; t+=n}
     END {for (x in s) printf "%6.1f%%  %s\n", 100*s[x]/t, x}' "$OUT/cpu.collapsed" | sort -nr | head -10
echo; echo "Top allocation sites (JFR):"
jfr print --events jdk.ObjectAllocationSample "$OUT/router.jfr" | grep -A1 "stackTrace = \[" | grep -v "stackTrace\|^--" \
  | sed 's/line:.*//' | sort | uniq -c | sort -nr | head -15
