import type { Attributes, AttributeValue } from "@opentelemetry/api";
import type { TokenUsage } from "../cost/prices.js";
import { arr, num, obj, parseJsonArgs, str } from "../llm/fields.js";
import type { LlmRequest, LlmResult } from "../llm/types.js";
import type { RequestedToolCall } from "../session/session.js";
import { genAiProviderName } from "../integrations/ai-sdk/provider.js";

/** An LLM call read from a finished span someone else produced. */
export interface SpanCall {
  request: LlmRequest;
  result: LlmResult;
  seconds: number;
  responseId: string | undefined;
}

/** GenAI operations that are one model call (not invoke_agent, execute_tool, embeddings). */
const LLM_OPERATIONS = new Set(["chat", "generate_content", "text_completion", "completion"]);
/** The AI SDK's own telemetry (ai 3 to 6, experimental_telemetry): one span per provider call. */
const AI_SDK_MODEL_CALLS = new Set(["ai.generateText.doGenerate", "ai.streamText.doStream", "ai.generateObject.doGenerate", "ai.streamObject.doStream"]);

type Shape = "ai-sdk" | "openinference" | "genai";

function shapeOf(a: Attributes): Shape | undefined {
  const operationId = a["ai.operationId"];
  if (typeof operationId === "string") return AI_SDK_MODEL_CALLS.has(operationId) ? "ai-sdk" : undefined;
  if (a["openinference.span.kind"] !== undefined) return a["openinference.span.kind"] === "LLM" ? "openinference" : undefined;
  const operation = a["gen_ai.operation.name"] ?? a["llm.request.type"];
  return typeof operation === "string" && LLM_OPERATIONS.has(operation) ? "genai" : undefined;
}

const s = (v: AttributeValue | undefined) => str(v);
const n = (v: AttributeValue | undefined) => num(v);

function first(a: Attributes, keys: string[], read: (v: AttributeValue | undefined) => string | number | undefined) {
  for (const key of keys) {
    const value = read(a[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}

function usageOf(a: Attributes, keys: { input: string[]; output: string[]; cacheRead: string[]; cacheWrite: string[] }): TokenUsage | undefined {
  const input = first(a, keys.input, n) as number | undefined;
  const output = first(a, keys.output, n) as number | undefined;
  if (input === undefined || output === undefined) return undefined;
  return {
    inputTokens: input,
    outputTokens: output,
    cachedInputTokens: (first(a, keys.cacheRead, n) as number | undefined) ?? 0,
    cacheWriteInputTokens: (first(a, keys.cacheWrite, n) as number | undefined) ?? 0,
  };
}

function parseJson(value: AttributeValue | undefined): unknown {
  if (typeof value !== "string") return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/** gen_ai.output.messages (GenAI semconv with content capture): parts of type "tool_call". */
function semconvToolCalls(a: Attributes): RequestedToolCall[] {
  return arr(parseJson(a["gen_ai.output.messages"]))
    .flatMap((m) => arr(obj(m).parts))
    .map(obj)
    .filter((p) => p.type === "tool_call")
    .map((p) => ({ name: str(p.name) ?? "unknown", arguments: parseJsonArgs(p.arguments), id: str(p.id) }));
}

/** Flattened indexed attributes: `${prefix}.{i}.${middle}.{j}.${nameKey}` (OpenLLMetry and OpenInference tool calls). */
function indexedToolCalls(a: Attributes, pattern: RegExp, nameKey: string, argsKey: string): RequestedToolCall[] {
  const calls = new Map<string, { name?: string; args?: unknown }>();
  for (const [key, value] of Object.entries(a)) {
    const match = pattern.exec(key);
    if (!match) continue;
    const entry = calls.get(match[1] ?? "") ?? {};
    if (match[2] === nameKey) entry.name = str(value);
    if (match[2] === argsKey) entry.args = parseJsonArgs(value);
    calls.set(match[1] ?? "", entry);
  }
  return [...calls.values()].filter((c) => c.name).map((c) => ({ name: c.name ?? "unknown", arguments: c.args ?? {} }));
}

function aiSdkToolCalls(a: Attributes): RequestedToolCall[] {
  return arr(parseJson(a["ai.response.toolCalls"]))
    .map(obj)
    .map((c) => ({ name: str(c.toolName) ?? "unknown", arguments: parseJsonArgs(c.input ?? c.args), id: str(c.toolCallId) }));
}

function finishReasons(value: AttributeValue | undefined): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return typeof value === "string" ? [value] : [];
}

const GENAI_USAGE = {
  input: ["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"],
  output: ["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"],
  cacheRead: ["gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens"],
  cacheWrite: ["gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens"],
};

/** Reads one model call from a span's attributes; undefined when the span is not one (an agent span, a tool, HTTP). */
export function readSpanCall(attributes: Attributes, durationSeconds: number): SpanCall | undefined {
  const a = attributes;
  const shape = shapeOf(a);
  if (!shape) return undefined;
  let provider: string;
  let model: string | undefined;
  let responseModel: string | undefined;
  let usage: TokenUsage | undefined;
  let toolCalls: RequestedToolCall[];
  let reasons: string[];
  let responseId: string | undefined;
  if (shape === "ai-sdk") {
    provider = genAiProviderName(s(a["ai.model.provider"]));
    model = s(a["ai.model.id"]) ?? s(a["gen_ai.request.model"]);
    responseModel = s(a["ai.response.model"]) ?? s(a["gen_ai.response.model"]);
    usage = usageOf(a, {
      input: ["ai.usage.inputTokens", "ai.usage.promptTokens", ...GENAI_USAGE.input],
      output: ["ai.usage.outputTokens", "ai.usage.completionTokens", ...GENAI_USAGE.output],
      cacheRead: ["ai.usage.cachedInputTokens", "ai.usage.inputTokenDetails.cacheReadTokens"],
      cacheWrite: ["ai.usage.inputTokenDetails.cacheWriteTokens"],
    });
    toolCalls = aiSdkToolCalls(a);
    reasons = finishReasons(a["ai.response.finishReason"]);
    responseId = s(a["ai.response.id"]) ?? s(a["gen_ai.response.id"]);
  } else if (shape === "openinference") {
    provider = s(a["llm.provider"]) ?? s(a["llm.system"]) ?? "unknown";
    model = s(a["llm.model_name"]);
    responseModel = model;
    usage = usageOf(a, {
      input: ["llm.token_count.prompt"],
      output: ["llm.token_count.completion"],
      cacheRead: ["llm.token_count.prompt_details.cache_read"],
      cacheWrite: ["llm.token_count.prompt_details.cache_write"],
    });
    toolCalls = indexedToolCalls(a, /^llm\.output_messages\.(\d+\.message\.tool_calls\.\d+)\.tool_call\.function\.(name|arguments)$/, "name", "arguments");
    reasons = [];
    responseId = undefined;
  } else {
    provider = s(a["gen_ai.provider.name"]) ?? s(a["gen_ai.system"]) ?? "unknown";
    model = s(a["gen_ai.request.model"]);
    responseModel = s(a["gen_ai.response.model"]);
    usage = usageOf(a, GENAI_USAGE);
    const semconv = semconvToolCalls(a);
    toolCalls = semconv.length > 0 ? semconv : indexedToolCalls(a, /^gen_ai\.completion\.(\d+\.tool_calls\.\d+)\.(name|arguments)$/, "name", "arguments");
    reasons = finishReasons(a["gen_ai.response.finish_reasons"]);
    responseId = s(a["gen_ai.response.id"]);
  }
  const request: LlmRequest = {
    provider,
    api: `span ${shape}`,
    operation: s(a["gen_ai.operation.name"]) ?? "chat",
    model: model ?? responseModel ?? "unknown",
    systemPrompt: "",
    tools: [],
    body: {},
    stream: a["gen_ai.request.stream"] === true || a["llm.is_streaming"] === true || a["ai.operationId"] === "ai.streamText.doStream",
  };
  return { request, result: { responseModel, responseId, usage, finishReasons: reasons, toolCalls }, seconds: durationSeconds, responseId };
}

/** For tests and docs: whether attributes describe a model call this module reads. */
export function isModelCallSpan(attributes: Attributes): boolean {
  return shapeOf(attributes) !== undefined;
}

