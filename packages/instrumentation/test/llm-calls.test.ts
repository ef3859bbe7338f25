import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Anthropic from "@anthropic-ai/sdk";
import { type MeterProvider, metrics } from "@opentelemetry/api";
import { ATTR, versionHash } from "@agent-canary/conventions";
import { updatePrices, waitForUpdate } from "@pydantic/genai-prices";
import {
  AgentCanary,
  AgentCanaryGuardError,
  AgentCanaryInstrumentation,
  BudgetExceededError,
  LoopDetectedError,
  MaxTurnsError,
  type AgentCanaryOptions,
} from "@agent-canary/instrumentation";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Reply, type Script, startLlmStandIn } from "./helpers/llm-stand-in.js";
import { testTelemetry } from "./helpers/otel.js";
import { BASELINE } from "./helpers/versions.js";

const USAGE = { input: 1200, output: 300, cached: 200 };
let next: Reply = { text: "hello", usage: USAGE };
const script: Script = () => next;

let standIn: Awaited<ReturnType<typeof startLlmStandIn>>;
let openai: OpenAI;
let anthropic: Anthropic;
const instrumentation = new AgentCanaryInstrumentation({ enabled: false });

beforeAll(async () => {
  standIn = await startLlmStandIn((api, body) => script(api, body));
  // Vitest loads the SDKs outside Node's module hooks, so they are instrumented by hand,
  // through the same patch the hooks apply (hooked loading is covered by the consumer tests).
  instrumentation.instrument(OpenAI);
  instrumentation.instrument(Anthropic);
  openai = new OpenAI({ apiKey: "test", baseURL: `${standIn.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: "test", baseURL: standIn.url, maxRetries: 0 });
});
afterAll(async () => {
  instrumentation.disable();
  await standIn.close();
});

function runtimeWith(options: Partial<AgentCanaryOptions> = {}) {
  const telemetry = testTelemetry();
  const runtime = new AgentCanary({
    deployment: "support-agent",
    versions: { baseline: BASELINE },
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    logger: telemetry.logger,
    ...options,
  });
  return { runtime, telemetry };
}

/** A request built from the declared version, as an agent should. */
const chatBody = (extra: Record<string, unknown> = {}) => ({
  model: BASELINE.model,
  temperature: 0.2,
  messages: [
    { role: "system" as const, content: BASELINE.systemPrompt! },
    { role: "user" as const, content: "Where is my order A1?" },
  ],
  tools: BASELINE.tools!.map((t) => ({ type: "function" as const, function: { name: t.name, description: t.description, parameters: t.parameters } })),
  ...extra,
});

const HASH = versionHash(BASELINE);
// gpt-4o-mini: $0.15 / $0.60 / $0.075 per 1M (input / output / cached input).
const EXPECTED_COST = ((1200 - 200) * 0.15 + 200 * 0.075 + 300 * 0.6) / 1e6;

describe("openai chat.completions", () => {
  it("records a chat span with GenAI attributes, cost and tool calls, keeping the APIPromise shape", async () => {
    const { runtime, telemetry } = runtimeWith();
    next = { toolCalls: [{ name: "lookup_order", args: { orderId: "A1" } }], usage: USAGE };
    const { data, request_id } = await runtime.session({ id: "c-1" }, () => openai.chat.completions.create(chatBody()).withResponse());
    expect(data.choices[0]?.message.tool_calls?.[0]).toMatchObject({ function: { name: "lookup_order" } });
    expect(request_id).toMatch(/^req_/);
    const [span] = telemetry.finished("chat");
    expect(span?.name).toBe("chat gpt-4o-mini");
    expect(span?.attributes).toMatchObject({
      [ATTR.operationName]: "chat",
      [ATTR.providerName]: "openai",
      [ATTR.requestModel]: "gpt-4o-mini",
      [ATTR.responseModel]: "gpt-4o-mini",
      [ATTR.inputTokens]: 1200,
      [ATTR.outputTokens]: 300,
      [ATTR.versionHash]: HASH,
      [ATTR.versionGroup]: "baseline",
      [ATTR.deployment]: "support-agent",
      [ATTR.sessionId]: "c-1",
      [ATTR.versionMismatch]: false,
      "gen_ai.response.finish_reasons": ["tool_calls"],
    });
    expect(span?.attributes[ATTR.costUsd]).toBeCloseTo(EXPECTED_COST, 12);
    const [agent] = telemetry.finished("invoke_agent");
    expect(span?.parentSpanContext?.spanId).toBe(agent?.spanContext().spanId);
    expect(agent?.attributes).toMatchObject({ [ATTR.agentName]: "support-agent", [ATTR.agentVersion]: HASH, [ATTR.outcome]: "completed" });
    expect(await telemetry.metricValue("agent_canary.tool_calls", { tool: "lookup_order", version_hash: HASH })).toBe(1);
    expect(await telemetry.histogramSum("agent_canary.session.cost")).toBeCloseTo(EXPECTED_COST, 12);
    expect(await telemetry.metricValue("gen_ai.client.token.usage", { "gen_ai.token.type": "input", version_group: "baseline" })).toBe(1);
  });

  it("reads usage and streamed tool-call fragments from a stream", async () => {
    const { runtime, telemetry } = runtimeWith();
    next = { text: "Let me check.", toolCalls: [{ name: "lookup_order", args: { orderId: "A1" } }], usage: USAGE };
    const text = await runtime.session({ id: "c-2" }, async () => {
      const stream = await openai.chat.completions.create({ ...chatBody({ stream_options: { include_usage: true } }), stream: true });
      let out = "";
      for await (const chunk of stream) out += chunk.choices[0]?.delta.content ?? "";
      return out;
    });
    expect(text).toBe("Let me check.");
    const [span] = telemetry.finished("chat");
    expect(span?.attributes).toMatchObject({ [ATTR.inputTokens]: 1200, [ATTR.outputTokens]: 300, "agent_canary.llm.stream": true, "agent_canary.tool_calls": ["lookup_order"] });
    expect(span?.attributes[ATTR.costUsd]).toBeCloseTo(EXPECTED_COST, 12);
    expect(await telemetry.metricValue("agent_canary.tool_calls", { tool: "lookup_order" })).toBe(1);
  });

  it("records a stream without usage as usage unknown, never as 0 tokens, and leaves the session out of the cost histogram", async () => {
    const { runtime, telemetry } = runtimeWith();
    next = { text: "ok", usage: USAGE };
    const cost = await runtime.session({ id: "c-3" }, async (s) => {
      const stream = await openai.chat.completions.create({ ...chatBody(), stream: true });
      for await (const _ of stream) void _;
      return s.cost;
    });
    expect(cost).toBeUndefined();
    const [span] = telemetry.finished("chat");
    expect(span?.attributes["agent_canary.usage.unknown"]).toBe(true);
    expect(span?.attributes[ATTR.inputTokens]).toBeUndefined();
    expect(await telemetry.metricValue("agent_canary.session.cost")).toBe(0);
    expect(await telemetry.metricValue("agent_canary.sessions", { outcome: "completed" })).toBe(1);
    expect(await telemetry.metricValue("gen_ai.client.token.usage")).toBe(0);
  });

  it("flags a call whose model or prompt differs from the declared version, warning once", async () => {
    const { runtime, telemetry } = runtimeWith();
    next = { text: "ok", usage: USAGE };
    await runtime.session({ id: "c-4" }, async () => {
      await openai.chat.completions.create(chatBody({ model: "gpt-4o" }));
      await openai.chat.completions.create(chatBody({ model: "gpt-4o" }));
      await openai.chat.completions.create(chatBody());
    });
    const spans = telemetry.finished("chat");
    expect(spans.map((s) => s.attributes[ATTR.versionMismatch])).toEqual([true, true, false]);
    expect(spans[2]?.attributes[ATTR.observedVersionHash]).toBe(HASH);
    expect(await telemetry.metricValue("agent_canary.version_mismatches", { version_hash: HASH })).toBe(2);
    expect(telemetry.warnings.filter((w) => w.includes('model: sent "gpt-4o", declared "gpt-4o-mini"'))).toHaveLength(1);
  });

  it("names each differing field with both values in the mismatch warning", async () => {
    const { runtime, telemetry } = runtimeWith();
    next = { text: "ok", usage: USAGE };
    const body = chatBody({ temperature: 0.7 });
    body.tools[0]!.function.parameters = { type: "object", properties: { orderId: { type: "number" } } };
    await runtime.session({ id: "c-4b" }, () => openai.chat.completions.create(body));
    const [warning] = telemetry.warnings.filter((w) => w.includes("sent a different version"));
    expect(warning).toContain('tools[lookup_order].parameters.properties.orderId.type: sent "number", declared "string"');
    expect(warning).toContain("params.temperature: sent 0.7, declared 0.2");
  });

  it("counts an unpriced model and warns once; its cost is unknown, not zero", async () => {
    const { runtime, telemetry } = runtimeWith();
    next = { text: "ok", usage: USAGE };
    const cost = await runtime.session({ id: "c-5" }, async (s) => {
      await openai.chat.completions.create(chatBody({ model: "in-house-llm" }));
      await openai.chat.completions.create(chatBody({ model: "in-house-llm" }));
      return s.cost;
    });
    expect(cost).toBeUndefined();
    expect(await telemetry.metricValue("agent_canary.unpriced_calls", { model: "in-house-llm" })).toBe(2);
    expect(telemetry.warnings.filter((w) => w.includes('no price for model "in-house-llm"'))).toHaveLength(1);
    expect(await telemetry.metricValue("agent_canary.session.cost")).toBe(0);
  });

  it("warns once about a model whose refreshed dataset entry is refused, naming the model, the entry's fault and the fix", async () => {
    const shipped = await waitForUpdate();
    if (!shipped) throw new Error("@pydantic/genai-prices has no provider data");
    const broken = structuredClone(shipped);
    const openaiModels = broken.find((p) => p.id === "openai")?.models ?? [];
    openaiModels.unshift({ id: "house-gpt", match: { equals: "house-gpt" }, prices: { input_mtok: 1, input_hologram_mtok: "soon" } } as unknown as (typeof openaiModels)[number]);
    updatePrices(({ setProviderData }) => setProviderData(broken));
    try {
      const { runtime, telemetry } = runtimeWith();
      next = { text: "ok", usage: USAGE };
      await runtime.session({ id: "c-5b" }, async () => {
        await openai.chat.completions.create(chatBody({ model: "house-gpt" }));
        await openai.chat.completions.create(chatBody({ model: "house-gpt" }));
      });
      expect(await telemetry.metricValue("agent_canary.unpriced_calls", { model: "house-gpt" })).toBe(2);
      // Every warning about its price (the version-mismatch warning also names the model).
      const about = telemetry.warnings.filter((w) => w.includes("house-gpt") && /price/.test(w));
      expect(about).toHaveLength(1);
      expect(about[0]).toMatch(/^no price for model "house-gpt" \(provider openai\): its @pydantic\/genai-prices entry is refused \(prices\.input_hologram_mtok: /);
      expect(about[0]).toContain('add it with the "prices" option, e.g. prices: { "house-gpt": { input: 2.5, output: 10 } } (USD per 1M tokens), or fix the data given to updatePrices()');
    } finally {
      updatePrices(({ setProviderData }) => setProviderData(shipped));
    }
  });

  it("uses user prices over the defaults", async () => {
    const { runtime } = runtimeWith({ prices: { "in-house-llm": { input: 1, output: 2 } } });
    next = { text: "ok", usage: { input: 1_000_000, output: 500_000 } };
    const cost = await runtime.session({ id: "c-6" }, async (s) => {
      await openai.chat.completions.create(chatBody({ model: "in-house-llm" }));
      return s.cost;
    });
    expect(cost).toBeCloseTo(2, 10);
  });

  it("ends the span of a call read raw through asResponse(), with usage unknown", async () => {
    const { runtime, telemetry } = runtimeWith();
    next = { text: "raw", usage: USAGE };
    const body = await runtime.session({ id: "c-8" }, async () => {
      const response = await openai.chat.completions.create(chatBody()).asResponse();
      return (await response.json()) as { choices: { message: { content: string } }[] };
    });
    expect(body.choices[0]?.message.content).toBe("raw");
    const [span] = telemetry.finished("chat");
    expect(span?.attributes["agent_canary.usage.unknown"]).toBe(true);
  });

  it("records an API error on the span and rethrows the SDK's own error", async () => {
    const { runtime, telemetry } = runtimeWith();
    const [error, cost] = await runtime.session({ id: "c-7" }, async (s) => [
      await openai.chat.completions.create(chatBody({ model: "fail-model" })).catch((e: unknown) => e),
      s.cost,
    ]);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    // Providers do not bill a request they refused: the session's cost stays known.
    expect(cost).toBe(0);
    const [span] = telemetry.finished("chat");
    expect(span?.status.code).toBe(2);
    expect(span?.attributes["error.type"]).toBe("BadRequestError");
    expect(await telemetry.metricValue("gen_ai.client.operation.duration", { "error.type": "BadRequestError" })).toBe(1);
  });
});

describe("openai responses", () => {
  it("records non-streamed and streamed responses with usage and function calls", async () => {
    const { runtime, telemetry } = runtimeWith();
    next = { text: "Looking.", toolCalls: [{ name: "search_kb", args: { query: "refund" } }], usage: USAGE };
    const body = { model: BASELINE.model, instructions: BASELINE.systemPrompt, temperature: 0.2, input: "refund policy?", tools: BASELINE.tools!.map((t) => ({ type: "function" as const, name: t.name, description: t.description ?? null, parameters: t.parameters ?? null, strict: false })) };
    await runtime.session({ id: "r-1" }, async () => {
      const r = await openai.responses.create(body);
      expect(r.output_text).toBe("Looking.");
      const stream = await openai.responses.create({ ...body, stream: true });
      for await (const _ of stream) void _;
    });
    const spans = telemetry.finished("chat");
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.attributes).toMatchObject({ "agent_canary.llm.api": "responses", [ATTR.inputTokens]: 1200, [ATTR.outputTokens]: 300, [ATTR.versionMismatch]: false, "agent_canary.tool_calls": ["search_kb"] });
    }
    expect(await telemetry.metricValue("agent_canary.tool_calls", { tool: "search_kb" })).toBe(2);
  });
});

describe("anthropic messages", () => {
  const CLAUDE = { ...BASELINE, model: "claude-haiku-4-5-20251001" };
  const body = {
    model: CLAUDE.model,
    max_tokens: 512,
    temperature: 0.2,
    system: CLAUDE.systemPrompt,
    messages: [{ role: "user" as const, content: "Where is A1?" }],
    tools: CLAUDE.tools!.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters as { type: "object" } })),
  };

  it("records non-streamed and streamed messages, usage split across stream events", async () => {
    const { runtime, telemetry } = runtimeWith({ versions: { baseline: CLAUDE } });
    next = { text: "Checking.", toolCalls: [{ name: "lookup_order", args: { orderId: "A1" } }], usage: USAGE };
    await runtime.session({ id: "a-1" }, async () => {
      const message = await anthropic.messages.create(body);
      expect(message.content.some((b) => b.type === "tool_use")).toBe(true);
      const stream = await anthropic.messages.create({ ...body, stream: true });
      for await (const _ of stream) void _;
    });
    const spans = telemetry.finished("chat");
    expect(spans).toHaveLength(2);
    // Anthropic reports cache reads apart; the GenAI input count includes them.
    // claude-haiku-4-5: $1 / $5 / $0.10 per 1M.
    const costOf = ((1400 - 200) * 1 + 200 * 0.1 + 300 * 5) / 1e6;
    for (const span of spans) {
      expect(span.attributes).toMatchObject({ [ATTR.providerName]: "anthropic", [ATTR.inputTokens]: 1400, [ATTR.outputTokens]: 300, [ATTR.versionMismatch]: false, "agent_canary.tool_calls": ["lookup_order"] });
      expect(span.attributes[ATTR.costUsd]).toBeCloseTo(costOf, 12);
    }
  });
});

describe("SDK helpers built on create()", () => {
  it("records openai chat.completions.stream() and anthropic messages.stream()", async () => {
    const { runtime, telemetry } = runtimeWith();
    next = { text: "streamed helper", usage: USAGE };
    const texts = await runtime.session({ id: "h-1" }, async () => {
      const chat = await openai.chat.completions.stream(chatBody({ stream_options: { include_usage: true } })).finalChatCompletion();
      const message = await anthropic.messages
        .stream({ model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }] })
        .finalMessage();
      return [chat.choices[0]?.message.content, message.content[0]?.type === "text" ? message.content[0].text : ""];
    });
    expect(texts).toEqual(["streamed helper", "streamed helper"]);
    const spans = telemetry.finished("chat");
    expect(spans.map((s) => s.attributes[ATTR.providerName])).toEqual(["openai", "anthropic"]);
    for (const span of spans) expect(span.attributes[ATTR.outputTokens]).toBe(300);
  });

  it("records anthropic beta.messages.create", async () => {
    const { runtime, telemetry } = runtimeWith();
    next = { text: "beta", usage: USAGE };
    await runtime.session({ id: "h-2" }, () => anthropic.beta.messages.create({ model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }] }));
    const [span] = telemetry.finished("chat");
    expect(span?.attributes).toMatchObject({ [ATTR.providerName]: "anthropic", [ATTR.inputTokens]: 1400, [ATTR.outputTokens]: 300 });
  });
});

describe("guards", () => {
  const loopReply: Reply = { toolCalls: [{ name: "search_kb", args: { query: "refund" } }], usage: { input: 100, output: 10 } };

  it("trips the loop detector on repeated requested tool calls and ends the session", async () => {
    const { runtime, telemetry } = runtimeWith();
    next = loopReply;
    let calls = 0;
    const error = await runtime
      .session({ id: "g-1" }, async (s) => {
        for (;;) {
          const r = await openai.chat.completions.create(chatBody());
          calls++;
          for (const c of r.choices[0]?.message.tool_calls ?? []) {
            if (c.type === "function") await s.tool(c.function.name, c.function.arguments, () => "no results");
          }
        }
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoopDetectedError);
    expect(error).toBeInstanceOf(AgentCanaryGuardError);
    expect(calls).toBe(2); // the third identical request completes the cycle and throws
    expect(await telemetry.metricValue("agent_canary.sessions", { outcome: "loop_detected" })).toBe(1);
    expect(await telemetry.metricValue("agent_canary.loop_trips")).toBe(1);
    expect(await telemetry.metricValue("agent_canary.looping_sessions")).toBe(1);
    // s.tool() ran calls the model asked for: they were counted once, from the responses.
    expect(await telemetry.metricValue("agent_canary.tool_calls", { tool: "search_kb" })).toBe(3);
    expect(telemetry.finished("agent_canary.loop_trip")).toHaveLength(1);
    expect(telemetry.finished("execute_tool")).toHaveLength(2);
  });

  it("only records a trip in record mode", async () => {
    const { runtime, telemetry } = runtimeWith({ guards: { mode: "record" } });
    next = loopReply;
    await runtime.session({ id: "g-2" }, async () => {
      for (let i = 0; i < 4; i++) await openai.chat.completions.create(chatBody());
    });
    expect(await telemetry.metricValue("agent_canary.sessions", { outcome: "completed" })).toBe(1);
    expect(await telemetry.metricValue("agent_canary.loop_trips")).toBe(1);
    expect(await telemetry.metricValue("agent_canary.looping_sessions")).toBe(1);
  });

  it("ends a session at its budget and at its turn limit, and keeps it ended", async () => {
    const { runtime, telemetry } = runtimeWith({ guards: { budgetUsd: 0.0005, maxTurns: 10 } });
    next = { text: "ok", usage: USAGE }; // ~$0.00034 per call
    let after: unknown;
    const budget = await runtime
      .session({ id: "g-3" }, async () => {
        try {
          for (;;) await openai.chat.completions.create(chatBody());
        } catch (e) {
          // A call in an ended session throws at once, before any request is sent.
          try {
            await openai.chat.completions.create(chatBody());
          } catch (x) {
            after = x;
          }
          throw e;
        }
      })
      .catch((e: unknown) => e);
    expect(budget).toBeInstanceOf(BudgetExceededError);
    expect(after).toBe(budget);
    const turns = await runtimeWith({ guards: { maxTurns: 3 } }).runtime
      .session({ id: "g-4" }, async () => {
        for (;;) await openai.chat.completions.create(chatBody());
      })
      .catch((e: unknown) => e);
    expect(turns).toBeInstanceOf(MaxTurnsError);
    expect(await telemetry.metricValue("agent_canary.sessions", { outcome: "budget_exceeded" })).toBe(1);
  });

  it("lets a call that fails after a parallel call tripped the budget reject with its own error, not as an unhandled rejection", async () => {
    const { runtime, telemetry } = runtimeWith({ guards: { budgetUsd: 0.0001 } });
    next = { text: "ok", usage: USAGE }; // ~$0.00034: one call is over budget
    // A server that holds its request until released, then refuses it.
    let arrived: () => void = () => undefined;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    let release: () => void = () => undefined;
    const held = createServer((req, res) => {
      req.resume();
      release = () => res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "refused late" } }));
      arrived();
    });
    await new Promise<void>((resolve) => held.listen(0, "127.0.0.1", resolve));
    const slow = new OpenAI({ apiKey: "test", baseURL: `http://127.0.0.1:${(held.address() as AddressInfo).port}/v1`, maxRetries: 0 });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const [first, late] = await runtime.session({ id: "g-5" }, async () => {
        const pending = slow.chat.completions.create(chatBody()).catch((e: unknown) => e);
        await requestArrived;
        const tripped = await openai.chat.completions.create(chatBody()).catch((e: unknown) => e);
        release();
        return [tripped, await pending];
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(first).toBeInstanceOf(BudgetExceededError);
      expect(late).toBeInstanceOf(OpenAI.BadRequestError);
      expect(unhandled).toEqual([]);
      expect(await telemetry.metricValue("agent_canary.sessions", { outcome: "budget_exceeded" })).toBe(1);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      held.closeAllConnections();
      await new Promise((resolve) => held.close(resolve));
    }
  });
});

describe("never breaking the agent", () => {
  it("keeps the agent's calls working when the tracer throws, and counts the errors", async () => {
    const telemetry = testTelemetry();
    const brokenTracerProvider = {
      getTracer: () => ({
        startSpan: () => {
          throw new Error("exporter bug");
        },
        startActiveSpan: () => {
          throw new Error("exporter bug");
        },
      }),
    };
    const runtime = new AgentCanary({
      deployment: "support-agent",
      versions: { baseline: BASELINE },
      tracerProvider: brokenTracerProvider,
      meterProvider: telemetry.meterProvider,
      logger: telemetry.logger,
    });
    next = { text: "still works", usage: USAGE };
    const answer = await runtime.session({ id: "n-1" }, async (s) => {
      const r = await openai.chat.completions.create(chatBody());
      const tool = await s.tool("lookup_order", { orderId: "A1" }, () => "shipped");
      return `${r.choices[0]?.message.content} / ${tool}`;
    });
    expect(answer).toBe("still works / shipped");
    expect(await telemetry.metricValue("agent_canary.instrumentation.errors")).toBeGreaterThanOrEqual(3);
    expect(await telemetry.metricValue("agent_canary.sessions", { outcome: "completed" })).toBe(1);
  });

  it("keeps the agent's calls and tools working when every metric instrument throws", async () => {
    const telemetry = testTelemetry();
    const fail = () => {
      throw new Error("meter bug");
    };
    const brokenInstrument = { add: fail, record: fail };
    const brokenObservable = { addCallback: fail, removeCallback: fail };
    const brokenMeterProvider = {
      getMeter: () => ({
        createCounter: () => brokenInstrument,
        createUpDownCounter: () => brokenInstrument,
        createHistogram: () => brokenInstrument,
        createGauge: () => brokenInstrument,
        createObservableGauge: () => brokenObservable,
        createObservableCounter: () => brokenObservable,
        createObservableUpDownCounter: () => brokenObservable,
        addBatchObservableCallback: fail,
        removeBatchObservableCallback: fail,
      }),
    };
    const runtime = new AgentCanary({
      deployment: "support-agent",
      versions: { baseline: BASELINE },
      tracerProvider: telemetry.tracerProvider,
      meterProvider: brokenMeterProvider,
      logger: telemetry.logger,
    });
    next = { toolCalls: [{ name: "lookup_order", args: { orderId: "A1" } }], usage: USAGE };
    const answer = await runtime.session({ id: "n-meter" }, async (s) => {
      const r = await openai.chat.completions.create(chatBody());
      const requested = await s.tool("lookup_order", { orderId: "A1" }, () => "shipped");
      const own = await s.tool("search_kb", { query: "returns" }, () => "KB-1");
      return `${r.choices[0]?.message.tool_calls?.length} / ${requested} / ${own}`;
    });
    expect(answer).toBe("1 / shipped / KB-1");
    // Every span still ends, with its attributes, though no metric could be recorded.
    expect(telemetry.finished("invoke_agent")[0]?.attributes[ATTR.outcome]).toBe("completed");
    expect(telemetry.finished("chat")[0]?.attributes[ATTR.costUsd]).toBeCloseTo(EXPECTED_COST, 12);
    expect(telemetry.finished("execute_tool")).toHaveLength(2);
  });

  it("counts each requested tool call once, however many are pending, and counts the agent's own extra runs", async () => {
    const { runtime, telemetry } = runtimeWith({ guards: { loop: { enabled: false } } });
    next = {
      toolCalls: [
        { name: "lookup_order", args: { orderId: "A1" } },
        { name: "lookup_order", args: { orderId: "A1" } },
        { name: "search_kb", args: { query: "returns" } },
      ],
      usage: USAGE,
    };
    await runtime.session({ id: "n-pending" }, async (s) => {
      await openai.chat.completions.create(chatBody());
      await s.tool("search_kb", { query: "returns" }, () => "KB-1");
      await s.tool("lookup_order", '{"orderId":"A1"}', () => "shipped");
      await s.tool("lookup_order", { orderId: "A1" }, () => "shipped");
      // Not requested (both requests are used up): counted from here.
      await s.tool("lookup_order", { orderId: "A1" }, () => "shipped");
      await s.tool("search_kb", { query: "returns" }, () => "KB-1");
    });
    expect(await telemetry.metricValue("agent_canary.tool_calls", { tool: "lookup_order" })).toBe(3);
    expect(await telemetry.metricValue("agent_canary.tool_calls", { tool: "search_kb" })).toBe(2);
    expect(telemetry.finished("execute_tool")).toHaveLength(5);
  });

  it("caps the values of labels the model or the agent supplies, so tool names cannot mint a series per call", async () => {
    const { runtime, telemetry } = runtimeWith({ guards: { loop: { enabled: false } } });
    await runtime.session({ id: "n-labels" }, async (s) => {
      // A confused model asking for a new tool name on every call.
      for (let i = 0; i < 130; i++) await s.tool(`invented_tool_${i}`, {}, () => null);
    });
    const tools = await telemetry.labelValues("agent_canary.tool_calls", "tool");
    expect(tools.size).toBe(101); // the first 100 names, then "other"
    expect(tools.has("other")).toBe(true);
    expect(await telemetry.metricValue("agent_canary.tool_calls")).toBe(130);
  });

  it("ends a session whose code throws with outcome error, rethrowing the agent's error", async () => {
    const { runtime, telemetry } = runtimeWith();
    const failure = new Error("tool backend down");
    await expect(runtime.session({ id: "n-2" }, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await telemetry.metricValue("agent_canary.sessions", { outcome: "error" })).toBe(1);
    expect(telemetry.finished("invoke_agent")[0]?.attributes["error.type"]).toBe("Error");
  });

  it("passes calls outside any session through, recording a plain chat span", async () => {
    next = { text: "no session", usage: USAGE };
    const r = await openai.chat.completions.create(chatBody());
    expect(r.choices[0]?.message.content).toBe("no session");
  });

  it("passes calls outside any session through when the MeterProvider cannot create instruments", async () => {
    const fail = () => {
      throw new Error("meter bug");
    };
    instrumentation.setMeterProvider({ getMeter: () => ({ createCounter: fail, createUpDownCounter: fail, createHistogram: fail, createGauge: fail }) } as unknown as MeterProvider);
    try {
      next = { text: "no session, no meter", usage: USAGE };
      const r = await openai.chat.completions.create(chatBody());
      expect(r.choices[0]?.message.content).toBe("no session, no meter");
    } finally {
      instrumentation.setMeterProvider(metrics.getMeterProvider());
    }
  });
});
