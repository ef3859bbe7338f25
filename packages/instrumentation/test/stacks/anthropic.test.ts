import Anthropic from "@anthropic-ai/sdk";
import { AgentCanaryInstrumentation, guardErrorOf } from "@agent-canary/instrumentation";
import Anthropic0 from "anthropic0";
import { afterAll, describe, expect, it } from "vitest";
import { type MessagesClient, messagesAgentLoop } from "../helpers/anthropic-agent.js";
import { startLlmStandIn } from "../helpers/llm-stand-in.js";
import { describeStack } from "../helpers/stack-contract.js";
import { agentScript, NORMAL_USAGE, stackHarness, stackVersion, SYSTEM_PROMPT } from "../helpers/stack-harness.js";

/**
 * @anthropic-ai/sdk at the oldest and newest versions the peer range promises
 * (>=0.30 <2): 0.30 is installed under the alias `anthropic0`.
 */
// claude-haiku-4-5: $1 / $5 per 1M, cache reads $0.10; Anthropic reports cache reads apart from input_tokens.
const CALL_USD = (1200 * 1 + 200 * 0.1 + 300 * 5) / 1e6;
const VERSION = stackVersion("claude-haiku-4-5", { temperature: 0.2 });
const instrumentation = new AgentCanaryInstrumentation({ enabled: false });
instrumentation.instrument(Anthropic);
instrumentation.instrument(Anthropic0);
afterAll(() => instrumentation.disable());

const SDKS = { "@anthropic-ai/sdk 1": Anthropic, "@anthropic-ai/sdk 0.30": Anthropic0 } as const;
const clients: Record<string, MessagesClient> = {};

for (const [name, Sdk] of Object.entries(SDKS) as [string, typeof Anthropic][]) {
  describeStack({
    name: `${name} messages`,
    version: VERSION,
    provider: "anthropic",
    callUsd: CALL_USD,
    inputTokens: NORMAL_USAGE.input + (NORMAL_USAGE.cached ?? 0),
    setup: ({ url }) => {
      clients[name] = new Sdk({ apiKey: "test", baseURL: url, maxRetries: 0 }) as unknown as MessagesClient;
    },
    run: (s, runTool) => messagesAgentLoop(clients[name] as MessagesClient, s, "Where is my order A1?", runTool),
  });
}

describe("guard trips through messages.stream are caught the same way: guardErrorOf(error)", () => {
  for (const [name, Sdk] of Object.entries(SDKS) as [string, typeof Anthropic][]) {
    it(`${name} messages.stream: a budget trip rejects finalMessage()`, async () => {
      const standIn = await startLlmStandIn(agentScript(() => "budget"));
      const h = await stackHarness(VERSION);
      const client = new Sdk({ apiKey: "test", baseURL: standIn.url, maxRetries: 0 });
      const error = await h.runtime
        .session({ id: "stream" }, () =>
          client.messages.stream({ model: VERSION.model, system: SYSTEM_PROMPT, max_tokens: 1024, temperature: 0.2, messages: [{ role: "user", content: "Where is A1?" }] }).finalMessage(),
        )
        .catch((e: unknown) => e);
      await h.close();
      await standIn.close();
      expect(guardErrorOf(error)?.outcome).toBe("budget_exceeded");
    });
  }
});
