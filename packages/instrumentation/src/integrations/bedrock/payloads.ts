import type { TokenUsage } from "../../cost/prices.js";
import { arr, isObj, num, type Obj, obj, parseJsonArgs, str } from "../../llm/fields.js";
import type { LlmRequest, LlmResult, ObservedTool } from "../../llm/types.js";
import { usageWithCacheApart } from "../../llm/anthropic-payloads.js";
import type { RequestedToolCall } from "../../session/session.js";

function converseTools(toolConfig: unknown): ObservedTool[] {
  return arr(obj(toolConfig).tools)
    .map((t) => obj(obj(t).toolSpec))
    .filter((spec) => str(spec.name) !== undefined)
    .map((spec) => {
      const schema = obj(spec.inputSchema).json;
      return { name: str(spec.name) ?? "unknown", description: str(spec.description), parameters: isObj(schema) ? schema : undefined };
    });
}

/** A Converse / ConverseStream input. inferenceConfig's fields (temperature, topP, maxTokens) are the compared params. */
export function converseRequest(input: Obj, stream: boolean): LlmRequest {
  return {
    provider: "aws.bedrock",
    api: stream ? "converseStream" : "converse",
    model: str(input.modelId) ?? "unknown",
    systemPrompt: arr(input.system)
      .map((block) => str(obj(block).text) ?? "")
      .join("\n"),
    tools: converseTools(input.toolConfig),
    body: { ...obj(input.additionalModelRequestFields), ...obj(input.inferenceConfig) },
    stream,
  };
}

/** Bedrock reports cache reads and writes apart from inputTokens; as with Anthropic, they are added back. */
export function converseUsage(usage: unknown): TokenUsage | undefined {
  const u = obj(usage);
  return usageWithCacheApart(num(u.inputTokens), num(u.outputTokens), num(u.cacheReadInputTokens), num(u.cacheWriteInputTokens));
}

export function converseResult(data: unknown): LlmResult {
  const r = obj(data);
  const toolCalls: RequestedToolCall[] = arr(obj(obj(r.output).message).content)
    .map((block) => obj(obj(block).toolUse))
    .filter((use) => str(use.name) !== undefined)
    .map((use) => ({ name: str(use.name) ?? "unknown", arguments: use.input ?? {}, id: str(use.toolUseId) }));
  const stop = str(r.stopReason);
  return { responseId: str(obj(r.$metadata).requestId), usage: converseUsage(r.usage), finishReasons: stop ? [stop] : [], toolCalls };
}

/** ConverseStream events: tool input arrives in JSON fragments per content block; usage in the metadata event. */
export class ConverseStreamAccumulator {
  private usage: TokenUsage | undefined;
  private stop: string | undefined;
  private readonly blocks = new Map<number, { name: string; id?: string | undefined; json: string }>();

  add(event: unknown): void {
    const e = obj(event);
    const start = obj(obj(obj(e.contentBlockStart).start).toolUse);
    if (str(start.name)) this.blocks.set(num(obj(e.contentBlockStart).contentBlockIndex) ?? 0, { name: str(start.name) ?? "unknown", id: str(start.toolUseId), json: "" });
    const delta = obj(e.contentBlockDelta);
    const input = str(obj(obj(delta.delta).toolUse).input);
    const block = this.blocks.get(num(delta.contentBlockIndex) ?? 0);
    if (input !== undefined && block) block.json += input;
    this.stop = str(obj(e.messageStop).stopReason) ?? this.stop;
    this.usage = converseUsage(obj(e.metadata).usage) ?? this.usage;
  }

  /** The metadata event, carrying the usage, is the last one. */
  isLast(event: unknown): boolean {
    return obj(event).metadata !== undefined;
  }

  result(): LlmResult {
    return {
      usage: this.usage,
      finishReasons: this.stop ? [this.stop] : [],
      toolCalls: [...this.blocks.values()].map((b) => ({ name: b.name, arguments: parseJsonArgs(b.json), id: b.id })),
    };
  }
}
