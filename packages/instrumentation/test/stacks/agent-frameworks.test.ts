import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { tool as langchainTool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { AgentCanaryInstrumentation } from "@agent-canary/instrumentation";
import { Agent, run, setDefaultOpenAIClient, setTracingDisabled, tool as agentsTool } from "@openai/agents";
import OpenAI from "openai";
import { afterAll } from "vitest";
import { z } from "zod";
import { describeStack } from "../helpers/stack-contract.js";
import { stackVersion } from "../helpers/stack-harness.js";

/**
 * Agent frameworks on the openai SDK, declared as a user would (plain JSON
 * schema tools, the prompt, the model and temperature): the calls they send
 * must match the declared version, although the frameworks add $schema,
 * additionalProperties: false and strict to every tool. The contract's
 * healthy session asserts no mismatch flag and no mismatch warning.
 */
const CALL_USD = (1000 * 0.15 + 200 * 0.075 + 300 * 0.6) / 1e6;
const VERSION = stackVersion("gpt-4o-mini", { temperature: 0.2 });
const instrumentation = new AgentCanaryInstrumentation({ enabled: false });
// Both frameworks use this same copy of openai (7); the module hook would patch it at load.
instrumentation.instrument(OpenAI);
setTracingDisabled(true);
afterAll(() => instrumentation.disable());

const orderId = z.object({ orderId: z.string() });

describeStack({
  name: "@openai/agents Agent + tool + run (Responses API)",
  version: VERSION,
  provider: "openai",
  callUsd: CALL_USD,
  setup: ({ url }) => setDefaultOpenAIClient(new OpenAI({ apiKey: "test", baseURL: `${url}/v1`, maxRetries: 0 }) as never),
  run: async (s, runTool) => {
    const v = s.version;
    const agent = new Agent({
      name: "support",
      instructions: v.systemPrompt,
      model: v.model,
      modelSettings: { temperature: 0.2 },
      tools: [
        agentsTool({
          name: "lookup_order",
          description: "Find an order by id",
          parameters: orderId,
          execute: (args) => s.tool("lookup_order", args, () => runTool(args)),
        }),
      ],
    });
    const result = await run(agent, "Where is my order A1?", { maxTurns: 6 });
    return String(result.finalOutput ?? "");
  },
});

let langchainUrl = "";
describeStack({
  name: "@langchain/langgraph createReactAgent + @langchain/openai",
  version: VERSION,
  provider: "openai",
  callUsd: CALL_USD,
  setup: ({ url }) => {
    langchainUrl = `${url}/v1`;
  },
  run: async (s, runTool) => {
    const v = s.version;
    const llm = new ChatOpenAI({ model: v.model, temperature: 0.2, apiKey: "test", maxRetries: 0, configuration: { baseURL: langchainUrl } });
    const lookup = langchainTool(async (args) => JSON.stringify(await s.tool("lookup_order", args, () => runTool(args))), {
      name: "lookup_order",
      description: "Find an order by id",
      schema: orderId,
    });
    const agent = createReactAgent({ llm, tools: [lookup], prompt: v.systemPrompt });
    const state = await agent.invoke({ messages: [{ role: "user", content: "Where is my order A1?" }] }, { recursionLimit: 12 });
    const last = state.messages.at(-1);
    return typeof last?.content === "string" ? last.content : "";
  },
});
