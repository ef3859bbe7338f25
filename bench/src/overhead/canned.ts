/**
 * A canned chat completion served by an injected fetch: the SDK does all its
 * real work (build the request, serialise, parse the response) with no network.
 * Bodies rotate over a few distinct tool-call arguments so a loop detector sees
 * realistic, non-repeating traffic (a cycle longer than any loop it looks for).
 */
const ROTATION = 16;

function body(i: number): string {
  return JSON.stringify({
    id: `chatcmpl-bench-${i}`,
    object: "chat.completion",
    created: 1_763_000_000,
    model: "gpt-4o-mini-2024-07-18",
    choices: [
      {
        index: 0,
        finish_reason: "tool_calls",
        logprobs: null,
        message: {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: [
            { id: `call_${i}`, type: "function", function: { name: "lookup_order", arguments: JSON.stringify({ order_id: `A-${1000 + i}` }) } },
          ],
        },
      },
    ],
    usage: { prompt_tokens: 412, completion_tokens: 38, total_tokens: 450 },
    system_fingerprint: "fp_bench",
  });
}

const BODIES = Array.from({ length: ROTATION }, (_, i) => body(i));

export function cannedFetch(): typeof fetch {
  let n = 0;
  return async () => {
    const text = BODIES[n++ % ROTATION] ?? "";
    return new Response(text, { status: 200, headers: { "content-type": "application/json", "x-request-id": "req_bench" } });
  };
}

export const SYSTEM_PROMPT = "You are a support agent for an online shop. Look up orders with the tools before answering.";

export const TOOLS = [
  {
    type: "function" as const,
    function: {
      name: "lookup_order",
      description: "Find an order by id",
      parameters: { type: "object", properties: { order_id: { type: "string" } }, required: ["order_id"] },
    },
  },
];

export const MODEL = "gpt-4o-mini";

export function messages(turn: number): { role: "system" | "user"; content: string }[] {
  return [
    { role: "system", content: SYSTEM_PROMPT },
    { role: "user", content: `Where is my order A-${1000 + (turn % ROTATION)}?` },
  ];
}
