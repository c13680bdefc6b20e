#!/usr/bin/env node
// A stdio MCP server that speaks 2026-07-28 (and 2025, as the official SDK v2's serveStdio does):
// what mcprouter's `protocol = "auto"` must detect as modern. Tools: echo, confirm (asks the client
// for input with an input_required result: multi round-trip requests, passed through to modern
// clients). A resource and a prompt. stdout carries JSON-RPC only; diagnostics go to stderr.

import { McpServer, inputRequired, acceptedContent } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

const log = (...args) => console.error('[modern-stdio]', ...args);

serveStdio(
  () => {
    const server = new McpServer(
      { name: 'mcprouter-modern-fixture', version: '2.0.0' },
      { capabilities: { tools: {}, resources: {}, prompts: {} }, instructions: 'A 2026-07-28 stdio server.' },
    );
    server.registerTool(
      'echo',
      { description: 'Echoes its message', inputSchema: z.object({ message: z.string() }) },
      async ({ message }) => ({ content: [{ type: 'text', text: `echo: ${message}` }] }),
    );
    server.registerTool(
      'confirm',
      { description: 'Asks the client to confirm, then answers', inputSchema: z.object({ what: z.string() }) },
      async ({ what }, ctx) => {
        const schema = z.object({ confirm: z.boolean() });
        const answer = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', schema);
        if (answer === undefined) {
          return inputRequired({
            inputRequests: { confirm: inputRequired.elicit({ message: `Confirm ${what}?`, requestedSchema: schema }) },
          });
        }
        return { content: [{ type: 'text', text: answer.confirm ? `confirmed ${what}` : `declined ${what}` }] };
      },
    );
    server.registerResource(
      'greeting',
      'test://modern/greeting',
      { mimeType: 'text/plain', description: 'A static greeting' },
      async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'hello from 2026' }] }),
    );
    server.registerPrompt('greet', { description: 'A greeting prompt' }, async () => ({
      messages: [{ role: 'user', content: { type: 'text', text: 'Say hello.' } }],
    }));
    return server;
  },
  { onerror: (e) => log('error:', e) },
);
log(`ready (pid ${process.pid}, node ${process.version})`);
