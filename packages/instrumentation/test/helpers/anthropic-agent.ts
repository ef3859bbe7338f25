import type { AgentSession } from "@agent-canary/instrumentation";

/** The slice of an @anthropic-ai/sdk client (0.30 to 1.x) a messages agent loop uses. */
export interface MessagesClient {
  messages: { create(body: Record<string, unknown>): PromiseLike<unknown> };
}

interface Message {
  content: ({ type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown })[];
}

/** A tool loop on messages.create, built from the session's version. */
export async function messagesAgentLoop(client: MessagesClient, s: AgentSession, question: string, runTool: (args: unknown) => Promise<unknown>, maxSteps = 6): Promise<string> {
  const v = s.version;
  const messages: Record<string, unknown>[] = [{ role: "user", content: question }];
  const tools = v.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters }));
  for (let step = 0; step < maxSteps; step++) {
    const message = (await client.messages.create({ model: v.model, system: v.systemPrompt, max_tokens: 1024, messages, tools, ...v.params })) as Message;
    const uses = message.content.filter((b) => b.type === "tool_use");
    if (uses.length === 0) return message.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    messages.push({ role: "assistant", content: message.content });
    const results: Record<string, unknown>[] = [];
    for (const use of uses) {
      const output = await s.tool(use.name, use.input, () => runTool(use.input), { callId: use.id });
      results.push({ type: "tool_result", tool_use_id: use.id, content: JSON.stringify(output) });
    }
    messages.push({ role: "user", content: results });
  }
  return "";
}
