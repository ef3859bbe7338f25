import type { TokenUsage } from "../cost/prices.js";
import type { RequestedToolCall } from "../session/session.js";
import { arr, isObj, num, type Obj, obj, parseJsonArgs, str, textOf } from "./fields.js";
import type { Api, LlmRequest, LlmResult, ObservedTool } from "./types.js";

/** Reads what identifies the agent version from a chat.completions or responses request body. */
export function openaiRequest(api: Api, body: Obj): LlmRequest {
  const messages = api === "responses" ? arr(body.input) : arr(body.messages);
  const systemParts = messages
    .filter((m): m is Obj => isObj(m) && (m.role === "system" || m.role === "developer"))
    .map((m) => textOf(m.content));
  if (api === "responses" && typeof body.instructions === "string") systemParts.unshift(body.instructions);
  return {
    provider: "openai",
    api,
    model: str(body.model) ?? "unknown",
    systemPrompt: systemParts.join("\n"),
    tools: arr(body.tools).map(openaiTool),
    body,
    stream: body.stream === true,
  };
}

function openaiTool(tool: unknown): ObservedTool {
  const t = obj(tool);
  // chat.completions nests the function; responses puts it at the top level.
  const fn = isObj(t.function) ? t.function : t;
  const name = str(fn.name) ?? str(t.type) ?? "unknown";
  return {
    name,
    description: str(fn.description),
    parameters: isObj(fn.parameters) ? fn.parameters : undefined,
  };
}

/** chat.completions names usage prompt/completion; responses names it input/output. Same meaning. */
function usageFrom(usage: unknown, names: { input: string; output: string; details: string }): TokenUsage | undefined {
  if (!isObj(usage)) return undefined;
  const input = num(usage[names.input]);
  const output = num(usage[names.output]);
  if (input === undefined || output === undefined) return undefined;
  return { inputTokens: input, outputTokens: output, cachedInputTokens: num(obj(usage[names.details]).cached_tokens) ?? 0 };
}

const chatUsage = (usage: unknown) =>
  usageFrom(usage, { input: "prompt_tokens", output: "completion_tokens", details: "prompt_tokens_details" });
const responsesUsage = (usage: unknown) =>
  usageFrom(usage, { input: "input_tokens", output: "output_tokens", details: "input_tokens_details" });

/** A non-streamed chat completion. */
export function chatCompletionResult(completion: unknown): LlmResult {
  const c = obj(completion);
  const choices = arr(c.choices).map(obj);
  const toolCalls: RequestedToolCall[] = choices.flatMap((choice) =>
    arr(obj(choice.message).tool_calls).map((call) => {
      const fn = obj(obj(call).function);
      return { name: str(fn.name) ?? "unknown", arguments: parseJsonArgs(fn.arguments), id: str(obj(call).id) };
    }),
  );
  return {
    responseModel: str(c.model),
    responseId: str(c.id),
    usage: chatUsage(c.usage),
    finishReasons: choices.map((choice) => str(choice.finish_reason)).filter((r): r is string => r !== undefined),
    toolCalls,
  };
}

/** Accumulates streamed chat completion chunks into the same result as a non-streamed call. */
export class ChatStreamAccumulator {
  private model: string | undefined;
  private id: string | undefined;
  private usage: TokenUsage | undefined;
  private readonly finishReasons = new Map<number, string>();
  /** Keyed by choice index and tool call index: names and arguments arrive in fragments. */
  private readonly calls = new Map<string, { name: string; args: string; id?: string | undefined }>();

  add(chunk: unknown): void {
    const c = obj(chunk);
    this.model ??= str(c.model);
    this.id ??= str(c.id);
    this.usage = chatUsage(c.usage) ?? this.usage;
    for (const choice of arr(c.choices).map(obj)) {
      const index = num(choice.index) ?? 0;
      const reason = str(choice.finish_reason);
      if (reason) this.finishReasons.set(index, reason);
      for (const call of arr(obj(choice.delta).tool_calls).map(obj)) {
        const key = `${index}:${num(call.index) ?? 0}`;
        const entry = this.calls.get(key) ?? { name: "", args: "" };
        const fn = obj(call.function);
        entry.name += str(fn.name) ?? "";
        entry.args += str(fn.arguments) ?? "";
        entry.id ??= str(call.id);
        this.calls.set(key, entry);
      }
    }
  }

  result(): LlmResult {
    return {
      responseModel: this.model,
      responseId: this.id,
      usage: this.usage,
      finishReasons: [...this.finishReasons.values()],
      toolCalls: [...this.calls.values()].map((c) => ({ name: c.name || "unknown", arguments: parseJsonArgs(c.args), id: c.id })),
    };
  }
}

/** A non-streamed Responses API response (also the `response` of a streamed completion event). */
export function responsesResult(response: unknown): LlmResult {
  const r = obj(response);
  const output = arr(r.output).map(obj);
  const toolCalls: RequestedToolCall[] = output
    .filter((item) => item.type === "function_call")
    .map((item) => ({ name: str(item.name) ?? "unknown", arguments: parseJsonArgs(item.arguments), id: str(item.call_id) }));
  const status = str(r.status);
  const incomplete = str(obj(r.incomplete_details).reason);
  return {
    responseModel: str(r.model),
    responseId: str(r.id),
    usage: responsesUsage(r.usage),
    finishReasons: [incomplete ?? status].filter((x): x is string => x !== undefined),
    toolCalls,
  };
}

/** Streamed Responses events: the terminal event carries the whole response. */
export class ResponsesStreamAccumulator {
  private final: LlmResult | undefined;
  private model: string | undefined;

  add(event: unknown): void {
    const e = obj(event);
    const type = str(e.type);
    if (type === "response.created") this.model = str(obj(e.response).model);
    if (this.isLast(event)) this.final = responsesResult(e.response);
  }

  isLast(event: unknown): boolean {
    const type = str(obj(event).type);
    return type === "response.completed" || type === "response.incomplete" || type === "response.failed";
  }

  result(): LlmResult {
    return this.final ?? { responseModel: this.model, finishReasons: [], toolCalls: [] };
  }
}
