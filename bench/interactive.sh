#!/usr/bin/env bash
# interactive = "serialize" / "attribute" / share_process = false for 2026-07-28 clients whose calls ask
# their user (issue 15): an SDK v2 client makes n concurrent calls of server-everything's
# trigger-sampling-request through the router; prints a markdown table (io.mcprouter.bench.InteractiveModes).
# Needs `npm ci` in it/ (mvn verify does it). Not part of `mvn verify`.
#
#   bench/interactive.sh [calls-per-client (3)]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt >&2
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  io.mcprouter.bench.InteractiveModes "$@"
