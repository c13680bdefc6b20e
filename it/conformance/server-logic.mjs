// The MCP server that the official conformance suite
// (@modelcontextprotocol/conformance, server mode, --requirements 2025-11-25) expects to find
// behind the URL it tests: every tool, resource, resource template, prompt, completion and logging
// behaviour its server scenarios call, with the exact names and arguments they use.
//
// It is transport-agnostic: stdio-server.mjs serves it over stdio (what mcprouter launches as a
// child and proxies at /mcp/<key>), http-server.mjs serves it directly over Streamable HTTP to prove
// the backend itself passes the suite. One instance serves one client session.
//
// Scenario -> what it needs here:
//   server-initialize, ping, logging-set-level  capabilities below; SDK built-ins
//   completion-complete            completion/complete on ref/prompt test_prompt_with_arguments, arg1
//   tools-list                     every tool has a name, description and inputSchema
//   tools-call-*                   test_simple_text, test_image_content, test_audio_content,
//                                  test_embedded_resource, test_multiple_content_types,
//                                  test_tool_with_logging, test_error_handling,
//                                  test_tool_with_progress, test_sampling, test_elicitation
//   elicitation-sep1034-defaults   test_elicitation_sep1034_defaults
//   elicitation-sep1330-enums      test_elicitation_sep1330_enums
//   json-schema-2020-12            json_schema_2020_12_tool, listed with a raw 2020-12 inputSchema
//   server-sse-polling             test_reconnection (closes its SSE stream mid-call when the
//                                  transport supports it, i.e. an HTTP transport with an event store)
//   resources-*                    test://static-text, test://static-binary, test://watched-resource,
//                                  template test://template/{id}/data, resources/(un)subscribe
//   prompts-*                      test_simple_prompt, test_prompt_with_arguments,
//                                  test_prompt_with_embedded_resource, test_prompt_with_image
// Server-initiated traffic during a tool call (log messages, progress, sampling and elicitation
// requests) is sent related to the tool call's request, so an HTTP transport puts it on that
// call's SSE response stream.

import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import {
  ListToolsRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export const SERVER_INFO = { name: 'mcprouter-conformance-server', version: '1.0.0' };

// 1x1 red PNG
export const TEST_IMAGE_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
// 44-byte RIFF/WAVE header plus one 16-bit mono 8 kHz sample
export const TEST_AUDIO_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQIAAAAAAA==';

export const JSON_SCHEMA_2020_12_TOOL = 'json_schema_2020_12_tool';
// Served verbatim in tools/list: the scenario checks $schema, $defs (with $anchor),
// additionalProperties, allOf/anyOf and if/then/else survive the trip to the client.
export const JSON_SCHEMA_2020_12_INPUT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

const WATCHED_URI = 'test://watched-resource';
const PROMPT_ARG_VALUES = ['paris', 'park', 'party', 'test', 'testValue1', 'testValue2'];
const TEMPLATE_IDS = ['123', '456', '789'];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (t) => ({ type: 'text', text: t });
const errorMessage = (e) => (e instanceof Error ? e.message : String(e));

/** A fresh server for one client session. */
export function createConformanceServer() {
  const mcp = new McpServer(SERVER_INFO, {
    capabilities: {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      logging: {},
      completions: {},
    },
    instructions: 'Conformance test server for mcprouter (implements the MCP conformance suite fixtures).',
  });
  const server = mcp.server;
  const subscriptions = new Set();

  // notifications/message tied to the current request, honouring logging/setLevel
  // (the SDK's built-in handler records the level per session).
  async function log(extra, level, data) {
    if (server.isMessageIgnored(level, extra.sessionId)) return;
    await extra.sendNotification({
      method: 'notifications/message',
      params: { level, logger: 'conformance', data },
    });
  }
  const related = (extra) => ({ relatedRequestId: extra.requestId });

  // ----- tools -----

  // The tools the 2026-07-28 server-stateless scenario calls. This server speaks 2025, as the stdio
  // servers behind mcprouter do: the router turns what they do into the stateless era's answers.
  // The tools of the 2026-07-28 multi round-trip scenarios (input-required-result-*), written as a
  // 2025 server writes them: it asks its client mid-call and waits. The router turns each ask into
  // an input request of an input_required result (named by the _meta hint) and the retry's
  // inputResponses into the answers. The 2025-11-25 scenarios never call them.
  const KEY = 'mcprouter/inputKey';
  const ask = (extra, key, message, properties) =>
    server.elicitInput(
      {
        mode: 'form',
        message,
        requestedSchema: { type: 'object', properties, required: Object.keys(properties) },
        _meta: { [KEY]: key },
      },
      related(extra),
    );
  const sample = (extra, key, prompt, maxTokens) =>
    server.createMessage(
      { messages: [{ role: 'user', content: text(prompt) }], maxTokens, _meta: { [KEY]: key } },
      related(extra),
    );
  const roots = (extra, key) => server.listRoots({ _meta: { [KEY]: key } }, related(extra));

  mcp.registerTool(
    'test_input_required_result_elicitation',
    { description: 'Asks the user their name (elicitation), then greets them', inputSchema: {} },
    async (_args, extra) => {
      const answer = await ask(extra, 'user_name', 'What is your name?', { name: { type: 'string' } });
      return { content: [text(`Hello, ${answer.content?.name}!`)] };
    },
  );
  mcp.registerTool(
    'test_input_required_result_sampling',
    { description: 'Asks the client to sample an answer, then returns it', inputSchema: {} },
    async (_args, extra) => {
      const answer = await sample(extra, 'capital_question', 'What is the capital of France?', 100);
      return { content: [text(answer.content?.text ?? '')] };
    },
  );
  mcp.registerTool(
    'test_input_required_result_list_roots',
    { description: "Asks the client's roots, then lists them", inputSchema: {} },
    async (_args, extra) => {
      const answer = await roots(extra, 'client_roots');
      return { content: [text(`Roots: ${answer.roots.map((r) => r.uri).join(', ')}`)] };
    },
  );
  mcp.registerTool(
    'test_input_required_result_request_state',
    { description: 'Asks for a confirmation, then answers state-ok', inputSchema: {} },
    async (_args, extra) => {
      await ask(extra, 'confirm', 'Please confirm', { ok: { type: 'boolean' } });
      return { content: [text('state-ok: confirmed')] };
    },
  );
  mcp.registerTool(
    'test_input_required_result_multiple_inputs',
    { description: 'Asks an elicitation, a sampling and the roots at once', inputSchema: {} },
    async (_args, extra) => {
      const [who, greeting, where] = await Promise.all([
        ask(extra, 'user_name', 'What is your name?', { name: { type: 'string' } }),
        sample(extra, 'greeting', 'Generate a greeting', 50),
        roots(extra, 'client_roots'),
      ]);
      return {
        content: [
          text(`${greeting.content?.text ?? ''} ${who.content?.name} (${where.roots.length} roots)`),
        ],
      };
    },
  );
  mcp.registerTool(
    'test_input_required_result_multi_round',
    { description: 'Asks two questions, one after the other', inputSchema: {} },
    async (_args, extra) => {
      const name = await ask(extra, 'step1', 'Step 1: What is your name?', { name: { type: 'string' } });
      const color = await ask(extra, 'step2', 'Step 2: What is your favorite color?', {
        color: { type: 'string' },
      });
      return { content: [text(`${name.content?.name} likes ${color.content?.color}`)] };
    },
  );
  mcp.registerTool(
    'test_input_required_result_tampered_state',
    { description: 'Asks for a confirmation, then answers', inputSchema: {} },
    async (_args, extra) => {
      await ask(extra, 'confirm', 'Please confirm', { ok: { type: 'boolean' } });
      return { content: [text('confirmed')] };
    },
  );
  mcp.registerTool(
    'test_input_required_result_capabilities',
    { description: 'Asks an elicitation and a sampling; uses what the client could answer', inputSchema: {} },
    async (_args, extra) => {
      const [who, greeting] = await Promise.allSettled([
        ask(extra, 'user_name', 'What is your name?', { name: { type: 'string' } }),
        sample(extra, 'greeting', 'Generate a greeting', 50),
      ]);
      return {
        content: [text(`elicitation ${who.status}, sampling ${greeting.status}`)],
      };
    },
  );

  mcp.registerTool(
    'test_missing_capability',
    { description: 'Asks the client for sampling mid-call (a 2026 client that did not declare it gets -32021)', inputSchema: {} },
    async (_args, extra) => {
      try {
        await server.createMessage(
          { messages: [{ role: 'user', content: text('ping') }], maxTokens: 10 },
          related(extra),
        );
        return { content: [text('Success')] };
      } catch (e) {
        return { isError: true, content: [text(`sampling failed: ${errorMessage(e)}`)] };
      }
    },
  );

  mcp.registerTool(
    'test_streaming_elicitation',
    { description: 'Reports progress for the request progress token, then answers', inputSchema: {} },
    async (_args, extra) => {
      const progressToken = extra._meta?.progressToken;
      if (progressToken !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress: 50, total: 100 },
        });
      }
      return { content: [text('Streaming complete')] };
    },
  );

  mcp.registerTool(
    'test_logging_tool',
    { description: 'Sends one info log notification, then answers', inputSchema: {} },
    async (_args, extra) => {
      await log(extra, 'info', 'Diagnostic trace logging activated');
      return { content: [text('Logging evaluated')] };
    },
  );

  mcp.registerTool(
    'test_trigger_tool_change',
    { description: 'Sends notifications/tools/list_changed' },
    async () => {
      await server.sendToolListChanged();
      return { content: [text('Mutation triggered')] };
    },
  );

  mcp.registerTool(
    'test_trigger_prompt_change',
    { description: 'Sends notifications/prompts/list_changed' },
    async () => {
      await server.sendPromptListChanged();
      return { content: [text('Mutation triggered')] };
    },
  );

  mcp.registerTool(
    'test_simple_text',
    { description: 'Returns a simple text content block' },
    async () => ({ content: [text('This is a simple text response for testing.')] }),
  );

  mcp.registerTool(
    'test_image_content',
    { description: 'Returns an image content block (1x1 PNG)' },
    async () => ({ content: [{ type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' }] }),
  );

  mcp.registerTool(
    'test_audio_content',
    { description: 'Returns an audio content block (minimal WAV)' },
    async () => ({ content: [{ type: 'audio', data: TEST_AUDIO_BASE64, mimeType: 'audio/wav' }] }),
  );

  mcp.registerTool(
    'test_embedded_resource',
    { description: 'Returns an embedded text resource' },
    async () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  );

  mcp.registerTool(
    'test_multiple_content_types',
    { description: 'Returns text, image and embedded resource content together' },
    async () => ({
      content: [
        text('Multiple content types test:'),
        { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  );

  mcp.registerTool(
    'test_tool_with_logging',
    { description: 'Sends three info log notifications while it runs', inputSchema: {} },
    async (_args, extra) => {
      await log(extra, 'info', 'Tool execution started');
      await sleep(50);
      await log(extra, 'info', 'Tool processing data');
      await sleep(50);
      await log(extra, 'info', 'Tool execution completed');
      return { content: [text('Tool with logging executed successfully')] };
    },
  );

  mcp.registerTool(
    'test_error_handling',
    { description: 'Always fails with a tool error (isError: true)' },
    async () => ({
      isError: true,
      content: [text('This tool intentionally returns an error for testing')],
    }),
  );

  mcp.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50 and 100 of 100 for the request progress token', inputSchema: {} },
    async (_args, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (const [i, progress] of [0, 50, 100].entries()) {
        if (i > 0) await sleep(50);
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress, total: 100, message: `Completed ${progress} of 100` },
          });
        }
      }
      return { content: [text(`Progress test completed (token: ${progressToken ?? 'none'})`)] };
    },
  );

  mcp.registerTool(
    'test_sampling',
    {
      description: 'Asks the client to sample an LLM (sampling/createMessage) with the given prompt',
      inputSchema: { prompt: z.string().describe('The prompt to send to the LLM') },
    },
    async ({ prompt }, extra) => {
      try {
        const result = await server.createMessage(
          { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 },
          related(extra),
        );
        const reply = Array.isArray(result.content)
          ? result.content.map((c) => c.text ?? `[${c.type}]`).join(' ')
          : (result.content?.text ?? `[${result.content?.type}]`);
        return { content: [text(`LLM response: ${reply}`)] };
      } catch (e) {
        return { isError: true, content: [text(`Sampling failed: ${errorMessage(e)}`)] };
      }
    },
  );

  // Form elicitation during a tool call; the result is reported back as text.
  async function elicit(extra, message, requestedSchema, prefix) {
    try {
      const result = await server.elicitInput({ mode: 'form', message, requestedSchema }, related(extra));
      return {
        content: [text(`${prefix}: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`)],
      };
    } catch (e) {
      return { isError: true, content: [text(`Elicitation failed: ${errorMessage(e)}`)] };
    }
  }

  mcp.registerTool(
    'test_elicitation',
    {
      description: 'Asks the client for a username and email (elicitation/create)',
      inputSchema: { message: z.string().describe('The message to show the user') },
    },
    async ({ message }, extra) =>
      elicit(
        extra,
        message,
        {
          type: 'object',
          properties: {
            username: { type: 'string', description: "User's response" },
            email: { type: 'string', description: "User's email address" },
          },
          required: ['username', 'email'],
        },
        'User response',
      ),
  );

  mcp.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicitation whose schema has defaults for every primitive type (SEP-1034)', inputSchema: {} },
    async (_args, extra) =>
      elicit(
        extra,
        'Please review and update the form fields with defaults',
        {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'User name', default: 'John Doe' },
            age: { type: 'integer', description: 'User age', default: 30 },
            score: { type: 'number', description: 'User score', default: 95.5 },
            status: {
              type: 'string',
              description: 'User status',
              enum: ['active', 'inactive', 'pending'],
              default: 'active',
            },
            verified: { type: 'boolean', description: 'Verification status', default: true },
          },
          required: [],
        },
        'Elicitation completed',
      ),
  );

  mcp.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicitation whose schema has all five enum variants (SEP-1330)', inputSchema: {} },
    async (_args, extra) =>
      elicit(
        extra,
        'Please select options from the enum fields',
        {
          type: 'object',
          properties: {
            untitledSingle: {
              type: 'string',
              description: 'Select one option',
              enum: ['option1', 'option2', 'option3'],
            },
            titledSingle: {
              type: 'string',
              description: 'Select one option with titles',
              oneOf: [
                { const: 'value1', title: 'First Option' },
                { const: 'value2', title: 'Second Option' },
                { const: 'value3', title: 'Third Option' },
              ],
            },
            legacyEnum: {
              type: 'string',
              description: 'Select one option (legacy)',
              enum: ['opt1', 'opt2', 'opt3'],
              enumNames: ['Option One', 'Option Two', 'Option Three'],
            },
            untitledMulti: {
              type: 'array',
              description: 'Select multiple options',
              minItems: 1,
              maxItems: 3,
              items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
            },
            titledMulti: {
              type: 'array',
              description: 'Select multiple options with titles',
              minItems: 1,
              maxItems: 3,
              items: {
                anyOf: [
                  { const: 'value1', title: 'First Choice' },
                  { const: 'value2', title: 'Second Choice' },
                  { const: 'value3', title: 'Third Choice' },
                ],
              },
            },
          },
          required: [],
        },
        'Elicitation completed',
      ),
  );

  mcp.registerTool(
    JSON_SCHEMA_2020_12_TOOL,
    {
      description: 'Tool whose inputSchema uses JSON Schema 2020-12 features (SEP-1613, SEP-2106)',
      // Validates calls; tools/list advertises JSON_SCHEMA_2020_12_INPUT_SCHEMA instead (see below).
      inputSchema: {
        name: z.string().optional(),
        address: z.object({ street: z.string().optional(), city: z.string().optional() }).optional(),
        contactMethod: z.enum(['phone', 'email']).optional(),
        phone: z.string().optional(),
        email: z.string().optional(),
      },
    },
    async (args) => ({ content: [text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`)] }),
  );

  mcp.registerTool(
    'test_reconnection',
    {
      description:
        'Closes its SSE response stream mid-call (SEP-1699) and answers after the client reconnects; ' +
        'on transports without resumable streams it simply answers',
      inputSchema: {},
    },
    async (_args, extra) => {
      extra.closeSSEStream?.();
      await sleep(100);
      return {
        content: [text('Reconnection test completed successfully.')],
      };
    },
  );

  // tools/list as McpServer builds it, but with the raw 2020-12 schema for that one tool:
  // McpServer only converts Zod schemas and would drop $schema, $defs, if/then/else, ...
  const listTools = server._requestHandlers.get('tools/list');
  server.setRequestHandler(ListToolsRequestSchema, async (request, extra) => {
    const result = await listTools(request, extra);
    return {
      ...result,
      tools: result.tools.map((tool) =>
        tool.name === JSON_SCHEMA_2020_12_TOOL ? { ...tool, inputSchema: JSON_SCHEMA_2020_12_INPUT_SCHEMA } : tool,
      ),
    };
  });

  // ----- resources -----

  mcp.registerResource(
    'static-text',
    'test://static-text',
    { title: 'Static Text Resource', description: 'A static text resource', mimeType: 'text/plain' },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
    }),
  );

  mcp.registerResource(
    'static-binary',
    'test://static-binary',
    { title: 'Static Binary Resource', description: 'A static binary resource (PNG)', mimeType: 'image/png' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: TEST_IMAGE_BASE64 }] }),
  );

  mcp.registerResource(
    'watched-resource',
    WATCHED_URI,
    { title: 'Watched Resource', description: 'A resource clients can subscribe to', mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }] }),
  );

  mcp.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', {
      list: undefined,
      complete: { id: (value) => TEMPLATE_IDS.filter((id) => id.startsWith(value)) },
    }),
    { title: 'Resource Template', description: 'Data for an id, substituted into the URI', mimeType: 'application/json' },
    async (uri, { id }) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/json',
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
        },
      ],
    }),
  );

  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  // ----- prompts -----

  mcp.registerPrompt(
    'test_simple_prompt',
    { title: 'Simple Test Prompt', description: 'A simple prompt without arguments' },
    async () => ({ messages: [{ role: 'user', content: text('This is a simple prompt for testing.') }] }),
  );

  const completeArg = (value) => PROMPT_ARG_VALUES.filter((v) => v.startsWith(value ?? ''));
  mcp.registerPrompt(
    'test_prompt_with_arguments',
    {
      title: 'Prompt With Arguments',
      description: 'A prompt with two required arguments',
      argsSchema: {
        arg1: completable(z.string().describe('First test argument'), completeArg),
        arg2: completable(z.string().describe('Second test argument'), completeArg),
      },
    },
    async ({ arg1, arg2 }) => ({
      messages: [{ role: 'user', content: text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`) }],
    }),
  );

  mcp.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      title: 'Prompt With Embedded Resource',
      description: 'A prompt that embeds a resource',
      argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') },
    },
    async ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' },
          },
        },
        { role: 'user', content: text('Please process the embedded resource above.') },
      ],
    }),
  );

  mcp.registerPrompt(
    'test_input_required_result_prompt',
    { description: 'A prompt that asks the user for its context first' },
    async (extra) => {
      const answer = await ask(extra, 'user_context', 'What context should the prompt use?', {
        context: { type: 'string' },
      });
      return { messages: [{ role: 'user', content: text(`Context: ${answer.content?.context}`) }] };
    },
  );

  mcp.registerPrompt(
    'test_prompt_with_image',
    { title: 'Prompt With Image', description: 'A prompt that includes an image' },
    async () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' } },
        { role: 'user', content: text('Please analyze the image above.') },
      ],
    }),
  );

  return mcp;
}
