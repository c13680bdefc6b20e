#!/usr/bin/env node
// MCP Streamable HTTP smoke client for mcprouter integration tests.
//
// Usage: node streamable-client.mjs <mcpUrl> [echoMessage]
//
// Uses the official MCP TypeScript SDK (Client + StreamableHTTPClientTransport)
// against a /mcp/<key> endpoint that fronts @modelcontextprotocol/server-everything. It:
//   1. connects (initialize + notifications/initialized) and records the negotiated
//      protocol version and the transport's session id,
//   2. calls tools/list, the "echo" tool ({message}) and
//      "trigger-long-running-operation" ({duration: 1, steps: 4}) with an onprogress
//      callback, counting the notifications/progress messages it receives,
//   3. checks resumption after a dropped stream: starts another
//      "trigger-long-running-operation" ({duration: 3, steps: 6}) with onresumptiontoken
//      (the SDK reports every SSE event id it sees), drops the connection (closes the
//      transport, which aborts the POST's SSE response) once 2 progress notifications
//      have arrived, then builds a NEW StreamableHTTPClientTransport with the same
//      sessionId and a NEW Client, and resumes the request with resumptionToken set to
//      the last event id seen (the SDK sends GET with Last-Event-ID). The final tool
//      result must arrive on the resumed stream; the progress values seen before and
//      after the drop must be strictly increasing overall (no duplicates) and number
//      no more than the steps,
//   4. terminates the session (DELETE via transport.terminateSession()) and checks that
//      a further POST with the old Mcp-Session-Id is answered 404.
// It prints exactly one JSON line on stdout:
//   success: {"ok":true,"serverName":...,"protocolVersion":...,"sessionId":...,
//             "toolCount":n,"toolNames":[...],"echo":"...","progressNotifications":n,
//             "progressNotificationsRaw":n,"progressResult":"...",
//             "resumed":{"tokenBefore":"...","eventIdsAfter":[...],"progressBefore":[...],
//                        "progressAfter":[...],"totalSteps":n,"result":"..."},
//             "deleteStatus":204,"afterDeleteStatus":404,
//             "serverMessages":{"<method>":count,...}}        (exit 0)
//   progressNotifications counts onprogress callbacks; it can be one short of
//   progressNotificationsRaw (notifications/progress seen on the wire) because of an
//   SDK race (typescript-sdk#2580), see sse-client.mjs. The resumed progress values
//   are taken from the wire only: the resumed request has a new JSON-RPC id in the new
//   Client, while the replayed notifications carry the original progressToken, so the
//   new Client cannot route them to an onprogress callback. eventIdsAfter lists the SSE
//   event ids on the resuming GET (the SDK passes no onresumptiontoken to it).
//   serverMessages counts server-initiated requests and notifications by method, as
//   seen by the first Client (up to the drop).
//   failure: {"ok":false,"error":"..."}          (exit 1; exit 2 on the 60 s hard timeout)
// Diagnostics go to stderr only.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  ECHO_TOOL, PROGRESS_TOOL, PROGRESS_ARGS, REQUEST_TIMEOUT_MS, finish, errorMessage, firstText, armHardTimeout,
} from "./client-common.mjs";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";

const RESUME_ARGS = { duration: 3, steps: 6 }; // 6 progress notifications, one every 0.5 s
const DROP_AFTER_PROGRESS = 2; // drop the stream once this many progress notifications arrived
const COMPLETION_PREFIX = "Long running operation completed";




function log(line) {
  process.stderr.write(line + "\n");
}


function isProgress(message) {
  return message && message.method === "notifications/progress" && message.params;
}

armHardTimeout();

process.on("unhandledRejection", (err) => finish({ ok: false, error: errorMessage(err) }, 1));
process.on("uncaughtException", (err) => finish({ ok: false, error: errorMessage(err) }, 1));

async function main() {
  const [mcpUrl, echoMessage = "hello from mcprouter it"] = process.argv.slice(2);
  if (!mcpUrl) {
    throw new Error("usage: node streamable-client.mjs <mcpUrl> [echoMessage]");
  }
  const url = new URL(mcpUrl);

  // ---- 1. connect -------------------------------------------------------------------
  const transport = new StreamableHTTPClientTransport(url);
  // The SDK calls setProtocolVersion() with the negotiated version after initialize.
  let protocolVersion;
  const origSetProtocolVersion = transport.setProtocolVersion.bind(transport);
  transport.setProtocolVersion = (v) => {
    protocolVersion = v;
    origSetProtocolVersion(v);
  };

  // Count what arrives on the wire, independently of the SDK's dispatch (the SDK can
  // drop the last progress notification before onprogress, typescript-sdk#2580).
  // Protocol.connect() chains an onmessage that is already set, so set it first.
  // progressByToken: progressToken -> progress values as received.
  const progressByToken = new Map();
  let onRawProgress = () => {};
  let dropped = false; // set once the first transport's stream is given up
  const serverMessages = {}; // server-initiated requests and notifications by method
  transport.onmessage = (message) => {
    if (dropped) return;
    if (message && typeof message.method === "string") {
      serverMessages[message.method] = (serverMessages[message.method] ?? 0) + 1;
    }
    if (isProgress(message)) {
      const token = message.params.progressToken;
      if (!progressByToken.has(token)) progressByToken.set(token, []);
      progressByToken.get(token).push(message.params.progress);
      onRawProgress(token, message.params.progress);
    }
  };

  const client = new Client({ name: "mcprouter-it-streamable-client", version: "0.0.0" }, { capabilities: {} });
  client.onerror = (err) => log(`client error: ${errorMessage(err)}`);

  let client2;
  try {
    await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
    const serverName = client.getServerVersion()?.name;
    const sessionId = transport.sessionId;
    if (!sessionId) throw new Error("no Mcp-Session-Id after initialize");
    log(`connected: session ${sessionId}, protocol ${protocolVersion}`);

    // ---- 2. tools/list, echo, progress ----------------------------------------------
    const list = await client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS });
    const toolNames = list.tools.map((t) => t.name);
    for (const name of [ECHO_TOOL, PROGRESS_TOOL]) {
      if (!toolNames.includes(name)) throw new Error(`tool '${name}' missing from tools/list`);
    }

    const echoResult = await client.callTool(
      { name: ECHO_TOOL, arguments: { message: echoMessage } },
      undefined,
      { timeout: REQUEST_TIMEOUT_MS },
    );
    if (echoResult.isError) throw new Error(`echo tool returned isError: ${firstText(echoResult)}`);
    const echo = firstText(echoResult);
    if (echo !== `Echo: ${echoMessage}`) throw new Error(`unexpected echo text: ${JSON.stringify(echo)}`);

    let progressNotifications = 0;
    const rawBefore = progressByToken.size;
    const progressResult = await client.callTool(
      { name: PROGRESS_TOOL, arguments: PROGRESS_ARGS },
      undefined,
      {
        timeout: REQUEST_TIMEOUT_MS,
        onprogress: (p) => {
          progressNotifications++;
          log(`progress ${p.progress}/${p.total ?? "?"}`);
        },
      },
    );
    if (progressResult.isError) {
      throw new Error(`${PROGRESS_TOOL} returned isError: ${firstText(progressResult)}`);
    }
    if (progressByToken.size !== rawBefore + 1) {
      throw new Error(`expected progress for exactly one token, saw ${[...progressByToken.keys()]}`);
    }
    const progressNotificationsRaw = [...progressByToken.values()].at(-1).length;
    if (progressNotificationsRaw === 0) throw new Error("no progress notifications received");

    // ---- 3. resumption after a dropped stream ---------------------------------------
    // The SDK uses the request's JSON-RPC id as its progressToken.
    const resumeProgressToken = client._requestMessageId;
    let lastEventId;
    let tokenBefore;
    let progressBefore;
    const droppedEnough = new Promise((resolve) => {
      onRawProgress = (token, progress) => {
        if (token !== resumeProgressToken) return;
        log(`resumable progress ${progress}/${RESUME_ARGS.steps} (event ${lastEventId})`);
        const values = progressByToken.get(token);
        if (values.length >= DROP_AFTER_PROGRESS) {
          // Freeze what this connection delivered: the SDK reports the event id (through
          // onresumptiontoken) before it dispatches the event's message, so lastEventId
          // is the id of this very notification. Anything the first transport still
          // delivers after this point is ignored (dropped flag).
          dropped = true;
          tokenBefore = lastEventId;
          progressBefore = [...values];
          resolve();
        }
      };
    });
    const firstAttempt = client
      .request(
        { method: "tools/call", params: { name: PROGRESS_TOOL, arguments: RESUME_ARGS } },
        CallToolResultSchema,
        {
          timeout: REQUEST_TIMEOUT_MS,
          onprogress: () => {},
          onresumptiontoken: (token) => {
            if (!dropped) lastEventId = token;
          },
        },
      )
      .then(
        (result) => ({ result }),
        (error) => ({ error }),
      );
    const early = await Promise.race([droppedEnough.then(() => undefined), firstAttempt]);
    if (early !== undefined) {
      throw new Error(
        `resumable call ended before ${DROP_AFTER_PROGRESS} progress notifications: ` +
          (early.error ? errorMessage(early.error) : JSON.stringify(early.result)),
      );
    }
    if (!tokenBefore) throw new Error("no SSE event id seen on the POST stream (no resumption token)");
    log(`dropping the stream after progress ${JSON.stringify(progressBefore)}, last event id ${tokenBefore}`);
    // Abrupt drop: closing the transport aborts its in-flight fetches (the POST's SSE
    // response and the standalone GET stream) without any DELETE or cancellation.
    await transport.close();
    const firstOutcome = await firstAttempt;
    if (firstOutcome.result) throw new Error("first attempt unexpectedly completed after the drop");
    log(`first attempt ended: ${errorMessage(firstOutcome.error)}`);

    // New transport + new Client on the same session. Client.connect() skips initialize
    // when the transport already has a session id; the negotiated protocol version is
    // not known to the new transport, so hand it over (MCP-Protocol-Version header).
    // The wrapped fetch records the DELETE status and, for the resuming GET, the
    // Last-Event-ID sent and the SSE event ids the router answers with (the SDK does
    // not pass onresumptiontoken on to a resumed stream).
    let deleteStatus;
    const resumeGet = { lastEventIdSent: undefined, status: undefined, eventIds: [] };
    const transport2 = new StreamableHTTPClientTransport(url, {
      sessionId,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (init?.method === "DELETE") deleteStatus = response.status;
        if (init?.method === "GET" && response.body) {
          resumeGet.lastEventIdSent = new Headers(init.headers).get("last-event-id") ?? undefined;
          resumeGet.status = response.status;
          const [mine, theirs] = response.body.tee();
          (async () => {
            const decoder = new TextDecoder();
            let buffered = "";
            for await (const chunk of mine) {
              buffered += decoder.decode(chunk, { stream: true });
              const lines = buffered.split(/\r\n|\r|\n/);
              buffered = lines.pop();
              for (const line of lines) {
                const m = /^id:\s?(.*)$/.exec(line);
                if (m) resumeGet.eventIds.push(m[1]);
              }
            }
          })().catch(() => {});
          return new Response(theirs, { status: response.status, statusText: response.statusText, headers: response.headers });
        }
        return response;
      },
    });
    transport2.setProtocolVersion(protocolVersion);
    const progressAfter = [];
    const foreignProgress = [];
    transport2.onmessage = (message) => {
      if (isProgress(message)) {
        if (message.params.progressToken === resumeProgressToken) {
          progressAfter.push(message.params.progress);
          log(`resumed progress ${message.params.progress}/${RESUME_ARGS.steps}`);
        } else {
          foreignProgress.push(message.params);
        }
      }
    };
    client2 = new Client({ name: "mcprouter-it-streamable-client-resumed", version: "0.0.0" }, { capabilities: {} });
    client2.onerror = (err) => {
      const text = errorMessage(err);
      // Expected: the replayed notifications carry the first Client's progressToken.
      if (text.startsWith("Received a progress notification for an unknown token")) return;
      log(`client2 error: ${text}`);
    };
    await client2.connect(transport2);
    if (transport2.sessionId !== sessionId) throw new Error("new transport did not keep the session id");

    const resumedResult = await client2.request(
      { method: "tools/call", params: { name: PROGRESS_TOOL, arguments: RESUME_ARGS } },
      CallToolResultSchema,
      { timeout: REQUEST_TIMEOUT_MS, resumptionToken: tokenBefore },
    );
    log(`resumed GET: Last-Event-ID ${resumeGet.lastEventIdSent} -> ${resumeGet.status}, event ids ${JSON.stringify(resumeGet.eventIds)}`);
    if (resumeGet.lastEventIdSent !== tokenBefore) {
      throw new Error(`resuming GET sent Last-Event-ID ${resumeGet.lastEventIdSent}, expected ${tokenBefore}`);
    }
    const resumedText = firstText(resumedResult);
    if (resumedResult.isError) throw new Error(`resumed ${PROGRESS_TOOL} returned isError: ${resumedText}`);
    if (!resumedText || !resumedText.startsWith(COMPLETION_PREFIX)) {
      throw new Error(`unexpected resumed result: ${JSON.stringify(resumedResult)}`);
    }
    if (foreignProgress.length > 0) {
      throw new Error(`progress for unexpected tokens on the resumed stream: ${JSON.stringify(foreignProgress)}`);
    }
    if (progressAfter.length === 0) throw new Error("no progress notifications after resuming");
    const allProgress = [...progressBefore, ...progressAfter];
    for (let i = 1; i < allProgress.length; i++) {
      if (!(allProgress[i] > allProgress[i - 1])) {
        throw new Error(`progress not strictly increasing across the resumption: ${JSON.stringify(allProgress)}`);
      }
    }
    if (allProgress.length > RESUME_ARGS.steps) {
      throw new Error(`more progress notifications than steps: ${JSON.stringify(allProgress)}`);
    }
    if (allProgress.length < RESUME_ARGS.steps) {
      log(`note: ${RESUME_ARGS.steps - allProgress.length} progress notification(s) never seen: ${JSON.stringify(allProgress)}`);
    }

    // ---- 4. terminate the session ---------------------------------------------------
    await transport2.terminateSession();
    if (deleteStatus === undefined) throw new Error("terminateSession() sent no DELETE");
    if (transport2.sessionId !== undefined) throw new Error("session id still set after terminateSession()");
    const after = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        "Mcp-Session-Id": sessionId,
        "MCP-Protocol-Version": protocolVersion,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1000, method: "tools/list", params: {} }),
    });
    const afterDeleteStatus = after.status;
    const afterBody = await after.text().catch(() => "");
    log(`POST after DELETE: ${afterDeleteStatus} ${afterBody.slice(0, 200)}`);
    if (afterDeleteStatus !== 404) {
      throw new Error(`expected 404 for the terminated session, got ${afterDeleteStatus}: ${afterBody.slice(0, 200)}`);
    }

    return {
      ok: true,
      serverName,
      protocolVersion,
      sessionId,
      toolCount: toolNames.length,
      toolNames,
      echo,
      progressNotifications,
      progressNotificationsRaw,
      progressResult: firstText(progressResult),
      resumed: {
        tokenBefore,
        eventIdsAfter: resumeGet.eventIds,
        progressBefore,
        progressAfter,
        totalSteps: RESUME_ARGS.steps,
        result: resumedText,
      },
      deleteStatus,
      afterDeleteStatus,
      serverMessages,
    };
  } finally {
    await client.close().catch((err) => log(`close error: ${errorMessage(err)}`));
    if (client2) await client2.close().catch((err) => log(`close error: ${errorMessage(err)}`));
  }
}

main().then(
  (result) => finish(result, 0),
  (err) => finish({ ok: false, error: errorMessage(err) }, 1),
);
