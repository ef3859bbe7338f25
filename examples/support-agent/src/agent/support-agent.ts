import type { AgentSession } from "@agent-canary/instrumentation";
import type OpenAI from "openai";
import type { ChatCompletionMessageParam, ChatCompletionMessageToolCall, ChatCompletionTool } from "openai/resources/chat/completions";
import type { SupportTask } from "./tasks.js";
import { executeTool, type ToolResult } from "./tools.js";

export interface SupportSessionOptions {
  /** Stream the model's answers (with a final usage chunk). */
  stream?: boolean;
  /** The agent's own step limit, a backstop behind agent-canary's guards. */
  maxSteps?: number;
  /** A capability flag gating issue_refund; without one refunds are always on. */
  refundCapability?: string;
}

export interface SupportSessionResult {
  ticketId: string;
  /** The final answer states the facts the tools returned. */
  resolved: boolean;
  answer: string;
  steps: number;
}

interface Turn {
  content: string;
  toolCalls: { id: string; name: string; arguments: string }[];
}

/**
 * One support conversation: call the model with the session's version, run
 * the tools it asks for inside `s.tool()`, stop at a final answer. The task
 * counts as resolved only if the answer states what the tools found.
 */
export async function runSupportSession(client: OpenAI, s: AgentSession, task: SupportTask, options: SupportSessionOptions = {}): Promise<SupportSessionResult> {
  const { model, systemPrompt, tools, params } = s.version;
  const refundsEnabled = options.refundCapability ? s.capability(options.refundCapability) : true;
  const openaiTools: ChatCompletionTool[] = tools.map((t) => ({
    type: "function",
    function: { name: t.name, ...(t.description ? { description: t.description } : {}), ...(t.parameters ? { parameters: t.parameters } : {}) },
  }));
  const messages: ChatCompletionMessageParam[] = [
    { role: "system", content: systemPrompt },
    { role: "user", content: task.text },
  ];
  const facts: string[] = [];
  const maxSteps = options.maxSteps ?? 20;
  for (let step = 1; step <= maxSteps; step++) {
    const request = { model, messages, tools: openaiTools, ...params };
    const turn = options.stream ? await streamedTurn(client, request) : await plainTurn(client, request);
    if (turn.toolCalls.length === 0) {
      const resolved = facts.length > 0 && facts.every((fact) => turn.content.includes(fact));
      if (!resolved) s.fail();
      return { ticketId: task.ticketId, resolved, answer: turn.content, steps: step };
    }
    messages.push({
      role: "assistant",
      content: turn.content || null,
      tool_calls: turn.toolCalls.map((c): ChatCompletionMessageToolCall => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })),
    });
    for (const call of turn.toolCalls) {
      const result = await s.tool(call.name, call.arguments, () => executeTool(call.name, call.arguments, { refundsEnabled }), { callId: call.id });
      facts.splice(0, facts.length, ...factsOf(task, call.name, result, facts));
      messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify(result) });
    }
  }
  s.fail();
  return { ticketId: task.ticketId, resolved: false, answer: "", steps: maxSteps };
}

/** What a correct final answer must mention, given the tool results so far. */
function factsOf(task: SupportTask, tool: string, result: ToolResult, current: string[]): string[] {
  if (task.kind === "order_status" && tool === "lookup_order" && "status" in result) return [result.status];
  if (task.kind === "refund" && tool === "issue_refund" && "refundId" in result) return [result.refundId];
  if (task.kind === "kb_question" && tool === "search_kb" && "articleId" in result) return [result.articleId];
  return current;
}

type ChatRequest = Omit<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming, "stream">;

async function plainTurn(client: OpenAI, request: ChatRequest): Promise<Turn> {
  const completion = await client.chat.completions.create(request);
  const message = completion.choices[0]?.message;
  return {
    content: message?.content ?? "",
    toolCalls: (message?.tool_calls ?? []).flatMap((c) => (c.type === "function" ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : [])),
  };
}

async function streamedTurn(client: OpenAI, request: ChatRequest): Promise<Turn> {
  const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
  let content = "";
  const calls: { id: string; name: string; arguments: string }[] = [];
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta;
    if (!delta) continue;
    content += delta.content ?? "";
    for (const d of delta.tool_calls ?? []) {
      const call = (calls[d.index] ??= { id: "", name: "", arguments: "" });
      call.id ||= d.id ?? "";
      call.name += d.function?.name ?? "";
      call.arguments += d.function?.arguments ?? "";
    }
  }
  return { content, toolCalls: calls };
}
