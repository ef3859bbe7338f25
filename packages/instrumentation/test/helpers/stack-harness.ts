import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { VersionSpec } from "@agent-canary/conventions";
import { AgentCanary, type AgentCanaryOptions, type Logger } from "@agent-canary/instrumentation";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, type SpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { type Api, hasToolResult, type Reply, type Script } from "./llm-stand-in.js";

export const LOOKUP = { name: "lookup_order", args: { orderId: "A1" } };
export const NORMAL_USAGE = { input: 1200, output: 300, cached: 200 };
/** 2M input tokens per call: any listed model crosses a $0.05 budget on its first call. */
export const HUGE_USAGE = { input: 2_000_000, output: 1000 };

export const TOOLS = [
  { name: "lookup_order", description: "Find an order by id", parameters: { type: "object", properties: { orderId: { type: "string" } }, required: ["orderId"] } },
];
export const SYSTEM_PROMPT = "You are a support agent.";

/** A declared version for a stack: the same prompt and tools, the stack's model and params. */
export function stackVersion(model: string, params: Record<string, unknown> = {}): VersionSpec {
  return { model, systemPrompt: SYSTEM_PROMPT, tools: TOOLS, params };
}

export type Mode = "normal" | "loop" | "budget";

/**
 * What the stand-in model does: "normal" asks for lookup_order once, then
 * answers; "loop" asks for the same lookup forever; "budget" is normal with
 * huge usage.
 */
export function agentScript(mode: () => Mode): Script {
  return (api: Api, body: Record<string, unknown>): Reply => {
    const m = mode();
    // Structured output (generateObject, response_format): answer with the JSON object.
    if (body.response_format !== undefined) return { text: JSON.stringify({ status: "shipped" }), usage: NORMAL_USAGE };
    if (m === "loop") return { toolCalls: [LOOKUP], usage: NORMAL_USAGE };
    const usage = m === "budget" ? HUGE_USAGE : NORMAL_USAGE;
    return hasToolResult(api, body) ? { text: "Your order A1 has shipped.", usage } : { toolCalls: [LOOKUP], usage };
  };
}

/** The tool the agents run: it only counts its calls. */
export function lookupOrder(calls: { n: number }) {
  return async (args: unknown) => {
    calls.n++;
    return { orderId: (args as { orderId?: string }).orderId, status: "shipped" };
  };
}

/**
 * An AgentCanary on real OpenTelemetry providers: spans in memory (through
 * `spanProcessors` first, as an app would add agent-canary's), metrics served
 * by the Prometheus exporter on /metrics of a free port.
 */
export async function stackHarness(version: VersionSpec, options: Partial<AgentCanaryOptions> & { spanProcessors?: SpanProcessor[] } = {}) {
  const { spanProcessors = [], ...rest } = options;
  const spans = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [...spanProcessors, new SimpleSpanProcessor({ exporter: spans })] });
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [prometheus] });
  const server = createServer((req, res) => prometheus.getMetricsRequestHandler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const metricsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  const warnings: string[] = [];
  const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  const runtime = new AgentCanary({
    deployment: "support-agent",
    versions: { baseline: version },
    guards: { mode: "enforce", budgetUsd: 0.05, loop: { maxCycleLength: 2, repeats: 3 } },
    tracerProvider,
    meterProvider,
    logger,
    ...rest,
  });

  async function metricsText(): Promise<string> {
    const res = await fetch(metricsUrl);
    return await res.text();
  }

  /** Sum of the samples of a Prometheus series name whose labels include `labels`. */
  async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    let total = 0;
    for (const line of (await metricsText()).split("\n")) {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
      if (!match || match[1] !== name) continue;
      const got = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
      if (Object.entries(labels).every(([k, v]) => got[k] === v)) total += Number(match[3]);
    }
    return total;
  }

  function finished(prefix?: string): ReadableSpan[] {
    const all = spans.getFinishedSpans();
    return prefix ? all.filter((s) => s.name === prefix || s.name.startsWith(`${prefix} `)) : all;
  }

  return {
    runtime,
    tracerProvider,
    warnings,
    metric,
    metricsText,
    finished,
    reset: () => spans.reset(),
    async close() {
      await runtime.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

export type StackHarness = Awaited<ReturnType<typeof stackHarness>>;
