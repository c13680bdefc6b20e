#!/usr/bin/env bash
# JMH microbenchmarks of the router's hot path (src/test/java/io/mcprouter/bench/jmh): JSON-RPC
# parse/encode, id rewriting, stdout line framing, SSE encoding. Not part of `mvn verify`.
#
#   bench/jmh.sh                                   everything: fork 1, warmup 3x1s, measure 5x1s,
#                                                  average time in ns/op, -prof gc (B/op = gc.alloc.rate.norm)
#   bench/jmh.sh LineSplitter -p lineBytes=64      one class, one parameter value (a regex selects benchmarks)
#   bench/jmh.sh -wi 2 -i 3 -w 1s -r 1s            quicker; any option given here replaces the default
#   bench/jmh.sh -h | -l                           JMH's help, the benchmark list
set -euo pipefail
cd "$(dirname "$0")/.."

# -DskipTests: test-compile alone would otherwise run `npm ci` for the end-to-end tests
mvn -q -B test-compile -DskipTests
# to a file, not /dev/stdout: Maven's console writes an ANSI reset (ESC[0m) there that would
# corrupt the first classpath entry
mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/jmh-classpath.txt -Dmdep.includeScope=test
CP="target/test-classes:target/classes:$(cat target/jmh-classpath.txt)"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# defaults only for what the arguments do not say; JMH rejects an option given twice
given() {
  local option="$1" arg
  shift
  for arg in "$@"; do [[ "$arg" == "$option" ]] && return 0; done
  return 1
}
DEFAULTS=()
given -f "$@" || DEFAULTS+=(-f 1)
given -wi "$@" || DEFAULTS+=(-wi 3)
given -w "$@" || DEFAULTS+=(-w 1s)
given -i "$@" || DEFAULTS+=(-i 5)
given -r "$@" || DEFAULTS+=(-r 1s)
given -bm "$@" || DEFAULTS+=(-bm avgt)
given -tu "$@" || DEFAULTS+=(-tu ns)
given gc "$@" || DEFAULTS+=(-prof gc)

# a benchmark regex among the arguments replaces the default (all of io.mcprouter.bench.jmh);
# every JMH option takes a value except these listing ones
PATTERN=(io.mcprouter.bench.jmh)
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    -h | -l | -lp | -lrf | -lprof) ;;
    -*) i=$((i + 1)) ;;
    *) PATTERN=() ;;
  esac
done

exec "$JAVA" -cp "$CP" org.openjdk.jmh.Main "${DEFAULTS[@]}" "$@" "${PATTERN[@]}"
