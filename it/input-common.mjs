// Shared by modern-input-client.mjs (SDK v2) and legacy-input-client.mjs (SDK v1): an
// elicitation and a sampling handler that answer something unique to their client, and the
// checks that every tool result of server-everything's trigger-elicitation-request and
// trigger-sampling-request carries this client's answer to its own call's request.
//
// The two tools echo what the client answered: the elicitation one lists the accepted content
// ("- Name: <name>"), the sampling one the whole CreateMessageResult. The elicitation request
// carries nothing of the call that caused it, so each answer is a name used once
// ("<client>-<nonce>-<n>"): a result must carry one of this client's names, and no name may turn
// up in two results. The sampling request carries the call's prompt ("... context: <tag>", the
// tag naming client and call), so the handler can tell a foreign request from its own, and the
// result must carry "from <client>: <its own tag>".

import { randomBytes } from "node:crypto";
import { errorMessage } from "./client-common.mjs";

export const ELICIT_TOOL = "trigger-elicitation-request";
export const SAMPLING_TOOL = "trigger-sampling-request";

const TAG = /\[([A-Za-z0-9_-]+#[0-9.]+)\]/;

export class InputAnswerer {
  constructor(name) {
    this.name = name;
    this.nonce = randomBytes(4).toString("hex");
    this.elicitations = 0; // handler invocations
    this.samplings = 0;
    this.givenNames = [];
    this.foreign = []; // requests this client's handlers saw that another client's call caused
  }

  /** The handler of elicitation/create, for either SDK (both pass the JSON-RPC request). */
  elicit = async (request) => {
    this.elicitations++;
    const message = request?.params?.message;
    if (typeof message !== "string" || !message.startsWith("Please provide inputs")) {
      this.foreign.push({ method: "elicitation/create", message });
    }
    const answer = `${this.name}-${this.nonce}-${this.elicitations}`;
    this.givenNames.push(answer);
    return { action: "accept", content: { name: answer, check: true } };
  };

  /** The handler of sampling/createMessage. */
  sample = async (request) => {
    this.samplings++;
    const text = request?.params?.messages?.at(-1)?.content?.text ?? "";
    const tag = TAG.exec(text)?.[1];
    if (!tag || !tag.startsWith(`${this.name}#`)) {
      this.foreign.push({ method: "sampling/createMessage", tag: tag ?? null });
    }
    return {
      model: `model-of-${this.name}`,
      role: "assistant",
      content: { type: "text", text: `from ${this.name}: ${tag ?? "(no tag)"}` },
    };
  };

  /** The prompt of this client's sampling call `label` (e.g. "3.1"). */
  prompt(label) {
    return `[${this.name}#${label}]`;
  }
}

function texts(result) {
  return (result?.content ?? []).filter((c) => c?.type === "text").map((c) => c.text).join("\n");
}

/**
 * Checks the settled calls of one client. `calls` are {tool, label, outcome} where outcome is
 * {result} or {error}. Returns the summary line's counts and every problem found.
 */
export function judge(answerer, calls) {
  const problems = [];
  const failures = [];
  const seenNames = new Map();
  let elicitOk = 0;
  let samplingOk = 0;
  for (const call of calls) {
    if (call.outcome.error !== undefined) {
      failures.push({ tool: call.tool, label: call.label, error: errorMessage(call.outcome.error).slice(0, 300) });
      continue;
    }
    const result = call.outcome.result;
    const text = texts(result);
    if (result.isError) {
      failures.push({ tool: call.tool, label: call.label, error: `isError: ${text.slice(0, 300)}` });
      continue;
    }
    if (call.tool === ELICIT_TOOL) {
      const name = /- Name: (\S+)/.exec(text)?.[1];
      if (!name || !answerer.givenNames.includes(name)) {
        problems.push({ tool: call.tool, label: call.label, problem: `not our answer: ${name ?? text.slice(0, 200)}` });
      } else if (seenNames.has(name)) {
        problems.push({ tool: call.tool, label: call.label, problem: `answer ${name} also in call ${seenNames.get(name)}` });
      } else {
        seenNames.set(name, call.label);
        elicitOk++;
      }
    } else {
      const expected = `from ${answerer.name}: ${answerer.name}#${call.label}`;
      if (!text.includes(expected)) {
        problems.push({ tool: call.tool, label: call.label, problem: `expected '${expected}' in ${text.slice(0, 300)}` });
      } else {
        samplingOk++;
      }
    }
  }
  const elicitCalls = calls.filter((c) => c.tool === ELICIT_TOOL).length;
  const samplingCalls = calls.length - elicitCalls;
  return {
    name: answerer.name,
    elicitation: { calls: elicitCalls, handled: answerer.elicitations, ok: elicitOk },
    sampling: { calls: samplingCalls, handled: answerer.samplings, ok: samplingOk },
    foreign: answerer.foreign,
    failures,
    problems,
  };
}

/** Settles a call's promise into {result} or {error}, never rejecting. */
export function settle(promise) {
  return promise.then(
    (result) => ({ result }),
    (error) => ({ error }),
  );
}
