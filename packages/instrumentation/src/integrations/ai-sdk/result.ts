import type { TokenUsage } from "../../cost/prices.js";
import { arr, isObj, num, obj, parseJsonArgs, str } from "../../llm/fields.js";
import type { LlmResult } from "../../llm/types.js";
import type { RequestedToolCall } from "../../session/session.js";

/**
 * Usage of every AI SDK model spec: v3/v4 nest totals ({ inputTokens: { total,
 * cacheRead, cacheWrite }, outputTokens: { total } }), v2 has flat numbers and
 * cachedInputTokens, v1 (ai 4) promptTokens / completionTokens.
 */
export function aiSdkUsage(usage: unknown): TokenUsage | undefined {
  if (!isObj(usage)) return undefined;
  const input = usage.inputTokens;
  const output = usage.outputTokens;
  const inputTotal = isObj(input) ? num(input.total) : (num(input) ?? num(usage.promptTokens));
  const outputTotal = isObj(output) ? num(output.total) : (num(output) ?? num(usage.completionTokens));
  if (inputTotal === undefined || outputTotal === undefined) return undefined;
  // Callback events carry the normalised LanguageModelUsage: inputTokenDetails.{cacheReadTokens, cacheWriteTokens}.
  const details = obj(usage.inputTokenDetails);
  const cacheRead = isObj(input) ? num(input.cacheRead) : (num(usage.cachedInputTokens) ?? num(details.cacheReadTokens));
  const cacheWrite = isObj(input) ? num(input.cacheWrite) : num(details.cacheWriteTokens);
  return { inputTokens: inputTotal, outputTokens: outputTotal, cachedInputTokens: cacheRead ?? 0, cacheWriteInputTokens: cacheWrite ?? 0 };
}

/** A tool call part: `input` (v2+) or `args` (v1), a JSON string either way. */
export function aiSdkToolCall(part: Record<string, unknown>): RequestedToolCall {
  return { name: str(part.toolName) ?? "unknown", arguments: parseJsonArgs(part.input ?? part.args), id: str(part.toolCallId) };
}

function finishReason(reason: unknown): string | undefined {
  return str(reason) ?? str(obj(reason).unified);
}

/** A doGenerate result: `content` parts (v2+) or `toolCalls` (v1). */
export function aiSdkResult(result: unknown): LlmResult {
  const r = obj(result);
  const parts = isObj(r) && Array.isArray(r.content) ? r.content.map(obj) : arr(r.toolCalls).map((c) => ({ ...obj(c), type: "tool-call" }));
  const response = obj(r.response);
  const reason = finishReason(r.finishReason);
  return {
    responseModel: str(response.modelId),
    responseId: str(response.id),
    usage: aiSdkUsage(r.usage),
    finishReasons: reason ? [reason] : [],
    toolCalls: parts.filter((p) => p.type === "tool-call").map(aiSdkToolCall),
  };
}

/** Stream parts of doStream: tool calls arrive whole in `tool-call` parts, usage in the `finish` part. */
export class AiSdkStreamAccumulator {
  private model: string | undefined;
  private id: string | undefined;
  private usage: TokenUsage | undefined;
  private reason: string | undefined;
  private readonly calls: RequestedToolCall[] = [];
  finished = false;

  add(part: unknown): void {
    const p = obj(part);
    switch (p.type) {
      case "response-metadata":
        this.model = str(p.modelId) ?? this.model;
        this.id = str(p.id) ?? this.id;
        break;
      case "tool-call":
        this.calls.push(aiSdkToolCall(p));
        break;
      case "finish":
        this.finished = true;
        this.usage = aiSdkUsage(p.usage);
        this.reason = finishReason(p.finishReason);
        break;
    }
  }

  result(): LlmResult {
    return { responseModel: this.model, responseId: this.id, usage: this.usage, finishReasons: this.reason ? [this.reason] : [], toolCalls: this.calls };
  }
}
