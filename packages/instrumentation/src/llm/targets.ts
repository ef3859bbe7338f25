import { isObj } from "./fields.js";
import { CHAT_COMPLETIONS, MESSAGES, RESPONSES } from "./shapes.js";
import type { ApiShape } from "./wrap-create.js";

/** A prototype method that makes one LLM call (`create` of an SDK resource class, Gemini's generateContentInternal, Bedrock's send). */
export interface PatchTarget {
  proto: object;
  method: string;
  shape: ApiShape;
  label: string;
}

export type Ctor = { prototype?: unknown; [key: string]: unknown };

export function isCtor(value: unknown): value is Ctor {
  return typeof value === "function";
}

/**
 * The client class from a module namespace, CommonJS exports, the class itself
 * or a client instance: the first candidate carrying the `marker` resource class.
 */
export function clientClass(moduleOrClient: unknown, exportName: string, marker: string): Ctor | undefined {
  if (!isObj(moduleOrClient) && !isCtor(moduleOrClient)) return undefined;
  const m = moduleOrClient as Record<string, unknown>;
  const instanceClass = isObj(moduleOrClient) ? (moduleOrClient as { constructor?: unknown }).constructor : undefined;
  for (const candidate of [m[exportName], m.default, moduleOrClient, instanceClass]) {
    if (isCtor(candidate) && isCtor(candidate[marker])) return candidate;
  }
  return undefined;
}

function target(resource: unknown, shape: ApiShape, label: string): PatchTarget[] {
  if (!isCtor(resource)) return [];
  const proto = resource.prototype as { create?: unknown } | undefined;
  return proto && typeof proto.create === "function" ? [{ proto, method: "create", shape, label }] : [];
}

/** chat.completions.create and responses.create of an openai module (v4.19 and later). */
export function openaiTargets(moduleExports: unknown): PatchTarget[] {
  const OpenAI = clientClass(moduleExports, "OpenAI", "Chat");
  if (!OpenAI) return [];
  const chat = OpenAI.Chat as Ctor | undefined;
  return [
    ...target(chat?.Completions, CHAT_COMPLETIONS, "openai chat.completions"),
    ...target(OpenAI.Responses, RESPONSES, "openai responses"),
  ];
}

/** messages.create and beta.messages.create of an @anthropic-ai/sdk module. */
export function anthropicTargets(moduleExports: unknown): PatchTarget[] {
  const Anthropic = clientClass(moduleExports, "Anthropic", "Messages");
  if (!Anthropic) return [];
  const beta = Anthropic.Beta as Ctor | undefined;
  return [...target(Anthropic.Messages, MESSAGES, "anthropic messages"), ...target(beta?.Messages, MESSAGES, "anthropic beta.messages")];
}
