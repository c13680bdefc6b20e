#!/usr/bin/env node
// A 2025-era client (the official TypeScript SDK v1, @modelcontextprotocol/sdk, Client +
// StreamableHTTPClientTransport) that hammers the echo tool, for tests where it shares a child
// with other clients (modern ones among them).
//
// Usage: node legacy-echo-client.mjs <mcpUrl> <echoPrefix> [rounds] [perRound]
//
// Connects (initialize, Mcp-Session-Id), then runs `rounds` (default 10) rounds; each round sends
// `perRound` (default 5) concurrent echo calls with messages "<echoPrefix> <round>.<i>" and one
// trigger-long-running-operation ({duration: 1, steps: 2}) call with onprogress, and checks that
// every echo answer is exactly "Echo: <its own message>" and that the progress call got its
// own progress (values 1..2 in order; the SDK matches them by its own token, which is the
// request's JSON-RPC id, so a foreign token would fail the call with an unknown-token error
// or be counted against another request). Prints one JSON line:
//   {"ok":true,"protocolVersion":"...","sessionId":"...","echoes":n,"progressCalls":n,"ids":[...]}
//   (exit 0), or {"ok":false,"error":"..."} (exit 1; exit 2 on the 60 s hard timeout).
// `ids` are the JSON-RPC request ids the SDK put on the wire (0 for initialize, then 1, 2, ...).

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ECHO_TOOL, PROGRESS_TOOL, REQUEST_TIMEOUT_MS, finish, errorMessage, firstText, armHardTimeout } from "./client-common.mjs";

const PROGRESS_STEPS = 2;

armHardTimeout();
process.on("unhandledRejection", (err) => finish({ ok: false, error: errorMessage(err) }, 1));
process.on("uncaughtException", (err) => finish({ ok: false, error: errorMessage(err) }, 1));

async function main() {
  const [mcpUrl, prefix, roundsArg = "10", perRoundArg = "5"] = process.argv.slice(2);
  if (!mcpUrl || !prefix) throw new Error("usage: node legacy-echo-client.mjs <mcpUrl> <echoPrefix> [rounds] [perRound]");
  const rounds = Number(roundsArg);
  const perRound = Number(perRoundArg);

  const ids = [];
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    fetch: async (input, init) => {
      if (typeof init?.body === "string") {
        const body = JSON.parse(init.body);
        for (const m of Array.isArray(body) ? body : [body]) if (m.method && m.id !== undefined) ids.push(m.id);
      }
      return fetch(input, init);
    },
  });
  let protocolVersion;
  const origSetProtocolVersion = transport.setProtocolVersion.bind(transport);
  transport.setProtocolVersion = (v) => {
    protocolVersion = v;
    origSetProtocolVersion(v);
  };
  const client = new Client({ name: "mcprouter-it-legacy-echo-client", version: "0.0.0" }, { capabilities: {} });
  const errors = [];
  client.onerror = (err) => errors.push(errorMessage(err));
  try {
    await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
    const sessionId = transport.sessionId;
    if (!sessionId) throw new Error("no Mcp-Session-Id after initialize");
    let echoes = 0;
    let progressCalls = 0;
    for (let round = 0; round < rounds; round++) {
      const messages = Array.from({ length: perRound }, (_, i) => `${prefix} ${round}.${i}`);
      const progress = [];
      const [progressResult, ...answers] = await Promise.all([
        client.callTool({ name: PROGRESS_TOOL, arguments: { duration: 0.2, steps: PROGRESS_STEPS } }, undefined, {
          timeout: REQUEST_TIMEOUT_MS,
          onprogress: (p) => progress.push(p.progress),
        }),
        ...messages.map((message) =>
          client.callTool({ name: ECHO_TOOL, arguments: { message } }, undefined, { timeout: REQUEST_TIMEOUT_MS }),
        ),
      ]);
      answers.forEach((result, i) => {
        const text = firstText(result);
        if (result.isError || text !== `Echo: ${messages[i]}`) {
          throw new Error(`echo '${messages[i]}' answered ${JSON.stringify(text)}`);
        }
        echoes++;
      });
      if (progressResult.isError || !firstText(progressResult)?.startsWith("Long running operation completed")) {
        throw new Error(`unexpected ${PROGRESS_TOOL} result: ${JSON.stringify(progressResult)}`);
      }
      // The last notification can lose the race against the result (typescript-sdk#2580).
      const expected = [1, 2].slice(0, progress.length);
      if (progress.length < PROGRESS_STEPS - 1 || JSON.stringify(progress) !== JSON.stringify(expected)) {
        throw new Error(`round ${round}: progress ${JSON.stringify(progress)}, expected [1,2]`);
      }
      progressCalls++;
    }
    const foreign = errors.filter((e) => /unknown (token|message ID)|Received a response for an unknown/i.test(e));
    if (foreign.length > 0) throw new Error(`messages not meant for this client: ${JSON.stringify(foreign)}`);
    await transport.terminateSession();
    return { ok: true, protocolVersion, sessionId, echoes, progressCalls, ids };
  } finally {
    await client.close().catch(() => {});
  }
}

main().then(
  (result) => finish(result, 0),
  (err) => finish({ ok: false, error: errorMessage(err) }, 1),
);
