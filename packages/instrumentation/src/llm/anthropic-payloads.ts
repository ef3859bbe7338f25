import type { TokenUsage } from "../cost/prices.js";
import { arr, isObj, num, type Obj, obj, parseJsonArgs, str, textOf } from "./fields.js";
import type { LlmRequest, LlmResult } from "./types.js";

export function anthropicRequest(body: Obj): LlmRequest {
  return {
    provider: "anthropic",
    api: "messages",
    model: str(body.model) ?? "unknown",
    systemPrompt: textOf(body.system),
    tools: arr(body.tools).map((tool) => {
      const t = obj(tool);
      return {
        name: str(t.name) ?? str(t.type) ?? "unknown",
        description: str(t.description),
        parameters: isObj(t.input_schema) ? t.input_schema : undefined,
      };
    }),
    body,
    stream: body.stream === true,
  };
}

/**
 * Anthropic reports cache reads and writes apart from `input_tokens`; the
 * GenAI conventions count them as input, so they are added back.
 */
function anthropicUsage(usage: Obj, outputOverride?: number): TokenUsage | undefined {
  return usageWithCacheApart(num(usage.input_tokens), outputOverride ?? num(usage.output_tokens), num(usage.cache_read_input_tokens), num(usage.cache_creation_input_tokens));
}

/** Usage of a provider that counts cache reads and writes apart from input (Anthropic, Bedrock): they are input too. */
export function usageWithCacheApart(input: number | undefined, output: number | undefined, cacheRead = 0, cacheWrite = 0): TokenUsage | undefined {
  if (input === undefined || output === undefined) return undefined;
  return { inputTokens: input + cacheRead + cacheWrite, outputTokens: output, cachedInputTokens: cacheRead, cacheWriteInputTokens: cacheWrite };
}

export function messageResult(message: unknown): LlmResult {
  const m = obj(message);
  const stop = str(m.stop_reason);
  return {
    responseModel: str(m.model),
    responseId: str(m.id),
    usage: isObj(m.usage) ? anthropicUsage(m.usage) : undefined,
    finishReasons: stop ? [stop] : [],
    toolCalls: arr(m.content)
      .map(obj)
      .filter((block) => block.type === "tool_use")
      .map((block) => ({ name: str(block.name) ?? "unknown", arguments: block.input ?? {}, id: str(block.id) })),
  };
}

/** Streamed message events: usage is split between message_start (input) and message_delta (output). */
export class MessageStreamAccumulator {
  private model: string | undefined;
  private id: string | undefined;
  private startUsage: Obj | undefined;
  private outputTokens: number | undefined;
  private stopReason: string | undefined;
  private readonly blocks = new Map<number, { name: string; json: string; input: unknown; id?: string | undefined }>();

  add(event: unknown): void {
    const e = obj(event);
    switch (e.type) {
      case "message_start": {
        const message = obj(e.message);
        this.model = str(message.model);
        this.id = str(message.id);
        if (isObj(message.usage)) this.startUsage = message.usage;
        break;
      }
      case "content_block_start": {
        const block = obj(e.content_block);
        if (block.type === "tool_use") {
          this.blocks.set(num(e.index) ?? 0, { name: str(block.name) ?? "unknown", json: "", input: block.input, id: str(block.id) });
        }
        break;
      }
      case "content_block_delta": {
        const delta = obj(e.delta);
        const block = this.blocks.get(num(e.index) ?? 0);
        if (block && delta.type === "input_json_delta") block.json += str(delta.partial_json) ?? "";
        break;
      }
      case "message_delta": {
        this.stopReason = str(obj(e.delta).stop_reason) ?? this.stopReason;
        const usage = obj(e.usage);
        this.outputTokens = num(usage.output_tokens) ?? this.outputTokens;
        // Newer API versions also report input and cache counts on message_delta.
        if (num(usage.input_tokens) !== undefined) this.startUsage = { ...this.startUsage, ...usage };
        break;
      }
    }
  }

  /** message_stop ends a message; the helpers stop reading there. */
  isLast(event: unknown): boolean {
    return obj(event).type === "message_stop";
  }

  result(): LlmResult {
    return {
      responseModel: this.model,
      responseId: this.id,
      usage: this.startUsage && this.outputTokens !== undefined ? anthropicUsage(this.startUsage, this.outputTokens) : undefined,
      finishReasons: this.stopReason ? [this.stopReason] : [],
      toolCalls: [...this.blocks.values()].map((b) => ({
        name: b.name,
        arguments: b.json ? parseJsonArgs(b.json) : (b.input ?? {}),
        id: b.id,
      })),
    };
  }
}
