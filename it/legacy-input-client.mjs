#!/usr/bin/env node
// A 2025-era client with elicitation and sampling handlers (the official TypeScript SDK v1,
// @modelcontextprotocol/sdk, Client + StreamableHTTPClientTransport: one Mcp-Session-Id session),
// for tests where it shares a server-everything child with 2026-07-28 clients. The child's
// elicitation/create and sampling/createMessage reach it as server-to-client requests on its
// session's streams, as in 2025.
//
// Usage: node legacy-input-client.mjs <mcpUrl> <name> <rounds> <perRound>
//   Each round starts perRound trigger-elicitation-request and perRound trigger-sampling-request
//   calls, then awaits them; the handlers answer as input-common.mjs describes.
// Prints ONE JSON line on stdout, exit 0:
//   {"ok":..., "protocolVersion":"...", "sessionId":true, "serverRequests":{"<method>":n},
//    "clients":[{name, elicitation, sampling, foreign, failures, problems}]}
// serverRequests counts the requests the child's side sent on this session, as seen on the
// transport. A crash of the script: {"ok":false,"error":...}, exit 1 (2 on the hard timeout).

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { REQUEST_TIMEOUT_MS, finish, errorMessage, armHardTimeout } from "./client-common.mjs";
import { ELICIT_TOOL, SAMPLING_TOOL, InputAnswerer, judge, settle } from "./input-common.mjs";

armHardTimeout();
process.on("unhandledRejection", (err) => finish({ ok: false, error: errorMessage(err) }, 1));
process.on("uncaughtException", (err) => finish({ ok: false, error: errorMessage(err) }, 1));

async function main() {
  const [mcpUrl, name, roundsArg, perRoundArg] = process.argv.slice(2);
  if (!mcpUrl || !name || !roundsArg || !perRoundArg) {
    throw new Error("usage: node legacy-input-client.mjs <mcpUrl> <name> <rounds> <perRound>");
  }
  const rounds = Number(roundsArg);
  const perRound = Number(perRoundArg);

  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl));
  let protocolVersion;
  const origSetProtocolVersion = transport.setProtocolVersion.bind(transport);
  transport.setProtocolVersion = (v) => {
    protocolVersion = v;
    origSetProtocolVersion(v);
  };
  // Protocol.connect() chains an onmessage that is already set, so set it first.
  const serverRequests = {};
  transport.onmessage = (message) => {
    if (message && typeof message.method === "string" && message.id !== undefined) {
      serverRequests[message.method] = (serverRequests[message.method] ?? 0) + 1;
    }
  };

  const client = new Client(
    { name: `mcprouter-it-${name}`, version: "0.0.0" },
    { capabilities: { elicitation: {}, sampling: {} } },
  );
  client.onerror = (err) => process.stderr.write(`${name}: client error: ${errorMessage(err)}\n`);
  const answerer = new InputAnswerer(name);
  client.setRequestHandler(ElicitRequestSchema, answerer.elicit);
  client.setRequestHandler(CreateMessageRequestSchema, answerer.sample);

  const calls = [];
  let sessionId;
  try {
    await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
    sessionId = transport.sessionId;
    if (!sessionId) throw new Error("no Mcp-Session-Id after initialize");
    for (let round = 0; round < rounds; round++) {
      const inFlight = [];
      for (let i = 0; i < perRound; i++) {
        for (const tool of [ELICIT_TOOL, SAMPLING_TOOL]) {
          const label = `${round}.${i}`;
          const args = tool === SAMPLING_TOOL ? { prompt: answerer.prompt(label), maxTokens: 20 } : {};
          const entry = { tool, label, outcome: undefined };
          calls.push(entry);
          inFlight.push(
            settle(client.callTool({ name: tool, arguments: args }, undefined, { timeout: REQUEST_TIMEOUT_MS })).then(
              (outcome) => {
                entry.outcome = outcome;
              },
            ),
          );
        }
      }
      await Promise.all(inFlight);
    }
  } finally {
    await transport.terminateSession().catch(() => {});
    await client.close().catch(() => {});
  }
  const summary = judge(answerer, calls);
  const ok =
    summary.failures.length === 0 &&
    summary.problems.length === 0 &&
    summary.foreign.length === 0 &&
    summary.elicitation.handled === summary.elicitation.calls &&
    summary.sampling.handled === summary.sampling.calls;
  return { ok, protocolVersion, sessionId: Boolean(sessionId), serverRequests, clients: [summary] };
}

main().then(
  (result) => finish(result, 0),
  (err) => finish({ ok: false, error: errorMessage(err) }, 1),
);
