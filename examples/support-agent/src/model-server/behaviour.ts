import { z } from "zod";
import { parseTask, type SupportTask } from "../agent/tasks.js";
import { between, type Random, seeded } from "./random.js";

/** How a model behaves. The defaults are a healthy agent: ~92% of tasks done, ~0.5% natural loops. */
export const BehaviourSchema = z.object({
  /** Share of sessions in which the model answers without the facts the tools gave it. */
  taskFailureRate: z.number().min(0).max(1).default(0.07),
  /** Share of sessions in which the model calls the same tool with the same arguments forever. */
  loopRate: z.number().min(0).max(1).default(0.005),
  /** Multiplies output tokens (verbosity, hidden reasoning). */
  tokenScale: z.number().positive().default(1),
  /** Share of turns with an extra, differently-worded search before answering (turn and cost noise). */
  extraSearchRate: z.number().min(0).max(1).default(0.15),
});
export type Behaviour = z.output<typeof BehaviourSchema>;
export type BehaviourOptions = z.input<typeof BehaviourSchema>;

/** A chat message as the policy reads it; the server validates requests against this. */
export const ChatMessageSchema = z.looseObject({
  role: z.string(),
  content: z.unknown().optional(),
  tool_calls: z.array(z.looseObject({ id: z.string(), function: z.looseObject({ name: z.string(), arguments: z.string() }) })).nullish(),
  tool_call_id: z.string().nullish(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** What the tools returned, as far as the policy cares; anything else reads as no result. */
const OrderResult = z.looseObject({ status: z.string().optional(), amountUsd: z.number().optional() });
const RefundResult = z.looseObject({ refundId: z.string().optional(), amountUsd: z.number().optional(), error: z.string().optional() });
const ArticleResult = z.looseObject({ articleId: z.string().optional() });

function lastResult<T>(schema: z.ZodType<T>, values: unknown[] | undefined): T | undefined {
  const parsed = schema.safeParse(values?.[values.length - 1]);
  return parsed.success ? parsed.data : undefined;
}

/** What the model says next: tool calls or a final answer. */
export type Move =
  | { kind: "tools"; calls: { name: string; args: Record<string, unknown> }[]; preamble?: string }
  | { kind: "answer"; text: string };

function toolResults(messages: ChatMessage[]): Map<string, unknown[]> {
  const names = new Map<string, string>();
  for (const m of messages) for (const c of m.tool_calls ?? []) names.set(c.id, c.function.name);
  const results = new Map<string, unknown[]>();
  for (const m of messages) {
    if (m.role !== "tool" || !m.tool_call_id) continue;
    const name = names.get(m.tool_call_id) ?? "unknown";
    let value: unknown;
    try {
      value = JSON.parse(typeof m.content === "string" ? m.content : "null");
    } catch {
      value = m.content;
    }
    results.set(name, [...(results.get(name) ?? []), value]);
  }
  return results;
}

function firstUserText(messages: ChatMessage[]): string {
  const user = messages.find((m) => m.role === "user");
  return typeof user?.content === "string" ? user.content : "";
}

/**
 * The scripted policy. A session's fate (fail, loop) is drawn once from the
 * seed, the model and the ticket; per-turn noise from those plus the turn.
 */
export function nextMove(seed: number, model: string, behaviour: Behaviour, messages: ChatMessage[]): Move {
  const task = parseTask(firstUserText(messages));
  if (!task) return { kind: "answer", text: "How can I help you today?" };
  const fate = seeded(seed, model, task.ticketId, "fate");
  const fails = fate() < behaviour.taskFailureRate;
  const loops = fate() < behaviour.loopRate;
  const turn = messages.filter((m) => m.role === "assistant").length;
  const noise = seeded(seed, model, task.ticketId, "turn", turn);
  if (loops) return { kind: "tools", calls: [{ name: "search_kb", args: { query: `status of ${task.orderId ?? task.topic}` } }] };
  const results = toolResults(messages);
  const searches = results.get("search_kb")?.length ?? 0;
  if (searches === 0 && task.kind !== "kb_question" && noise() < behaviour.extraSearchRate) {
    return { kind: "tools", calls: [{ name: "search_kb", args: { query: `${task.kind.replace("_", " ")} help ${turn}` } }], preamble: "Let me check our help center first." };
  }
  return planFor(task, results, fails, noise);
}

function planFor(task: SupportTask, results: Map<string, unknown[]>, fails: boolean, noise: Random): Move {
  const fallback = "I am sorry, I could not find anything about that. Is there anything else I can help with?";
  switch (task.kind) {
    case "order_status": {
      const order = lastResult(OrderResult, results.get("lookup_order"));
      if (!order) return { kind: "tools", calls: [{ name: "lookup_order", args: { orderId: task.orderId } }] };
      return { kind: "answer", text: fails ? fallback : `Your order ${task.orderId} is ${order.status}. Anything else?` };
    }
    case "refund": {
      const order = lastResult(OrderResult, results.get("lookup_order"));
      if (!order) return { kind: "tools", calls: [{ name: "lookup_order", args: { orderId: task.orderId } }] };
      const refund = lastResult(RefundResult, results.get("issue_refund"));
      if (!refund && !fails) return { kind: "tools", calls: [{ name: "issue_refund", args: { orderId: task.orderId, amountUsd: order.amountUsd } }] };
      if (refund?.refundId) return { kind: "answer", text: `Refund ${refund.refundId} of ${refund.amountUsd} USD is on its way.` };
      if (refund?.error) return { kind: "answer", text: `I have passed your refund request to a colleague: ${refund.error}.` };
      return { kind: "answer", text: fallback };
    }
    case "kb_question": {
      const article = lastResult(ArticleResult, results.get("search_kb"));
      if (!article) return { kind: "tools", calls: [{ name: "search_kb", args: { query: task.topic } }] };
      const filler = between(noise, 0, 2) === 0 ? " I hope this helps." : "";
      return { kind: "answer", text: fails ? fallback : `See article ${article.articleId} about ${task.topic}.${filler}` };
    }
  }
}
