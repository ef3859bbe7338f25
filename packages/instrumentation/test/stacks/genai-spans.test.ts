import { OpenTelemetry } from "@ai-sdk/otel";
import { createOpenAI } from "@ai-sdk/openai";
import { ATTR, versionHash } from "@agent-canary/conventions";
import { AgentCanaryInstrumentation, AgentCanarySpanProcessor, aiSdkTelemetry, guardErrorOf } from "@agent-canary/instrumentation";
import { OpenAIInstrumentation as OpenInferenceOpenAI } from "@arizeai/openinference-instrumentation-openai";
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OpenAIInstrumentation as PeerOpenAI } from "@opentelemetry/instrumentation-openai";
import { OpenAIInstrumentation as OpenLLMetryOpenAI } from "@traceloop/instrumentation-openai";
import { generateText, isStepCount, tool } from "ai";
import OpenAI from "openai";
import OpenAI4 from "openai4";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { chatAgentLoop, type ChatClient } from "../helpers/chat-agent.js";
import { startLlmStandIn } from "../helpers/llm-stand-in.js";
import { agentScript, lookupOrder, type Mode, stackHarness, stackVersion, SYSTEM_PROMPT, type StackHarness } from "../helpers/stack-harness.js";

/**
 * Calls that only foreign instrumentations report, as GenAI spans, still feed
 * the session; spans of a session carry its hash and group whoever made them;
 * a call reported by a foreign span and by agent-canary counts once.
 */
const VERSION = stackVersion("gpt-4o-mini", { temperature: 0.2 });
const HASH = versionHash(VERSION);
const CALL_USD = (1000 * 0.15 + 200 * 0.075 + 300 * 0.6) / 1e6;
// Foreign spans here carry no cached-token count: all 1200 input tokens at the full rate.
const UNCACHED_CALL_USD = (1200 * 0.15 + 300 * 0.6) / 1e6;

let mode: Mode = "normal";
let standIn: Awaited<ReturnType<typeof startLlmStandIn>>;
let h: StackHarness;
const contextManager = new AsyncLocalStorageContextManager();
const toolRuns = { n: 0 };
const undo: (() => void)[] = [];

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  standIn = await startLlmStandIn(agentScript(() => mode));
  h = await stackHarness(VERSION, { spanProcessors: [new AgentCanarySpanProcessor()] });
});
afterEach(() => {
  for (const u of undo.splice(0)) u();
  h.reset();
  mode = "normal";
});
afterAll(async () => {
  await h.close();
  await standIn.close();
  context.disable();
});

function client(Sdk: typeof OpenAI | typeof OpenAI4): ChatClient {
  return new Sdk({ apiKey: "test", baseURL: `${standIn.url}/v1`, maxRetries: 0 }) as unknown as ChatClient;
}

/** Applies an instrumentation's own patch to a module (the aliased copies are invisible to its module hook). */
function patchWith(instrumentation: PeerOpenAI, moduleExports: unknown, version: string): void {
  instrumentation.setTracerProvider(h.tracerProvider);
  instrumentation.enable();
  const definition = instrumentation.getModuleDefinitions()[0];
  definition?.patch?.(moduleExports, version);
  undo.push(() => definition?.unpatch?.(moduleExports, version));
}

async function healthySession(id: string, Sdk: typeof OpenAI | typeof OpenAI4) {
  return await h.runtime.session({ id }, async (s) => {
    const text = await chatAgentLoop(client(Sdk), s, "Where is my order A1?", lookupOrder(toolRuns));
    return { text, turns: s.turns, cost: s.cost };
  });
}

describe("GenAI spans from foreign instrumentations feed the session", () => {
  it("@opentelemetry/instrumentation-openai: turns, tokens and cost; its spans carry hash and group", async () => {
    patchWith(new PeerOpenAI({ enabled: false }), OpenAI, "7.57.0");
    const result = await healthySession("spans-1", OpenAI);
    expect(result).toEqual({ text: "Your order A1 has shipped.", turns: 2, cost: expect.closeTo(2 * UNCACHED_CALL_USD, 12) });
    const peerSpans = h.finished("chat").filter((s) => s.instrumentationScope.name === "@opentelemetry/instrumentation-openai");
    expect(peerSpans).toHaveLength(2);
    for (const span of peerSpans) expect(span.attributes).toMatchObject({ [ATTR.versionHash]: HASH, [ATTR.versionGroup]: "baseline", [ATTR.sessionId]: "spans-1" });
    expect(await h.metric("gen_ai_client_token_usage_sum", { gen_ai_token_type: "input", version_hash: HASH })).toBe(2400);
    expect(await h.metric("agent_canary_session_turns_sum", { version_hash: HASH })).toBe(2);
  });

  it("OpenInference: tool calls reach the loop detector, and the session's next tool call throws the trip", async () => {
    const oi = new OpenInferenceOpenAI();
    oi.setTracerProvider(h.tracerProvider);
    oi.manuallyInstrument(OpenAI);
    undo.push(() => oi.disable());
    mode = "loop";
    const toolCallsBefore = await h.metric("agent_canary_tool_calls_total", { tool: "lookup_order", version_hash: HASH });
    const error = await healthySession("spans-2", OpenAI).catch((e: unknown) => e);
    expect(guardErrorOf(error)?.outcome).toBe("loop_detected");
    expect(await h.metric("agent_canary_sessions_total", { outcome: "loop_detected", version_hash: HASH })).toBe(1);
    expect(await h.metric("agent_canary_tool_calls_total", { tool: "lookup_order", version_hash: HASH })).toBe(toolCallsBefore + 3);
  });

  it("OpenLLMetry on openai 4: turns, tokens, cost and tool calls", async () => {
    const traceloop = new OpenLLMetryOpenAI({ traceContent: true });
    traceloop.setTracerProvider(h.tracerProvider);
    traceloop.manuallyInstrument(OpenAI4 as never);
    undo.push(() => traceloop.disable());
    const toolCallsBefore = await h.metric("agent_canary_tool_calls_total", { tool: "lookup_order", version_hash: HASH });
    const result = await healthySession("spans-3", OpenAI4);
    expect(result).toEqual({ text: "Your order A1 has shipped.", turns: 2, cost: expect.closeTo(2 * UNCACHED_CALL_USD, 12) });
    expect(await h.metric("agent_canary_tool_calls_total", { tool: "lookup_order", version_hash: HASH })).toBe(toolCallsBefore + 1);
  });

  it("a budget trip seen in a span ends the session", async () => {
    patchWith(new PeerOpenAI({ enabled: false }), OpenAI, "7.57.0");
    mode = "budget";
    const error = await healthySession("spans-4", OpenAI).catch((e: unknown) => e);
    expect(guardErrorOf(error)?.outcome).toBe("budget_exceeded");
    expect(await h.metric("agent_canary_sessions_total", { outcome: "budget_exceeded", version_hash: HASH })).toBe(1);
  });
});

describe("a call seen twice counts once", () => {
  it("agent-canary's openai patch inside @opentelemetry/instrumentation-openai, and around it", async () => {
    for (const order of ["peer outside", "peer inside"] as const) {
      const ours = new AgentCanaryInstrumentation({ enabled: false });
      const peer = new PeerOpenAI({ enabled: false });
      if (order === "peer outside") {
        ours.instrument(OpenAI);
        patchWith(peer, OpenAI, "7.57.0");
      } else {
        patchWith(peer, OpenAI, "7.57.0");
        ours.instrument(OpenAI);
      }
      const result = await healthySession(`dup-${order}`, OpenAI);
      // Both layers ran: their spans and ours.
      expect(h.finished("chat").map((x) => x.instrumentationScope.name).sort(), order).toEqual([
        "@agent-canary/instrumentation",
        "@agent-canary/instrumentation",
        "@opentelemetry/instrumentation-openai",
        "@opentelemetry/instrumentation-openai",
      ]);
      h.reset();
      // Unpatch in reverse order of patching.
      if (order === "peer outside") for (const u of undo.splice(0)) u();
      ours.disable();
      for (const u of undo.splice(0)) u();
      expect(result.turns, order).toBe(2);
      expect(result.cost, order).toBeCloseTo(2 * CALL_USD, 12);
    }
  });

  it("the AI SDK's OpenTelemetry integration next to agent-canary's", async () => {
    const provider = createOpenAI({ apiKey: "test", baseURL: `${standIn.url}/v1` });
    const tools = { lookup_order: tool({ description: "Find an order by id", inputSchema: z.object({ orderId: z.string() }), execute: lookupOrder(toolRuns) }) };
    const otel = new OpenTelemetry({ tracer: h.tracerProvider.getTracer("ai") } as never);
    const run = (id: string, integrations: unknown[]) =>
      h.runtime.session({ id }, async (s) => {
        await generateText({
          model: provider.chat("gpt-4o-mini"),
          system: SYSTEM_PROMPT,
          temperature: 0.2,
          prompt: "Where is my order A1?",
          tools,
          stopWhen: isStepCount(5),
          telemetry: { integrations },
        } as never);
        return s.turns;
      });
    expect(await run("ai-otel-only", [otel])).toBe(2);
    const aiSpans = h.finished("chat").filter((s) => s.instrumentationScope.name === "ai");
    expect(aiSpans.length).toBe(2);
    for (const span of aiSpans) expect(span.attributes[ATTR.versionHash]).toBe(HASH);
    expect(await run("ai-otel-both", [otel, aiSdkTelemetry])).toBe(2);
    expect(await run("ai-otel-both-reversed", [aiSdkTelemetry, otel])).toBe(2);
  });
});
