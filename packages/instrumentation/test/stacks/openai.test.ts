import { AgentCanaryInstrumentation, type AgentSession, guardErrorOf } from "@agent-canary/instrumentation";
import OpenAI from "openai";
import OpenAI4 from "openai4";
import { afterAll, describe, expect, it } from "vitest";
import { chatAgentLoop, type ChatClient } from "../helpers/chat-agent.js";
import { startLlmStandIn } from "../helpers/llm-stand-in.js";
import { describeStack } from "../helpers/stack-contract.js";
import { agentScript, type Mode, stackHarness, stackVersion, SYSTEM_PROMPT } from "../helpers/stack-harness.js";

/**
 * openai at the oldest and newest majors the peer range promises (>=4.19 <8):
 * openai 4 is installed under the alias `openai4`.
 */
const CALL_USD = (1000 * 0.15 + 200 * 0.075 + 300 * 0.6) / 1e6;
const VERSION = stackVersion("gpt-4o-mini", { temperature: 0.2 });
const instrumentation = new AgentCanaryInstrumentation({ enabled: false });
instrumentation.instrument(OpenAI);
instrumentation.instrument(OpenAI4);
afterAll(() => instrumentation.disable());

const SDKS = { "openai 7": OpenAI, "openai 4": OpenAI4 } as const;
const clients: Partial<Record<keyof typeof SDKS, ChatClient>> = {};

for (const [name, Sdk] of Object.entries(SDKS) as [keyof typeof SDKS, typeof OpenAI][]) {
  describeStack({
    name: `${name} chat.completions`,
    version: VERSION,
    provider: "openai",
    callUsd: CALL_USD,
    setup: ({ url }) => {
      clients[name] = new Sdk({ apiKey: "test", baseURL: `${url}/v1`, maxRetries: 0 }) as unknown as ChatClient;
    },
    run: (s, runTool) => chatAgentLoop(clients[name] as ChatClient, s, "Where is my order A1?", runTool),
  });
}

/** A tool loop on the Responses API (openai 7). */
async function responsesAgent(client: OpenAI, s: AgentSession, runTool: (args: unknown) => Promise<unknown>): Promise<string> {
  const v = s.version;
  const input: OpenAI.Responses.ResponseInput = [{ role: "user", content: "Where is my order A1?" }];
  const tools = v.tools.map((t) => ({ type: "function" as const, name: t.name, description: t.description ?? null, parameters: t.parameters ?? null, strict: false }));
  for (let step = 0; step < 6; step++) {
    const response = await client.responses.create({ model: v.model, instructions: v.systemPrompt, input, tools, ...v.params });
    const calls = response.output.filter((item) => item.type === "function_call");
    if (calls.length === 0) return response.output_text;
    for (const call of calls) {
      input.push(call);
      const args = JSON.parse(call.arguments) as unknown;
      const output = await s.tool(call.name, args, () => runTool(args), { callId: call.call_id });
      input.push({ type: "function_call_output", call_id: call.call_id, output: JSON.stringify(output) });
    }
  }
  return "";
}

let responsesClient: OpenAI;
describeStack({
  name: "openai 7 responses",
  version: VERSION,
  provider: "openai",
  callUsd: CALL_USD,
  setup: ({ url }) => {
    responsesClient = new OpenAI({ apiKey: "test", baseURL: `${url}/v1`, maxRetries: 0 });
  },
  run: (s, runTool) => responsesAgent(responsesClient, s, runTool),
});

describe("guard trips through the openai helpers are caught the same way: guardErrorOf(error)", () => {
  let mode: Mode = "loop";
  const lookup = { type: "function" as const, function: { name: "lookup_order", description: "Find an order by id", parameters: VERSION.tools?.[0]?.parameters ?? {} } };

  async function inSession(fn: (client: OpenAI, beta: OpenAI["chat"]["completions"]) => Promise<unknown>, Sdk: typeof OpenAI) {
    const standIn = await startLlmStandIn(agentScript(() => mode));
    const h = await stackHarness(VERSION);
    try {
      const client = new Sdk({ apiKey: "test", baseURL: `${standIn.url}/v1`, maxRetries: 0 });
      // openai 4 has its helpers under beta.chat.completions.
      const helpers = ((client as unknown as { beta: { chat?: { completions: unknown } } }).beta.chat?.completions ?? client.chat.completions) as OpenAI["chat"]["completions"];
      return await h.runtime.session({ id: "helpers" }, () => fn(client, helpers)).catch((e: unknown) => e);
    } finally {
      await h.close();
      await standIn.close();
    }
  }

  for (const [name, Sdk] of Object.entries(SDKS) as [string, typeof OpenAI][]) {
    it(`${name} runTools: a loop trip ends the run`, async () => {
      mode = "loop";
      const error = await inSession(async (_client, helpers) => {
        const runner = helpers.runTools({
          model: VERSION.model,
          temperature: 0.2,
          messages: [{ role: "system", content: SYSTEM_PROMPT }, { role: "user", content: "Where is A1?" }],
          tools: [{ type: "function", function: { ...lookup.function, function: async () => ({ status: "shipped" }), parse: JSON.parse } }],
        } as never);
        return await runner.finalContent();
      }, Sdk);
      expect(guardErrorOf(error)?.outcome).toBe("loop_detected");
    });

    it(`${name} chat.completions.stream: a budget trip rejects the stream`, async () => {
      mode = "budget";
      const error = await inSession(async (_client, helpers) => {
        const stream = helpers.stream({
          model: VERSION.model,
          temperature: 0.2,
          messages: [{ role: "system", content: SYSTEM_PROMPT }, { role: "user", content: "Where is A1?" }],
          stream_options: { include_usage: true },
        });
        return await stream.finalChatCompletion();
      }, Sdk);
      expect(guardErrorOf(error)?.outcome).toBe("budget_exceeded");
    });

    it(`${name} responses.stream: a budget trip rejects the stream`, async () => {
      mode = "budget";
      const error = await inSession(async (client) => {
        const stream = client.responses.stream({ model: VERSION.model, instructions: SYSTEM_PROMPT, input: "Where is A1?", temperature: 0.2 });
        return await stream.finalResponse();
      }, Sdk);
      expect(guardErrorOf(error)?.outcome).toBe("budget_exceeded");
    });
  }
});
