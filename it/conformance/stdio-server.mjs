#!/usr/bin/env node
// The conformance backend over stdio: the child process mcprouter launches
// (`node it/conformance/stdio-server.mjs`) and exposes at /mcp/<key> for the conformance suite.
// stdout carries JSON-RPC only; diagnostics go to stderr.

import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createConformanceServer } from './server-logic.mjs';

const log = (...args) => console.error('[conformance-stdio]', ...args);

const server = createConformanceServer();
const transport = new StdioServerTransport();

let closing = false;
async function shutdown(reason, code = 0) {
  if (closing) return;
  closing = true;
  log(`shutting down (${reason})`);
  try {
    await server.close();
  } catch (e) {
    log('close failed:', e);
  }
  process.exit(code);
}

transport.onerror = (e) => log('transport error:', e);
process.stdin.on('end', () => shutdown('stdin closed'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

try {
  await server.connect(transport);
  log(`ready (pid ${process.pid}, node ${process.version})`);
} catch (e) {
  log('failed to start:', e);
  process.exit(1);
}
