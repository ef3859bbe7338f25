import type { AgentSession } from "@agent-canary/instrumentation";

/** The slice of an openai client (v4 to v7) a chat-completions agent loop uses. */
export interface ChatClient {
  chat: { completions: { create(body: Record<string, unknown>): PromiseLike<unknown> } };
}

interface Completion {
  choices: { message: { content: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[] } }[];
}

/**
 * A plain tool loop on chat completions, built from the session's version:
 * call the model, run each requested tool through s.tool(), repeat until it
 * answers. What an agent without a framework looks like.
 */
export async function chatAgentLoop(client: ChatClient, s: AgentSession, question: string, runTool: (args: unknown) => Promise<unknown>, maxSteps = 6): Promise<string> {
  const v = s.version;
  const messages: Record<string, unknown>[] = [
    { role: "system", content: v.systemPrompt },
    { role: "user", content: question },
  ];
  const tools = v.tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } }));
  for (let step = 0; step < maxSteps; step++) {
    const completion = (await client.chat.completions.create({ model: v.model, messages, tools, ...v.params })) as Completion;
    const message = completion.choices[0]?.message;
    if (!message?.tool_calls?.length) return message?.content ?? "";
    messages.push({ role: "assistant", content: message.content, tool_calls: message.tool_calls.map((c) => ({ ...c, type: "function" })) });
    for (const call of message.tool_calls) {
      const args = JSON.parse(call.function.arguments) as unknown;
      const output = await s.tool(call.function.name, args, () => runTool(args), { callId: call.id });
      messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify(output) });
    }
  }
  return "";
}
