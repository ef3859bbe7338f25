import { EventStreamCodec } from "@smithy/core/event-streams";
import type { Reply } from "./llm-stand-in.js";

/** Bedrock Converse / ConverseStream wire shapes; the stream uses the AWS event-stream binary framing. */
function usage(r: Reply) {
  if (!r.usage) return undefined;
  return { inputTokens: r.usage.input, outputTokens: r.usage.output, totalTokens: r.usage.input + r.usage.output, ...(r.usage.cached ? { cacheReadInputTokens: r.usage.cached } : {}) };
}

export function converseResponse(r: Reply): unknown {
  const calls = r.toolCalls ?? [];
  return {
    output: {
      message: {
        role: "assistant",
        content: [...(r.text ? [{ text: r.text }] : []), ...calls.map((c, i) => ({ toolUse: { toolUseId: `tooluse_${r.id}_${i}`, name: c.name, input: c.args } }))],
      },
    },
    stopReason: calls.length ? "tool_use" : "end_turn",
    usage: usage(r),
    metrics: { latencyMs: 5 },
  };
}

const codec = new EventStreamCodec(
  (bytes) => new TextDecoder().decode(bytes),
  (text) => new TextEncoder().encode(text),
);

function event(type: string, body: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: type },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: new TextEncoder().encode(JSON.stringify(body)),
  });
}

export function converseStreamFrames(r: Reply): Uint8Array[] {
  const frames = [event("messageStart", { role: "assistant" })];
  let index = 0;
  if (r.text) {
    frames.push(event("contentBlockDelta", { contentBlockIndex: index, delta: { text: r.text } }), event("contentBlockStop", { contentBlockIndex: index }));
    index++;
  }
  for (const [i, c] of (r.toolCalls ?? []).entries()) {
    const args = JSON.stringify(c.args);
    frames.push(
      event("contentBlockStart", { contentBlockIndex: index, start: { toolUse: { toolUseId: `tooluse_${r.id}_${i}`, name: c.name } } }),
      event("contentBlockDelta", { contentBlockIndex: index, delta: { toolUse: { input: args.slice(0, 3) } } }),
      event("contentBlockDelta", { contentBlockIndex: index, delta: { toolUse: { input: args.slice(3) } } }),
      event("contentBlockStop", { contentBlockIndex: index }),
    );
    index++;
  }
  frames.push(event("messageStop", { stopReason: r.toolCalls?.length ? "tool_use" : "end_turn" }));
  const u = usage(r);
  frames.push(event("metadata", { ...(u ? { usage: u } : {}), metrics: { latencyMs: 5 } }));
  return frames;
}

export function converseHasToolResult(body: Record<string, unknown>): boolean {
  const messages = (body.messages as { content?: { toolResult?: unknown }[] }[] | undefined) ?? [];
  return messages.some((m) => (m.content ?? []).some((c) => c.toolResult !== undefined));
}
