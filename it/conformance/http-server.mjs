#!/usr/bin/env node
// Validation only: serves the conformance backend directly over the SDK's Streamable HTTP
// transport at http://127.0.0.1:<port>/mcp, so the suite can be run against the backend
// without mcprouter in between:
//   node it/conformance/http-server.mjs <port> & it/run-conformance.sh http://127.0.0.1:<port>/mcp
// Stateful, as the SDK examples do it: each initialize opens a session (Mcp-Session-Id) with its
// own server instance; GET opens the session's standalone SSE stream, DELETE ends it. SSE events
// go through an in-memory event store so closed streams can be resumed with Last-Event-ID.
// Host-header validation (DNS rebinding protection) comes from createMcpExpressApp.

import { randomUUID } from 'node:crypto';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createConformanceServer } from './server-logic.mjs';

const log = (...args) => console.error('[conformance-http]', ...args);

const port = Number.parseInt(process.argv[2] ?? '', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node http-server.mjs <port>   (0 picks a free port)');
  process.exit(2);
}
const HOST = '127.0.0.1';

/** Per-session event store: every SSE event gets an id; replay resumes a stream after an id. */
function createEventStore() {
  const events = []; // { eventId, streamId, message }
  let seq = 0;
  return {
    async storeEvent(streamId, message) {
      const eventId = `${streamId}_${String(++seq).padStart(10, '0')}`;
      events.push({ eventId, streamId, message });
      return eventId;
    },
    async getStreamIdForEventId(eventId) {
      return events.find((e) => e.eventId === eventId)?.streamId;
    },
    async replayEventsAfter(lastEventId, { send }) {
      const at = events.findIndex((e) => e.eventId === lastEventId);
      if (at < 0) return '';
      const { streamId } = events[at];
      for (const e of events.slice(at + 1)) {
        if (e.streamId === streamId && e.message && Object.keys(e.message).length > 0) {
          await send(e.eventId, e.message);
        }
      }
      return streamId;
    },
  };
}

const sessions = new Map(); // session id -> { transport, server }

const jsonRpcError = (res, status, code, message) =>
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });

const app = createMcpExpressApp({ host: HOST });

app.post('/mcp', async (req, res) => {
  const sessionId = req.headers['mcp-session-id'];
  try {
    if (sessionId) {
      const session = sessions.get(sessionId);
      if (!session) return jsonRpcError(res, 404, -32001, 'Session not found');
      return await session.transport.handleRequest(req, res, req.body);
    }
    if (!isInitializeRequest(req.body)) {
      return jsonRpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id and not an initialize request');
    }
    const server = createConformanceServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: createEventStore(),
      retryInterval: 1000,
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server });
        log(`session ${id} opened`);
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id && sessions.delete(id)) {
        log(`session ${id} closed`);
        server.close().catch(() => {});
      }
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  } catch (e) {
    log('error handling POST:', e);
    if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal server error');
  }
});

// GET (standalone SSE stream / resumption with Last-Event-ID) and DELETE (end session)
async function sessionRequest(req, res) {
  const sessionId = req.headers['mcp-session-id'];
  if (!sessionId) return jsonRpcError(res, 400, -32000, 'Bad Request: missing Mcp-Session-Id');
  const session = sessions.get(sessionId);
  if (!session) return jsonRpcError(res, 404, -32001, 'Session not found');
  try {
    await session.transport.handleRequest(req, res);
  } catch (e) {
    log(`error handling ${req.method}:`, e);
    if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal server error');
  }
}
app.get('/mcp', sessionRequest);
app.delete('/mcp', sessionRequest);

const httpServer = app.listen(port, HOST, () => {
  const { port: actual } = httpServer.address();
  log(`listening on http://${HOST}:${actual}/mcp`);
});
httpServer.on('error', (e) => {
  log('listen failed:', e);
  process.exit(1);
});

async function shutdown(signal) {
  log(`${signal}: closing ${sessions.size} session(s)`);
  for (const { transport } of [...sessions.values()]) await transport.close().catch(() => {});
  httpServer.close(() => process.exit(0));
  httpServer.closeAllConnections?.();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
