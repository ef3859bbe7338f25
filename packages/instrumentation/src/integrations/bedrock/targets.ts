import { isObj, type Obj } from "../../llm/fields.js";
import { isCtor, type PatchTarget } from "../../llm/targets.js";
import type { ApiShape } from "../../llm/wrap-create.js";
import { ConverseStreamAccumulator, converseRequest, converseResult } from "./payloads.js";

const CONVERSE: ApiShape = {
  request: (input) => converseRequest(input, false),
  result: converseResult,
  accumulator: () => new ConverseStreamAccumulator(),
};

const CONVERSE_STREAM: ApiShape = {
  ...CONVERSE,
  request: (input) => converseRequest(input, true),
  // ConverseStream resolves to { stream, $metadata }: the events are in `stream`.
  streamOf: (data) => (isObj(data) ? data.stream : undefined),
};

/**
 * BedrockRuntimeClient.send(command): a Converse or ConverseStream command
 * (by its class name, which the AWS SDK keeps stable) is one LLM call; any
 * other command passes through.
 */
const SEND: ApiShape = {
  ...CONVERSE,
  select(args) {
    const command = args[0] as { constructor?: { name?: string }; input?: unknown } | undefined;
    const input = command?.input;
    if (!isObj(input)) return undefined;
    const name = command?.constructor?.name;
    if (name === "ConverseCommand") return { shape: CONVERSE, body: input as Obj };
    if (name === "ConverseStreamCommand") return { shape: CONVERSE_STREAM, body: input as Obj };
    return undefined;
  },
};

/** `send` of BedrockRuntimeClient (the module, the class or a client). */
export function bedrockTargets(moduleOrClient: unknown): PatchTarget[] {
  const Client = bedrockClass(moduleOrClient);
  if (!isCtor(Client) || typeof (Client.prototype as Record<string, unknown> | undefined)?.send !== "function") return [];
  return [{ proto: Client.prototype as object, method: "send", shape: SEND, label: "@aws-sdk/client-bedrock-runtime send(Converse | ConverseStream)" }];
}

function bedrockClass(value: unknown): unknown {
  const m = value as Record<string, unknown> | undefined;
  if (!m) return undefined;
  for (const candidate of [m.BedrockRuntimeClient, m, (m as { constructor?: unknown }).constructor]) {
    if (isCtor(candidate) && candidate.name === "BedrockRuntimeClient") return candidate;
  }
  return undefined;
}
