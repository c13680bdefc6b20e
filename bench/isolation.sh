#!/usr/bin/env bash
# interactive = "serialize" against the default attribution on one shared key (issue 12): N Streamable
# HTTP sessions call a tool at once; prints a markdown table of calls/s (io.mcprouter.bench.SharedKeyModes,
# an in-process router with FakeMcpServer children). Not part of `mvn verify`.
#
#   bench/isolation.sh [calls-per-session (50)] [sleep-ms (20)]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt >&2
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  io.mcprouter.bench.SharedKeyModes "$@"
