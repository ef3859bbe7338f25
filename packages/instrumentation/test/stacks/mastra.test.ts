import { createOpenAI } from "@ai-sdk/openai";
import { AgentCanaryInstrumentation } from "@agent-canary/instrumentation";
import { Agent } from "@mastra/core/agent";
import type { MastraModelConfig } from "@mastra/core/llm";
import { createTool } from "@mastra/core/tools";
import { afterAll } from "vitest";
import { z } from "zod";
import { describeStack } from "../helpers/stack-contract.js";
import { stackVersion } from "../helpers/stack-harness.js";

/**
 * Mastra runs its own step loop on AI SDK model objects (it calls doStream
 * itself, not generateText), so the model is instrumented in place:
 * instrumentation.instrument(model), the same middleware as wrapLanguageModel.
 */
const CALL_USD = (1000 * 0.15 + 200 * 0.075 + 300 * 0.6) / 1e6;
const instrumentation = new AgentCanaryInstrumentation({ enabled: false });
afterAll(() => instrumentation.disable());
let provider: ReturnType<typeof createOpenAI>;

describeStack({
  name: "Mastra Agent on an AI SDK model",
  version: stackVersion("gpt-4o-mini", { temperature: 0.2 }),
  provider: "openai",
  callUsd: CALL_USD,
  setup: ({ url }) => {
    provider = createOpenAI({ apiKey: "test", baseURL: `${url}/v1` });
  },
  run: async (s, runTool) => {
    const v = s.version;
    const model = provider.chat(v.model);
    instrumentation.instrument(model);
    const lookup = createTool({
      id: "lookup_order",
      description: "Find an order by id",
      inputSchema: z.object({ orderId: z.string() }),
      execute: async (input) => s.tool("lookup_order", input, () => runTool(input)),
    });
    // Passing an AI SDK model object is how Mastra's docs wire one in; only the types disagree:
    // @mastra/core 1.71 (also the latest) pins @ai-sdk/provider 4.0.17, while @ai-sdk/openai brings
    // 4.0.38, whose finishReason adds "interrupted". Our stand-in never sends that reason.
    const agent = new Agent({ id: "support", name: "support", instructions: v.systemPrompt, model: model as MastraModelConfig, tools: { lookup_order: lookup } });
    const result = await agent.generate("Where is my order A1?", { maxSteps: 6, modelSettings: { temperature: 0.2 } });
    return result.text;
  },
});
