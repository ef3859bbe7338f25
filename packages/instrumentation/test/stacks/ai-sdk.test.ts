import { createOpenAI } from "@ai-sdk/openai";
import { ATTR, versionHash } from "@agent-canary/conventions";
import { AgentCanaryGuardError, AgentCanaryInstrumentation, agentCanaryMiddleware, guardErrorOf } from "@agent-canary/instrumentation";
import * as ai from "ai";
import { generateObject, generateText, isStepCount, streamText, tool, wrapLanguageModel } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startLlmStandIn } from "../helpers/llm-stand-in.js";
import { agentScript, lookupOrder, type Mode, stackHarness, stackVersion, SYSTEM_PROMPT, type StackHarness } from "../helpers/stack-harness.js";

const VERSION = stackVersion("gpt-4o-mini", { temperature: 0.2 });
const HASH = versionHash(VERSION);
// gpt-4o-mini: $0.15 / $0.60 / $0.075 per 1M tokens; each call: 1200 in (200 cached), 300 out.
const CALL_USD = (1000 * 0.15 + 200 * 0.075 + 300 * 0.6) / 1e6;

let mode: Mode = "normal";
let standIn: Awaited<ReturnType<typeof startLlmStandIn>>;
let h: StackHarness;
const instrumentation = new AgentCanaryInstrumentation({ enabled: false });
let provider: ReturnType<typeof createOpenAI>;
const toolRuns = { n: 0 };

const tools = {
  lookup_order: tool({ description: "Find an order by id", inputSchema: z.object({ orderId: z.string() }), execute: lookupOrder(toolRuns) }),
};

beforeAll(async () => {
  standIn = await startLlmStandIn(agentScript(() => mode));
  provider = createOpenAI({ apiKey: "test", baseURL: `${standIn.url}/v1` });
  h = await stackHarness(VERSION);
  // The ai module: agent-canary joins the AI SDK's global telemetry integrations.
  expect(instrumentation.instrument(ai)).toEqual(["ai telemetry integration"]);
});
afterAll(async () => {
  instrumentation.disable();
  await h.close();
  await standIn.close();
});

const settings = { system: SYSTEM_PROMPT, temperature: 0.2, tools, stopWhen: isStepCount(6) };

describe("Vercel AI SDK 7 through its telemetry integration (no model wrapping)", () => {
  it("records each step of a generateText tool loop: turns, tokens, cost, tool calls, spans with hash and group", async () => {
    mode = "normal";
    h.reset();
    const result = await h.runtime.session({ id: "ai-1" }, async (s) => {
      const out = await generateText({ model: provider.chat("gpt-4o-mini"), prompt: "Where is my order A1?", ...settings });
      return { text: out.text, turns: s.turns, cost: s.cost };
    });
    expect(result.text).toBe("Your order A1 has shipped.");
    expect(result.turns).toBe(2);
    expect(result.cost).toBeCloseTo(2 * CALL_USD, 12);
    const chats = h.finished("chat");
    expect(chats).toHaveLength(2);
    for (const span of chats) {
      expect(span.attributes).toMatchObject({
        [ATTR.versionHash]: HASH,
        [ATTR.versionGroup]: "baseline",
        [ATTR.providerName]: "openai",
        [ATTR.requestModel]: "gpt-4o-mini",
        [ATTR.inputTokens]: 1200,
        [ATTR.outputTokens]: 300,
        [ATTR.versionMismatch]: false,
      });
    }
    expect(chats[0]?.attributes["agent_canary.tool_calls"]).toEqual(["lookup_order"]);
    expect(await h.metric("agent_canary_tool_calls_total", { tool: "lookup_order", version_hash: HASH })).toBe(1);
    expect(await h.metric("gen_ai_client_token_usage_sum", { "gen_ai_token_type": "input", version_group: "baseline" })).toBe(2400);
    expect(await h.metric("agent_canary_sessions_total", { outcome: "completed", version_hash: HASH })).toBe(1);
    expect(await h.metric("agent_canary_session_cost_sum", { version_hash: HASH })).toBeCloseTo(2 * CALL_USD, 12);
  });

  it("reads usage and tool calls from a streamText tool loop (responses API)", async () => {
    mode = "normal";
    h.reset();
    const result = await h.runtime.session({ id: "ai-2" }, async (s) => {
      const out = streamText({ model: provider("gpt-4o-mini"), prompt: "Where is my order A1?", ...settings });
      let text = "";
      for await (const delta of out.textStream) text += delta;
      return { text, turns: s.turns, cost: s.cost };
    });
    expect(result.text).toBe("Your order A1 has shipped.");
    expect(result.turns).toBe(2);
    expect(result.cost).toBeCloseTo(2 * CALL_USD, 12);
    const chats = h.finished("chat");
    expect(chats.map((s) => s.attributes["agent_canary.llm.stream"])).toEqual([true, true]);
    expect(chats[0]?.attributes["agent_canary.tool_calls"]).toEqual(["lookup_order"]);
  });

  it("records generateObject", async () => {
    mode = "normal";
    h.reset();
    const turns = await h.runtime.session({ id: "ai-3" }, async (s) => {
      const { object } = await generateObject({ model: provider.chat("gpt-4o-mini"), system: SYSTEM_PROMPT, temperature: 0.2, prompt: "Status?", schema: z.object({ status: z.string() }) });
      expect(object).toEqual({ status: "shipped" });
      return s.turns;
    });
    expect(turns).toBe(1);
    expect(h.finished("chat")[0]?.attributes[ATTR.inputTokens]).toBe(1200);
  });

  it("stops a looping tool loop with the loop guard, catchable as AgentCanaryGuardError", async () => {
    mode = "loop";
    toolRuns.n = 0;
    const error = await h.runtime
      .session({ id: "ai-4" }, () => generateText({ model: provider.chat("gpt-4o-mini"), prompt: "Where is my order A1?", ...settings }))
      .catch((e: unknown) => e);
    expect(guardErrorOf(error)?.outcome).toBe("loop_detected");
    expect(error).toBeInstanceOf(AgentCanaryGuardError);
    // The third identical request trips before its tool runs: the step loop stops there.
    expect(toolRuns.n).toBe(2);
    expect(await h.metric("agent_canary_sessions_total", { outcome: "loop_detected" })).toBe(1);
    expect(await h.metric("agent_canary_loop_trips_total", { version_hash: HASH })).toBe(1);
  });

  it("stops a streamText loop on the budget guard instead of running the next step", async () => {
    mode = "budget";
    toolRuns.n = 0;
    let streamError: unknown;
    const error = await h.runtime
      .session({ id: "ai-5" }, async () => {
        const out = streamText({ model: provider("gpt-4o-mini"), prompt: "Where is my order A1?", ...settings, onError: ({ error: e }) => (streamError = e) });
        for await (const _ of out.textStream) void _;
        await out.text;
      })
      .catch((e: unknown) => e);
    expect(guardErrorOf(error ?? streamError)?.outcome).toBe("budget_exceeded");
    expect(toolRuns.n).toBe(0);
    expect(await h.metric("agent_canary_sessions_total", { outcome: "budget_exceeded" })).toBe(1);
  });
});

describe("Vercel AI SDK through language-model middleware", () => {
  it("records a wrapped model's calls once, also with the global integration on", async () => {
    mode = "normal";
    h.reset();
    const model = wrapLanguageModel({ model: provider.chat("gpt-4o-mini"), middleware: agentCanaryMiddleware() });
    const turns = await h.runtime.session({ id: "ai-6" }, async (s) => {
      await generateText({ model, prompt: "Where is my order A1?", ...settings });
      return s.turns;
    });
    expect(turns).toBe(2);
    expect(h.finished("chat")).toHaveLength(2);
  });

  it("instrument() takes a provider or a model without throwing", () => {
    expect(instrumentation.instrument(provider)).toEqual(["ai telemetry integration"]);
    expect(instrumentation.instrument(provider.chat("gpt-4o-mini"))).toEqual(["ai-sdk model openai.chat gpt-4o-mini"]);
  });
});
