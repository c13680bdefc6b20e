#!/usr/bin/env node
// A real SDK client for the soak test (src/test/java/io/mcprouter/soak): connects with the official
// MCP TypeScript SDK, starts a slow tool call, prints "in-flight" and waits to be SIGKILLed, so the
// router sees a client process vanish with a request in flight, as when a user's app crashes.
//
// Usage: node soak-client.mjs <sse|mcp> <url>
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [transportName, url] = process.argv.slice(2);
const transport = transportName === "sse"
  ? new SSEClientTransport(new URL(url))
  : new StreamableHTTPClientTransport(new URL(url));
const client = new Client({ name: "soak-killed-client", version: "1.0.0" });
setTimeout(() => process.exit(3), 60_000).unref(); // never outlive a lost harness
try {
  await client.connect(transport);
  client.callTool({ name: "sleep", arguments: { ms: 30000 } }, undefined, { timeout: 60_000 }).catch(() => {});
  // the request is written before the next turn of the event loop; a short wait makes sure it left
  setTimeout(() => process.stdout.write("in-flight\n"), 200);
} catch (err) {
  process.stdout.write("failed: " + (err?.message ?? String(err)) + "\n");
  process.exit(1);
}
