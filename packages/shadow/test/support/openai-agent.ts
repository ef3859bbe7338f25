import { VersionSpecSchema, type VersionSpec } from "@agent-canary/conventions";
import { PriceBook } from "@agent-canary/instrumentation";
import { executeTool, type SupportTask } from "@agent-canary/example-support-agent";
import type OpenAI from "openai";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import type { AgentAnswer, AgentFn, Toolset } from "../../src/index.js";

const prices = new PriceBook();

/**
 * The example's support agent loop, written the shadow way: the same openai
 * SDK calls, with tools called through ctx.callTool so the shadow sees
 * (and, in the candidate, intercepts) them, and turns and cost through
 * ctx.recordTurn.
 */
export function supportAgent(client: OpenAI, spec: VersionSpec, before?: () => Promise<void>): AgentFn<SupportTask, AgentAnswer> {
  const version = VersionSpecSchema.parse(spec);
  const tools: ChatCompletionTool[] = version.tools.map((t) => ({
    type: "function",
    function: { name: t.name, ...(t.description ? { description: t.description } : {}), ...(t.parameters ? { parameters: t.parameters } : {}) },
  }));
  return async (task, ctx) => {
    await before?.();
    const messages: ChatCompletionMessageParam[] = [
      { role: "system", content: version.systemPrompt },
      { role: "user", content: task.text },
    ];
    for (let step = 0; step < 12; step++) {
      const completion = await client.chat.completions.create({ model: version.model, messages, tools, ...version.params }, { signal: ctx.signal });
      const usage = completion.usage;
      const cost = prices.cost(version.model, usage ? { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, cachedInputTokens: 0 } : undefined);
      ctx.recordTurn({ costUsd: cost.known ? cost.usd : undefined });
      const message = completion.choices[0]?.message;
      const calls = (message?.tool_calls ?? []).flatMap((c) => (c.type === "function" ? [c] : []));
      if (calls.length === 0) return { output: message?.content ?? "" };
      messages.push({ role: "assistant", content: message?.content ?? null, tool_calls: calls });
      for (const call of calls) {
        const result = await ctx.callTool(call.function.name, JSON.parse(call.function.arguments || "{}"));
        messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify(result) });
      }
    }
    return { output: "", outcome: "max_turns" };
  };
}

/** The example's tools, declared read or write; refunds executed for real land in `refunds`. */
export function supportTools(): { tools: Toolset; refunds: unknown[] } {
  const refunds: unknown[] = [];
  const run = (name: string) => (args: unknown) => executeTool(name, JSON.stringify(args), { refundsEnabled: true });
  const tools: Toolset = {
    lookup_order: { kind: "read", execute: run("lookup_order") },
    search_kb: { kind: "read", execute: run("search_kb") },
    issue_refund: {
      kind: "write",
      execute: (args) => {
        const result = run("issue_refund")(args);
        refunds.push(args);
        return result;
      },
      // What a successful refund looks like, so the candidate reasons on as it would in production.
      dryRun: (args) => {
        const { orderId, amountUsd } = args as { orderId: string; amountUsd: number };
        return { refundId: `R-${orderId}`, amountUsd };
      },
    },
  };
  return { tools, refunds };
}
