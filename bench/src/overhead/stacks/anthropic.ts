import Anthropic from "@anthropic-ai/sdk";
import { SYSTEM_PROMPT, TOOLS } from "../canned.ts";
import type { Kind } from "../variants.ts";
import { type BenchStack, fetchReturning } from "./types.ts";

const MODEL = "claude-haiku-4-5";
const tools = TOOLS.map((t) => ({ name: t.function.name, description: t.function.description, input_schema: { ...t.function.parameters, type: "object" as const } }));

const body = (n: number) =>
  JSON.stringify({
    id: `msg_bench_${n}`,
    type: "message",
    role: "assistant",
    model: MODEL,
    content: [{ type: "tool_use", id: `toolu_${n}`, name: "lookup_order", input: { order_id: `A-${1000 + (n % 16)}` } }],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 412, output_tokens: 38, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
  });

export const anthropicStack: BenchStack = {
  model: MODEL,
  // This API takes no temperature: the version's compared param is max_tokens.
  params: { max_tokens: 256 },
  async load(_kind: Kind) {
    const client = new Anthropic({ apiKey: "bench", baseURL: "http://127.0.0.1:9", fetch: fetchReturning(body), maxRetries: 0 });
    return {
      call: (turn: number) =>
        client.messages.create({ model: MODEL, system: SYSTEM_PROMPT, max_tokens: 256, tools, messages: [{ role: "user", content: `Where is my order A-${1000 + (turn % 16)}?` }] }),
      describe: "@anthropic-ai/sdk 1 messages.create",
      instrumentTarget: Anthropic,
    };
  },
};
