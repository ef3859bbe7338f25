import type { TokenUsage } from "../../cost/prices.js";
import { arr, isObj, num, type Obj, obj, str, textOf } from "../../llm/fields.js";
import type { LlmRequest, LlmResult, ObservedTool } from "../../llm/types.js";
import type { RequestedToolCall } from "../../session/session.js";

/** systemInstruction: a string, a Content ({ parts }), a Part, or a list of parts. */
function systemText(instruction: unknown): string {
  if (typeof instruction === "string") return instruction;
  if (Array.isArray(instruction)) return textOf(instruction);
  const content = obj(instruction);
  return Array.isArray(content.parts) ? textOf(content.parts) : (str(content.text) ?? "");
}

function geminiTools(tools: unknown): ObservedTool[] {
  return arr(tools)
    .flatMap((tool) => arr(obj(tool).functionDeclarations))
    .map(obj)
    .map((fn) => {
      const schema = fn.parametersJsonSchema ?? fn.parameters;
      return { name: str(fn.name) ?? "unknown", description: str(fn.description), parameters: isObj(schema) ? schema : undefined };
    });
}

/**
 * A generateContent request ({ model, contents, config }). The config's
 * generation settings (temperature, topP, maxOutputTokens, ...) are the params
 * compared with the declared version, by the SDK's names.
 */
export function geminiRequest(params: Obj, stream: boolean): LlmRequest {
  const config = obj(params.config);
  const model = (str(params.model) ?? "unknown").replace(/^models\//, "");
  return {
    provider: "gcp.gemini",
    api: "generateContent",
    operation: "generate_content",
    model,
    systemPrompt: systemText(config.systemInstruction),
    tools: geminiTools(config.tools),
    body: config,
    stream,
  };
}

/** Thinking tokens are billed as output; tool-use prompt tokens as input. */
function geminiUsage(metadata: unknown): TokenUsage | undefined {
  if (!isObj(metadata)) return undefined;
  const prompt = num(metadata.promptTokenCount);
  const candidates = num(metadata.candidatesTokenCount) ?? (prompt !== undefined ? 0 : undefined);
  if (prompt === undefined || candidates === undefined) return undefined;
  return {
    inputTokens: prompt + (num(metadata.toolUsePromptTokenCount) ?? 0),
    outputTokens: candidates + (num(metadata.thoughtsTokenCount) ?? 0),
    cachedInputTokens: num(metadata.cachedContentTokenCount) ?? 0,
  };
}

function functionCalls(response: Obj): RequestedToolCall[] {
  return arr(response.candidates)
    .flatMap((c) => arr(obj(obj(c).content).parts))
    .map((p) => obj(obj(p).functionCall))
    .filter((fn) => str(fn.name) !== undefined)
    .map((fn) => ({ name: str(fn.name) ?? "unknown", arguments: fn.args ?? {}, id: str(fn.id) }));
}

function finishReasons(response: Obj): string[] {
  return arr(response.candidates)
    .map((c) => str(obj(c).finishReason))
    .filter((r): r is string => r !== undefined);
}

export function geminiResult(data: unknown): LlmResult {
  const r = obj(data);
  return { responseModel: str(r.modelVersion), responseId: str(r.responseId), usage: geminiUsage(r.usageMetadata), finishReasons: finishReasons(r), toolCalls: functionCalls(r) };
}

/** Streamed chunks: function calls arrive whole in some chunk, usage on the last ones. */
export class GeminiStreamAccumulator {
  private model: string | undefined;
  private id: string | undefined;
  private usage: TokenUsage | undefined;
  private readonly reasons: string[] = [];
  private readonly calls: RequestedToolCall[] = [];

  add(chunk: unknown): void {
    const c = obj(chunk);
    this.model = str(c.modelVersion) ?? this.model;
    this.id = str(c.responseId) ?? this.id;
    this.usage = geminiUsage(c.usageMetadata) ?? this.usage;
    this.calls.push(...functionCalls(c));
    this.reasons.push(...finishReasons(c));
  }

  result(): LlmResult {
    return { responseModel: this.model, responseId: this.id, usage: this.usage, finishReasons: this.reasons, toolCalls: this.calls };
  }
}
