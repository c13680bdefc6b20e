#!/usr/bin/env node
// MCP legacy-SSE smoke client for mcprouter integration tests.
//
// Usage: node sse-client.mjs <sseUrl> [echoMessage]
//
// Uses the official MCP TypeScript SDK (Client + SSEClientTransport) against an
// SSE endpoint that fronts @modelcontextprotocol/server-everything. It:
//   1. connects (initialize + notifications/initialized),
//   2. calls tools/list,
//   3. calls the "echo" tool ({message}),
//   4. calls "trigger-long-running-operation" ({duration, steps}) with an
//      onprogress callback (so the SDK attaches a progressToken) and counts the
//      notifications/progress messages it receives,
//   5. closes the client.
// It prints exactly one JSON line on stdout:
//   success: {"ok":true,"serverName":...,"protocolVersion":...,"toolCount":n,
//             "toolNames":[...],"echo":"...","progressNotifications":n,
//             "progressResult":"...","progressNotificationsRaw":n,
//             "serverMessages":{"<method>":count,...}}   (exit 0)
//   progressNotifications counts onprogress callbacks; it can be one short of
//   progressNotificationsRaw (notifications/progress seen on the wire) because of an
//   SDK race, see below. serverMessages counts server-initiated requests and
//   notifications by method.
//   failure: {"ok":false,"error":"..."}          (exit 1; exit 2 on the 60 s hard timeout)
// Diagnostics go to stderr only.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  ECHO_TOOL, PROGRESS_TOOL, PROGRESS_ARGS, REQUEST_TIMEOUT_MS, finish, errorMessage, firstText, armHardTimeout,
} from "./client-common.mjs";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";






armHardTimeout();

process.on("unhandledRejection", (err) => finish({ ok: false, error: errorMessage(err) }, 1));
process.on("uncaughtException", (err) => finish({ ok: false, error: errorMessage(err) }, 1));

async function main() {
  const [sseUrl, echoMessage = "hello from mcprouter it"] = process.argv.slice(2);
  if (!sseUrl) {
    throw new Error("usage: node sse-client.mjs <sseUrl> [echoMessage]");
  }

  const transport = new SSEClientTransport(new URL(sseUrl));
  // The SDK calls setProtocolVersion() with the negotiated version after initialize.
  let protocolVersion;
  const origSetProtocolVersion = transport.setProtocolVersion?.bind(transport);
  transport.setProtocolVersion = (v) => {
    protocolVersion = v;
    if (origSetProtocolVersion) origSetProtocolVersion(v);
  };

  const client = new Client({ name: "mcprouter-it-sse-client", version: "0.0.0" }, { capabilities: {} });
  client.onerror = (err) => process.stderr.write(`client error: ${errorMessage(err)}\n`);

  // Count what arrives on the wire, independently of the SDK's dispatch. The SDK
  // (1.32.x) defers notification handlers to a microtask but handles responses
  // synchronously, so a progress notification that arrives in the same chunk as the
  // tool result reaches onprogress only after the handler was retired
  // ("Received a progress notification for an unknown token", typescript-sdk#2580).
  // progressNotificationsRaw counts notifications/progress as received.
  // Protocol.connect() chains an onmessage that is already set, so set it first.
  let progressNotificationsRaw = 0;
  const serverMessages = {};
  transport.onmessage = (message) => {
    if (message && typeof message.method === "string") {
      serverMessages[message.method] = (serverMessages[message.method] ?? 0) + 1;
      if (message.method === "notifications/progress") progressNotificationsRaw++;
    }
  };

  await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
  try {
    const serverName = client.getServerVersion()?.name;
    if (protocolVersion === undefined) protocolVersion = transport._protocolVersion;

    const list = await client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS });
    const toolNames = list.tools.map((t) => t.name);

    const echoResult = await client.callTool(
      { name: ECHO_TOOL, arguments: { message: echoMessage } },
      undefined,
      { timeout: REQUEST_TIMEOUT_MS },
    );
    if (echoResult.isError) throw new Error(`echo tool returned isError: ${firstText(echoResult)}`);
    const echo = firstText(echoResult);

    let progressNotifications = 0;
    const progressResult = await client.callTool(
      { name: PROGRESS_TOOL, arguments: PROGRESS_ARGS },
      undefined,
      {
        timeout: REQUEST_TIMEOUT_MS,
        onprogress: (p) => {
          progressNotifications++;
          process.stderr.write(`progress ${p.progress}/${p.total ?? "?"}\n`);
        },
      },
    );
    if (progressResult.isError) {
      throw new Error(`${PROGRESS_TOOL} returned isError: ${firstText(progressResult)}`);
    }

    return {
      ok: true,
      serverName,
      protocolVersion,
      toolCount: toolNames.length,
      toolNames,
      echo,
      progressNotifications,
      progressResult: firstText(progressResult),
      progressNotificationsRaw,
      serverMessages,
    };
  } finally {
    await client.close().catch((err) => process.stderr.write(`close error: ${errorMessage(err)}\n`));
  }
}

main().then(
  (result) => finish(result, 0),
  (err) => finish({ ok: false, error: errorMessage(err) }, 1),
);
