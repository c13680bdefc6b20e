// Shared by the end-to-end client scripts (sse-client.mjs, streamable-client.mjs): the tools of
// server-everything they call, the one-JSON-line result protocol and a hard timeout.

export const ECHO_TOOL = "echo"; // args: { message: string } -> text "Echo: <message>"
export const PROGRESS_TOOL = "trigger-long-running-operation"; // args: { duration: seconds, steps: n }
export const PROGRESS_ARGS = { duration: 1, steps: 4 }; // 4 progress notifications, ~1 s total
export const HARD_TIMEOUT_MS = 60_000;
export const REQUEST_TIMEOUT_MS = 30_000;

let finished = false;

/** Prints the one JSON result line and exits with `code`; later calls are ignored. */
export function finish(obj, code) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(obj) + "\n", () => process.exit(code));
  // Fallback in case the write callback never fires.
  setTimeout(() => process.exit(code), 2000).unref();
}

export function errorMessage(err) {
  if (err instanceof Error) return err.message || String(err);
  try {
    return typeof err === "string" ? err : JSON.stringify(err);
  } catch {
    return String(err);
  }
}

export function firstText(result) {
  const item = (result?.content ?? []).find((c) => c && c.type === "text");
  return item ? item.text : undefined;
}

/** Exits with {"ok":false} and status 2 if the script has not finished within HARD_TIMEOUT_MS. */
export function armHardTimeout() {
  setTimeout(() => {
    finish({ ok: false, error: `hard timeout after ${HARD_TIMEOUT_MS} ms` }, 2);
  }, HARD_TIMEOUT_MS).unref();
}
