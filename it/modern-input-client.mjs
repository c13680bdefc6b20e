#!/usr/bin/env node
// MCP 2026-07-28 clients with elicitation and sampling handlers, for mcprouter's multi round-trip
// bridging: the official TypeScript SDK v2 (@modelcontextprotocol/client) pinned to 2026-07-28,
// against /mcp/<key> fronting @modelcontextprotocol/server-everything (whose
// trigger-elicitation-request and trigger-sampling-request tools ask their client mid-call).
//
// The v2 client fulfils `input_required` by itself: its multi round-trip driver (on by default,
// ClientOptions.inputRequired.autoFulfill) runs the handlers registered with setRequestHandler
// for each of the result's inputRequests and retries the call, on a new JSON-RPC id, with
// inputResponses and the echoed requestState, until the result is complete (at most
// inputRequired.maxRounds, 10, rounds).
//
// Usage:
//   node modern-input-client.mjs <mcpUrl> pair <rounds> <perRound> <name>...
//     One Client per name, each with its own handlers (input-common.mjs: answers unique to the
//     client). Each round every client starts perRound trigger-elicitation-request and perRound
//     trigger-sampling-request calls, all clients' calls before any is awaited, then awaits them.
//   node modern-input-client.mjs <mcpUrl> bench <n> <repeats>
//     One Client; `repeats` times, n concurrent trigger-sampling-request calls, timed (wall time
//     from the first call started to the last settled).
//   node modern-input-client.mjs <mcpUrl> abandon <echoTimeoutMs>
//     A Client with inputRequired.autoFulfill false calls trigger-elicitation-request and leaves
//     the input_required answer unanswered (the call stays parked); then another Client calls
//     echo with the given timeout: {"ok", "parked", "first", "echo", "echoMs"}.
//   node modern-input-client.mjs <mcpUrl> slow <thinkMs>
//     One Client whose elicitation handler takes thinkMs (a user thinking) before it answers;
//     one trigger-elicitation-request call, judged as in pair.
// Prints ONE JSON line on stdout, exit 0:
//   {"ok":<every call complete with its own answer, each handler once per call>,
//    "clients":[{name, elicitation:{calls,handled,ok}, sampling:{calls,handled,ok}, foreign:[...],
//                failures:[...], problems:[...]}],
//    "wire":{"posts":n,"retries":n,"sessionIds":n}, "wallMs":[...] (bench)}
// failures are calls that ended in an error (or isError); problems are results that do not
// carry their own client's answer; foreign are requests a handler got that another client's call
// caused. The Java test judges them. A crash of the script: {"ok":false,"error":...}, exit 1
// (exit 2 on the 60 s hard timeout). Diagnostics go to stderr only.

import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { REQUEST_TIMEOUT_MS, finish, errorMessage, armHardTimeout } from "./client-common.mjs";
import { ELICIT_TOOL, SAMPLING_TOOL, InputAnswerer, judge, settle } from "./input-common.mjs";

const MODERN = "2026-07-28";

armHardTimeout();
process.on("unhandledRejection", (err) => finish({ ok: false, error: errorMessage(err) }, 1));
process.on("uncaughtException", (err) => finish({ ok: false, error: errorMessage(err) }, 1));

function log(line) {
  process.stderr.write(line + "\n");
}

/** Counts what every client's transport sent and saw, across clients. */
const wire = { posts: 0, retries: 0, sessionIds: 0 };
async function recordingFetch(input, init) {
  if (init?.method === "POST" && typeof init.body === "string") {
    wire.posts++;
    try {
      const body = JSON.parse(init.body);
      if (body?.params?.inputResponses !== undefined) wire.retries++;
    } catch {
      // not ours to judge
    }
  }
  const response = await fetch(input, init);
  if (response.headers.get("mcp-session-id")) wire.sessionIds++;
  return response;
}

async function connect(mcpUrl, name, autoFulfill = true) {
  const client = new Client(
    { name: `mcprouter-it-${name}`, version: "0.0.0" },
    {
      capabilities: { elicitation: { form: {} }, sampling: {} },
      versionNegotiation: { mode: { pin: MODERN } },
      inputRequired: { autoFulfill },
    },
  );
  client.onerror = (err) => log(`${name}: client error: ${errorMessage(err)}`);
  const answerer = new InputAnswerer(name);
  client.setRequestHandler("elicitation/create", answerer.elicit);
  client.setRequestHandler("sampling/createMessage", answerer.sample);
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { fetch: recordingFetch }), {
    timeout: REQUEST_TIMEOUT_MS,
  });
  if (client.getNegotiatedProtocolVersion() !== MODERN) {
    throw new Error(`${name}: negotiated ${client.getNegotiatedProtocolVersion()}, expected ${MODERN}`);
  }
  return { client, answerer, calls: [] };
}

function call(peer, tool, label) {
  const args = tool === SAMPLING_TOOL ? { prompt: peer.answerer.prompt(label), maxTokens: 20 } : {};
  const entry = { tool, label, outcome: undefined };
  peer.calls.push(entry);
  return settle(peer.client.callTool({ name: tool, arguments: args }, { timeout: REQUEST_TIMEOUT_MS })).then(
    (outcome) => {
      entry.outcome = outcome;
    },
  );
}

function passed(summary) {
  return (
    summary.failures.length === 0 &&
    summary.problems.length === 0 &&
    summary.foreign.length === 0 &&
    summary.elicitation.handled === summary.elicitation.calls &&
    summary.sampling.handled === summary.sampling.calls
  );
}

async function pair(mcpUrl, rounds, perRound, names) {
  const peers = await Promise.all(names.map((name) => connect(mcpUrl, name)));
  try {
    for (let round = 0; round < rounds; round++) {
      const inFlight = [];
      for (let i = 0; i < perRound; i++) {
        for (const peer of peers) {
          inFlight.push(call(peer, ELICIT_TOOL, `${round}.${i}`));
          inFlight.push(call(peer, SAMPLING_TOOL, `${round}.${i}`));
        }
      }
      await Promise.all(inFlight);
    }
  } finally {
    await Promise.all(peers.map((p) => p.client.close().catch(() => {})));
  }
  const clients = peers.map((p) => judge(p.answerer, p.calls));
  return { ok: clients.every(passed), clients, wire };
}

async function bench(mcpUrl, n, repeats) {
  const peer = await connect(mcpUrl, "bench");
  const wallMs = [];
  try {
    for (let r = 0; r < repeats; r++) {
      const started = performance.now();
      await Promise.all(Array.from({ length: n }, (_, i) => call(peer, SAMPLING_TOOL, `${r}.${i}`)));
      wallMs.push(Math.round(performance.now() - started));
    }
  } finally {
    await peer.client.close().catch(() => {});
  }
  const summary = judge(peer.answerer, peer.calls);
  return { ok: passed(summary), clients: [summary], wire, wallMs };
}

/**
 * A client without auto-fulfilment calls trigger-elicitation-request and walks away from the
 * input_required answer (its call stays parked at the router until the park timeout); then
 * another client calls echo, timed.
 */
async function abandon(mcpUrl, echoTimeoutMs) {
  const walker = await connect(mcpUrl, "walker", false);
  const other = await connect(mcpUrl, "other");
  try {
    const first = await settle(walker.client.callTool({ name: ELICIT_TOOL, arguments: {} }, { timeout: REQUEST_TIMEOUT_MS }));
    const parked = first.error?.data?.resultType === "input_required";
    const started = performance.now();
    const echo = await settle(
      other.client.callTool({ name: "echo", arguments: { message: "after an abandoned call" } }, { timeout: echoTimeoutMs }),
    );
    const echoMs = Math.round(performance.now() - started);
    return {
      ok: parked && echo.result !== undefined,
      parked,
      first: first.error !== undefined ? errorMessage(first.error).slice(0, 200) : "complete",
      echo: echo.result?.content?.[0]?.text ?? errorMessage(echo.error).slice(0, 200),
      echoMs,
    };
  } finally {
    await Promise.all([walker.client.close().catch(() => {}), other.client.close().catch(() => {})]);
  }
}

/** One call whose user takes `thinkMs` to answer the elicitation. */
async function slow(mcpUrl, thinkMs) {
  const peer = await connect(mcpUrl, "slow");
  const answer = peer.answerer.elicit;
  peer.client.setRequestHandler("elicitation/create", async (request) => {
    await new Promise((resolve) => setTimeout(resolve, thinkMs));
    return answer(request);
  });
  try {
    await call(peer, ELICIT_TOOL, "0.0");
  } finally {
    await peer.client.close().catch(() => {});
  }
  const summary = judge(peer.answerer, peer.calls);
  return { ok: passed(summary), clients: [summary], wire };
}

async function main() {
  const [mcpUrl, mode, ...rest] = process.argv.slice(2);
  if (mode === "pair" && rest.length >= 3) {
    return pair(mcpUrl, Number(rest[0]), Number(rest[1]), rest.slice(2));
  }
  if (mode === "bench" && rest.length === 2) {
    return bench(mcpUrl, Number(rest[0]), Number(rest[1]));
  }
  if (mode === "slow" && rest.length === 1) {
    return slow(mcpUrl, Number(rest[0]));
  }
  if (mode === "abandon" && rest.length === 1) {
    return abandon(mcpUrl, Number(rest[0]));
  }
  throw new Error(
    "usage: node modern-input-client.mjs <mcpUrl> pair <rounds> <perRound> <name>... | bench <n> <repeats>" +
      " | abandon <echoTimeoutMs> | slow <thinkMs>",
  );
}

main().then(
  (result) => finish(result, 0),
  (err) => finish({ ok: false, error: errorMessage(err) }, 1),
);
