#!/usr/bin/env bash
# The soak test of issue 11 run long: the same seeded random driver as src/test/java/io/mcprouter/soak/SoakIT
# (many clients over legacy SSE, Streamable HTTP and the REST API; crashes, hangs, cancellations, stops,
# killed SDK client processes, limit hits, hostile bodies) against the packaged router, with the
# router's resources printed every REPORT seconds and the figures (operations by kind, outcomes and
# errors by kind, sessions, processes, heap after GC, fds, threads, RSS at start and end) at the end.
# Not part of `mvn verify` (which runs it for 60 s).
#
#   bench/soak.sh [minutes]              default 30
#
# Environment (each maps to a -Dsoak.* property, see SoakIT's comment):
#   SOAK_SEED      seed (default: random, printed; the same seed replays the same operations per worker)
#   SOAK_CLIENTS   concurrent workers (default 10)
#   SOAK_OPS       operation kinds, e.g. "-deep,-hugenum" to leave out what kills today's router
#   REPORT         seconds between resource lines (default 60)
#   SOAK_HEALTH_MS bound on /health (default 5000)
# Output: the console, and target/soak/seed-<seed>/{report.txt,router.log}.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES="${1:-30}"
props=(-Dsoak.seconds=$((MINUTES * 60)) -Dsoak.report-seconds="${REPORT:-60}")
[ -n "${SOAK_SEED:-}" ] && props+=(-Dsoak.seed="$SOAK_SEED")
[ -n "${SOAK_CLIENTS:-}" ] && props+=(-Dsoak.clients="$SOAK_CLIENTS")
[ -n "${SOAK_OPS:-}" ] && props+=(-Dsoak.ops="$SOAK_OPS")
[ -n "${SOAK_HEALTH_MS:-}" ] && props+=(-Dsoak.health-ms="$SOAK_HEALTH_MS")

echo "soak: building the jar and the tests"
mvn -B -q package -DskipTests
( cd it && npm ci --no-audit --no-fund --loglevel=error )
echo "soak: running for $MINUTES minute(s)"
# failsafe forwards -D properties to the test JVM; its own timeout is off for the long run
status=0
mvn -B failsafe:integration-test failsafe:verify -Dit.test=SoakIT -Dfailsafe.timeout=0 "${props[@]}" \
  | grep -E '^(soak:|  |VIOLATIONS|reproduce|\[ERROR\] Tests run|\[INFO\] Tests run)' || status=$?
latest=$(ls -td target/soak/seed-* 2>/dev/null | head -1)
[ -n "$latest" ] && echo "soak: report in $latest/report.txt"
grep -q 'broke invariants' target/failsafe-reports/*SoakIT*.txt 2>/dev/null && exit 1
exit 0
