#!/usr/bin/env node
// MCP 2026-07-28 client for mcprouter integration tests: the official TypeScript SDK v2
// (@modelcontextprotocol/client, Client + StreamableHTTPClientTransport), pinned in package.json.
//
// Usage: node modern-client.mjs <mcpUrl> [echoPrefix] [echoRounds] [pin|auto]
//
// Against a /mcp/<key> endpoint that fronts @modelcontextprotocol/server-everything it runs, in
// order, and prints ONE JSON line per step on stdout ({"step":"<name>","ok":true,...}):
//   connect    Client with versionNegotiation { mode: { pin: "2026-07-28" } } (the default,
//              "pin"): the connect-time server/discover must offer 2026-07-28, and the SDK has
//              no fallback to initialize; or { mode: "auto" } ("auto", what a user who just
//              opts in gets): the SDK probes with server/discover and falls back to initialize
//              unless the answer is definitively modern. Checked either way: getProtocolEra()
//              is "modern", the negotiated version is 2026-07-28, the server's name (and the
//              wire step checks that no initialize was sent).
//   discover   an explicit client.discover(): supportedVersions, capabilities.
//   tools      listTools(): echo and trigger-long-running-operation are listed.
//   echo       echoRounds (default 20) concurrent callTool("echo") with messages
//              "<echoPrefix> <i>", each answer must be exactly "Echo: <its own message>".
//   progress   callTool(trigger-long-running-operation, {duration: 1, steps: 4}) with onprogress:
//              progress values strictly increasing, at least one, result "Long running ...".
//   resources  listResources() and readResource() of the first one listed (its contents must
//              carry its uri).
//   prompts    listPrompts() lists simple-prompt; getPrompt(simple-prompt) returns messages.
//   listen     client.listen({resourcesListChanged: true}) (resolves on the server's
//              notifications/subscriptions/acknowledged), then callTool(gzip-file-as-resource)
//              with a data: URI: server-everything registers a session resource, so its SDK
//              sends notifications/resources/list_changed, which the router fans out to the
//              listen stream; the handler registered with setNotificationHandler must fire.
//              Then the subscription is closed.
//   wire       what the wrapped fetch saw: every POST's JSON-RPC method and MCP-Protocol-Version
//              header. Fails if any body was `initialize`, any POST lacked the 2026-07-28 header,
//              or any response carried an Mcp-Session-Id (the stateless era has none). `ids` lists
//              the JSON-RPC request ids sent (small integers from 0, like a v1 client's).
// The last line is {"ok":true,"steps":[...names...]} (exit 0) or, on the first failure,
// {"ok":false,"step":"<name>","error":"..."} (exit 1; exit 2 on the 60 s hard timeout).
// Diagnostics go to stderr only.

import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  ECHO_TOOL, PROGRESS_TOOL, PROGRESS_ARGS, REQUEST_TIMEOUT_MS, finish, errorMessage, firstText, armHardTimeout,
} from "./client-common.mjs";

const MODERN = "2026-07-28";
const PROMPT = "simple-prompt";
const GZIP_TOOL = "gzip-file-as-resource";
const LIST_CHANGED = "notifications/resources/list_changed";

function log(line) {
  process.stderr.write(line + "\n");
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

armHardTimeout();
process.on("unhandledRejection", (err) => finish({ ok: false, step: currentStep, error: errorMessage(err) }, 1));
process.on("uncaughtException", (err) => finish({ ok: false, step: currentStep, error: errorMessage(err) }, 1));

let currentStep = "start";
const done = [];

async function step(name, body) {
  currentStep = name;
  const result = await body();
  emit({ step: name, ok: true, ...result });
  done.push(name);
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  const [mcpUrl, echoPrefix = "modern", roundsArg = "20", negotiation = "pin"] = process.argv.slice(2);
  if (!mcpUrl || !["pin", "auto"].includes(negotiation)) {
    throw new Error("usage: node modern-client.mjs <mcpUrl> [echoPrefix] [echoRounds] [pin|auto]");
  }
  const echoRounds = Number(roundsArg);

  // Every HTTP exchange the transport makes: method, JSON-RPC method(s), protocol header, and
  // whether the response named a session.
  const wire = [];
  const recordingFetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    const entry = { http: init?.method ?? "GET", version: headers.get("mcp-protocol-version") };
    if (typeof init?.body === "string") {
      try {
        const body = JSON.parse(init.body);
        const messages = Array.isArray(body) ? body : [body];
        entry.rpc = messages.map((m) => m.method ?? "(response)");
        entry.ids = messages.filter((m) => m.method && m.id !== undefined).map((m) => m.id);
      } catch {
        entry.rpc = ["(unparsable)"];
      }
      entry.mcpMethod = headers.get("mcp-method");
    }
    wire.push(entry);
    const response = await fetch(input, init);
    entry.status = response.status;
    entry.sessionId = response.headers.get("mcp-session-id");
    return response;
  };

  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { fetch: recordingFetch });
  const client = new Client(
    { name: "mcprouter-it-modern-client", version: "0.0.0" },
    { capabilities: {}, versionNegotiation: { mode: negotiation === "auto" ? "auto" : { pin: MODERN } } },
  );
  client.onerror = (err) => log(`client error: ${errorMessage(err)}`);

  try {
    await step("connect", async () => {
      await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
      const era = client.getProtocolEra();
      const protocolVersion = client.getNegotiatedProtocolVersion();
      if (era !== "modern") throw new Error(`protocol era ${era}, expected modern`);
      if (protocolVersion !== MODERN) throw new Error(`negotiated ${protocolVersion}, expected ${MODERN}`);
      return { negotiation, era, protocolVersion, serverName: client.getServerVersion()?.name };
    });

    await step("discover", async () => {
      const discover = await client.discover({ timeout: REQUEST_TIMEOUT_MS });
      if (!discover.supportedVersions?.includes(MODERN)) {
        throw new Error(`discover does not offer ${MODERN}: ${JSON.stringify(discover.supportedVersions)}`);
      }
      return { supportedVersions: discover.supportedVersions, capabilities: Object.keys(discover.capabilities ?? {}) };
    });

    await step("tools", async () => {
      const { tools } = await client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS });
      const toolNames = tools.map((t) => t.name);
      for (const name of [ECHO_TOOL, PROGRESS_TOOL, GZIP_TOOL]) {
        if (!toolNames.includes(name)) throw new Error(`tool '${name}' missing from tools/list`);
      }
      return { toolCount: toolNames.length, toolNames };
    });

    await step("echo", async () => {
      const messages = Array.from({ length: echoRounds }, (_, i) => `${echoPrefix} ${i}`);
      const answers = await Promise.all(
        messages.map((message) =>
          client.callTool({ name: ECHO_TOOL, arguments: { message } }, { timeout: REQUEST_TIMEOUT_MS }),
        ),
      );
      const wrong = [];
      answers.forEach((result, i) => {
        const text = firstText(result);
        if (result.isError || text !== `Echo: ${messages[i]}`) wrong.push({ sent: messages[i], got: text });
      });
      if (wrong.length > 0) throw new Error(`echo answers not our own: ${JSON.stringify(wrong)}`);
      return { echoes: answers.length, first: firstText(answers[0]) };
    });

    await step("progress", async () => {
      const progress = [];
      const result = await client.callTool(
        { name: PROGRESS_TOOL, arguments: PROGRESS_ARGS },
        {
          timeout: REQUEST_TIMEOUT_MS,
          onprogress: (p) => {
            progress.push(p.progress);
            log(`progress ${p.progress}/${p.total ?? "?"}`);
          },
        },
      );
      const text = firstText(result);
      if (result.isError || !text?.startsWith("Long running operation completed")) {
        throw new Error(`unexpected ${PROGRESS_TOOL} result: ${JSON.stringify(result)}`);
      }
      if (progress.length === 0) throw new Error("no progress notifications");
      for (let i = 1; i < progress.length; i++) {
        if (!(progress[i] > progress[i - 1])) throw new Error(`progress not increasing: ${JSON.stringify(progress)}`);
      }
      return { progress, steps: PROGRESS_ARGS.steps, result: text };
    });

    await step("resources", async () => {
      const { resources } = await client.listResources(undefined, { timeout: REQUEST_TIMEOUT_MS });
      if (resources.length === 0) throw new Error("resources/list is empty");
      const uri = resources[0].uri;
      const read = await client.readResource({ uri }, { timeout: REQUEST_TIMEOUT_MS, cacheMode: "bypass" });
      const contents = read.contents ?? [];
      if (contents.length === 0 || contents[0].uri !== uri) {
        throw new Error(`resources/read ${uri} answered ${JSON.stringify(read).slice(0, 300)}`);
      }
      return { resourceCount: resources.length, read: uri, mimeType: contents[0].mimeType };
    });

    await step("prompts", async () => {
      const { prompts } = await client.listPrompts(undefined, { timeout: REQUEST_TIMEOUT_MS });
      const promptNames = prompts.map((p) => p.name);
      if (!promptNames.includes(PROMPT)) throw new Error(`${PROMPT} missing from prompts/list: ${promptNames}`);
      const prompt = await client.getPrompt({ name: PROMPT }, { timeout: REQUEST_TIMEOUT_MS });
      if (!prompt.messages?.length) throw new Error(`${PROMPT} has no messages: ${JSON.stringify(prompt)}`);
      return { promptNames, messages: prompt.messages.length, firstRole: prompt.messages[0].role };
    });

    await step("listen", async () => {
      let changed;
      const received = new Promise((resolve) => {
        changed = resolve;
      });
      let listChanged = 0;
      client.setNotificationHandler(LIST_CHANGED, () => {
        listChanged++;
        changed();
      });
      const subscription = await client.listen({ resourcesListChanged: true }, { timeout: REQUEST_TIMEOUT_MS });
      const honored = subscription.honoredFilter;
      if (honored?.resourcesListChanged !== true) {
        throw new Error(`listen did not honor resourcesListChanged: ${JSON.stringify(honored)}`);
      }
      const name = `${echoPrefix.replace(/[^A-Za-z0-9]/g, "-")}.gz`;
      const data = "data:text/plain;base64," + Buffer.from(`hello ${echoPrefix}`).toString("base64");
      const gz = await client.callTool(
        { name: GZIP_TOOL, arguments: { name, data, outputType: "resourceLink" } },
        { timeout: REQUEST_TIMEOUT_MS },
      );
      if (gz.isError) throw new Error(`${GZIP_TOOL} returned isError: ${firstText(gz)}`);
      await withTimeout(received, REQUEST_TIMEOUT_MS, `${LIST_CHANGED} on the listen stream`);
      await subscription.close();
      return { honoredFilter: honored, listChanged, link: gz.content?.[0]?.uri };
    });

    await step("wire", async () => {
      const posts = wire.filter((e) => e.http === "POST");
      const methods = posts.flatMap((e) => e.rpc ?? []);
      if (methods.includes("initialize")) throw new Error(`initialize was sent: ${JSON.stringify(methods)}`);
      if (!methods.includes("server/discover")) throw new Error(`no server/discover sent: ${JSON.stringify(methods)}`);
      const badVersion = posts.filter((e) => e.version !== MODERN);
      if (badVersion.length > 0) throw new Error(`POSTs without MCP-Protocol-Version ${MODERN}: ${JSON.stringify(badVersion)}`);
      const withSession = wire.filter((e) => e.sessionId);
      if (withSession.length > 0) throw new Error(`responses with Mcp-Session-Id: ${JSON.stringify(withSession)}`);
      const gets = wire.filter((e) => e.http === "GET");
      const counts = {};
      for (const m of methods) counts[m] = (counts[m] ?? 0) + 1;
      const ids = posts.flatMap((e) => e.ids ?? []);
      return { posts: posts.length, gets: gets.length, methods: counts, ids };
    });
  } finally {
    await client.close().catch((err) => log(`close error: ${errorMessage(err)}`));
  }
  return { ok: true, steps: done };
}

main().then(
  (result) => finish(result, 0),
  (err) => finish({ ok: false, step: currentStep, error: errorMessage(err) }, 1),
);
