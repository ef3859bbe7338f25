import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { ATTR, versionHash } from "@agent-canary/conventions";
import { getDefaultRuntime, OptionsError, register, session } from "@agent-canary/instrumentation";
import { trace } from "@opentelemetry/api";
import { freePort, makeTempDir } from "@agent-canary/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { recordingLogger } from "./helpers/logger.js";
import { BASELINE } from "./helpers/versions.js";

type Handle = ReturnType<typeof register>;
const handles: Handle[] = [];
const cleanups: (() => unknown)[] = [];
/** Every test shuts its handle down, so one failure cannot leave the process registered for the next. */
afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.shutdown();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(handle: Handle): Handle {
  handles.push(handle);
  return handle;
}

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** Sets an environment variable for this test only. */
function setEnv(name: string, value: string): void {
  const before = process.env[name];
  process.env[name] = value;
  cleanups.push(() => (before === undefined ? delete process.env[name] : (process.env[name] = before)));
}

describe("register()", () => {
  it("rejects invalid options, naming each option and the fix, and registers nothing", async () => {
    const attempt = () =>
      register({
        deployment: "Support Agent!",
        versions: { baseline: { ...BASELINE, model: "" } },
        guards: { budgetUsd: -1, loop: { repeats: 1 } },
        metrics: { port: 70000 },
        prices: { "gpt-x": { input: "cheap" as unknown as number, output: 1 } },
      });
    expect(attempt).toThrow(OptionsError);
    const message = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    })();
    for (const path of ["deployment", "versions.baseline.model", "guards.budgetUsd", "guards.loop.repeats", "metrics.port", "prices.gpt-x.input"]) {
      expect(message).toContain(`${path}:`);
    }
    expect(message).toContain('model is required, e.g. "gpt-4o-mini"');
    // Fields without a message of their own get the shared wording (not zod's "Too small: expected number to be >2").
    expect(message).toContain("  - guards.loop.repeats: must be at least 2\n");
    expect(message).toContain("  - guards.budgetUsd: must be more than 0\n");
    expect(message).toContain('  - prices.gpt-x.input: must be a number, not the text "cheap"\n');
    expect(message).toContain("  - metrics.port: must be at most 65535");
    expect(getDefaultRuntime()).toBeUndefined();
    // Nothing was registered, yet session() still runs the agent's function (on the baseline, unrecorded).
    expect(await session({ id: "x" }, (s) => s.group)).toBe("baseline");
  });

  it("opens the store from a spec, serves metrics, and shuts down cleanly", async () => {
    const dir = await makeTempDir("instr-register");
    const { logger, info } = recordingLogger();
    const handle = track(
      register({
        deployment: "support-agent",
        versions: { baseline: BASELINE },
        store: `file:${dir}`,
        traces: { exporter: "none" },
        metrics: { port: 0, host: "127.0.0.1" },
        logger,
      }),
    );
    expect(() => register({ deployment: "other", versions: { baseline: BASELINE } })).toThrow(/already registered/);
    const { metricsUrl, problems } = await handle.ready;
    expect(problems).toEqual([]);
    expect(info.join("\n")).toContain(`rollout state from file:${dir}`);
    // Wait for the store's first word (no state here), so the session is routed on it, not on a timeout.
    await handle.runtime.ready;
    expect(await session({ id: "r-1" }, (s) => s.group)).toBe("baseline");
    const scrape = await (await fetch(metricsUrl!)).text();
    expect(scrape).toContain('agent_canary_routing_failures_total{deployment="support-agent",reason="missing"');
    await handle.shutdown();
    await expect(fetch(metricsUrl!)).rejects.toThrow();
    expect(getDefaultRuntime()).toBeUndefined();
  });

  it("names a store spec it cannot open", () => {
    expect(() => register({ deployment: "support-agent", versions: { baseline: BASELINE }, store: "mysql://db" })).toThrow(/store: .*neither file:<dir> nor redis/);
    expect(getDefaultRuntime()).toBeUndefined();
  });

  it("keeps the agent running when the metrics port is taken, and says so", async () => {
    const taken = createHttpServer();
    const port = await listen(taken);
    cleanups.push(() => new Promise((resolve) => taken.close(resolve)));
    const { logger, error } = recordingLogger();
    const handle = track(register({ deployment: "support-agent", versions: { baseline: BASELINE }, traces: { exporter: "none" }, metrics: { port, host: "127.0.0.1" }, logger }));
    // ready resolves (a rejection nobody awaited used to crash the process).
    const { metricsUrl, problems } = await handle.ready;
    expect(metricsUrl).toBeUndefined();
    expect(problems.join("\n")).toMatch(new RegExp(`metrics.port ${port} on 127.0.0.1 is in use`));
    expect(error.join("\n")).toContain("NOT WORKING: metrics are not served");
    expect(await handle.session({ id: "still-works" }, (s) => s.group)).toBe("baseline");
  });

  it("takes the metrics port from AGENT_CANARY_METRICS_PORT when the code does not set it", async () => {
    const port = await freePort();
    setEnv("AGENT_CANARY_METRICS_PORT", String(port));
    setEnv("AGENT_CANARY_METRICS_HOST", "127.0.0.1");
    const { logger } = recordingLogger();
    const handle = track(register({ deployment: "support-agent", versions: { baseline: BASELINE }, traces: { exporter: "none" }, logger }));
    expect((await handle.ready).metricsUrl).toBe(`http://127.0.0.1:${port}/metrics`);
  });

  it("turns itself off with AGENT_CANARY_DISABLED=1: the baseline runs, nothing is opened or served", async () => {
    setEnv("AGENT_CANARY_DISABLED", "1");
    const { logger, warn } = recordingLogger();
    const handle = track(register({ deployment: "support-agent", versions: { baseline: BASELINE }, store: "redis://127.0.0.1:1", metrics: { port: 0 }, logger }));
    expect(await handle.ready).toEqual({ metricsUrl: undefined, problems: [] });
    const seen = await session({ id: "d-1" }, (s) => ({ group: s.group, model: s.version.model, rollout: handle.runtime.rolloutState }));
    expect(seen).toEqual({ group: "baseline", model: BASELINE.model, rollout: undefined });
    await session({ id: "d-2" }, () => undefined);
    expect(warn.filter((w) => w.includes("AGENT_CANARY_DISABLED=1"))).toHaveLength(1);
  });

  it("shuts down without rejecting when the collector refuses the final export, and logs what it dropped", async () => {
    // A collector that answers every export with 400: the SDK's flush fails at once (no retries).
    const collector = createHttpServer((req, res) => {
      req.resume();
      res.writeHead(400).end("bad request");
    });
    const port = await listen(collector);
    cleanups.push(() => new Promise((resolve) => collector.close(resolve)));
    const { logger, warn } = recordingLogger();
    const handle = register({
      deployment: "support-agent",
      versions: { baseline: BASELINE },
      traces: { endpoint: `http://127.0.0.1:${port}/v1/traces` },
      metrics: { exporter: "otlp", endpoint: `http://127.0.0.1:${port}/v1/metrics` },
      logger,
    });
    await session({ id: "s-1" }, () => "done");
    await expect(handle.shutdown()).resolves.toBeUndefined();
    expect(warn.join("\n")).toMatch(/shutdown could not finish cleanly: .*dropped 1 span not exported \(1 in failed exports/);
  });

  it("gives up a shutdown whose collector never answers after shutdownTimeoutMs, saying what it dropped", async () => {
    // Accepts connections and never answers: without a bound, the exporters would wait 30 s.
    const sockets = new Set<Socket>();
    const blackhole = createTcpServer((socket) => sockets.add(socket));
    const port = await listen(blackhole);
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => blackhole.close(resolve));
    });
    const { logger, warn } = recordingLogger();
    const handle = register({
      deployment: "support-agent",
      versions: { baseline: BASELINE },
      traces: { endpoint: `http://127.0.0.1:${port}/v1/traces` },
      metrics: { exporter: "none" },
      shutdownTimeoutMs: 300,
      logger,
    });
    await session({ id: "s-2" }, (s) => s.tool("lookup_order", { orderId: "A1" }, () => "found"));
    await handle.shutdown();
    const said = warn.join("\n");
    expect(said).toContain("gave up waiting for the exporters after 300 ms");
    expect(said).toMatch(/dropped 2 spans not exported \(0 in failed exports, 2 still queued or in flight\)/);
  });

  /** An OTLP/HTTP collector that keeps every span it receives (JSON encoding), with its attributes flattened. */
  async function spanCollector() {
    const spans: { name: string; attributes: Record<string, unknown> }[] = [];
    type OtlpValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
    type OtlpSpan = { name: string; attributes?: { key: string; value: OtlpValue }[] };
    const collector = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] };
        for (const span of (body.resourceSpans ?? []).flatMap((r) => r.scopeSpans ?? []).flatMap((s) => s.spans ?? [])) {
          const attributes = Object.fromEntries((span.attributes ?? []).map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue]));
          spans.push({ name: span.name, attributes });
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    const port = await listen(collector);
    cleanups.push(() => new Promise((resolve) => collector.close(resolve)));
    return { endpoint: `http://127.0.0.1:${port}/v1/traces`, spans };
  }

  // Another instrumentation's model call (instrumentation-openai, OpenLLMetry, ...) as a GenAI-semconv span.
  const FOREIGN_CALL = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": BASELINE.model,
    "gen_ai.usage.input_tokens": 1000,
    "gen_ai.usage.output_tokens": 200,
  };

  it.each(["otlp", "env", "none"] as const)(
    "runs AgentCanarySpanProcessor in its own SDK (traces exporter %s): another instrumentation's GenAI span is a turn of its session, exported with the session's hash",
    async (exporter) => {
      const collector = await spanCollector();
      if (exporter === "env") {
        setEnv("OTEL_TRACES_EXPORTER", "otlp");
        setEnv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", collector.endpoint);
      }
      const handle = track(
        register({
          deployment: "support-agent",
          versions: { baseline: BASELINE },
          traces: exporter === "otlp" ? { exporter, endpoint: collector.endpoint } : { exporter },
          metrics: { exporter: "none" },
        }),
      );
      const seen = await session({ id: `foreign-${exporter}` }, (s) => {
        trace.getTracer("some-genai-instrumentation").startSpan(`chat ${BASELINE.model}`, { attributes: FOREIGN_CALL }).end();
        return { turns: s.turns, cost: s.cost };
      });
      expect(seen.turns).toBe(1);
      // gpt-4o-mini in the price dataset: $0.15 / $0.60 per 1M input / output tokens.
      expect(seen.cost).toBeCloseTo((1000 * 0.15 + 200 * 0.6) / 1e6, 12);
      await handle.shutdown();
      const exported = collector.spans.find((span) => span.name === `chat ${BASELINE.model}`);
      if (exporter === "none") expect(collector.spans).toEqual([]);
      else expect(exported?.attributes).toMatchObject({ [ATTR.versionHash]: versionHash(BASELINE), [ATTR.versionGroup]: "baseline", [ATTR.sessionId]: `foreign-${exporter}` });
    },
  );
});
