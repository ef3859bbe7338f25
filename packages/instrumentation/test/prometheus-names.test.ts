import { METRICS, type MetricDef, prometheusLabel, prometheusName, VERSION_LABELS } from "@agent-canary/conventions";
import { register } from "@agent-canary/instrumentation";
import { makeTempDir } from "@agent-canary/testkit";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLlmStandIn } from "./helpers/llm-stand-in.js";
import { BASELINE } from "./helpers/versions.js";

/**
 * The contract the gate rules rely on: every catalog metric, scraped from the
 * real @opentelemetry/exporter-prometheus endpoint, under prometheusName(def,
 * "prometheus") with the labels the catalog lists.
 */
describe("metrics on the real Prometheus endpoint", () => {
  let scrape = "";
  let standIn: Awaited<ReturnType<typeof startLlmStandIn>>;

  beforeAll(async () => {
    standIn = await startLlmStandIn((_api, body) =>
      body.model === "in-house-llm"
        ? { text: "ok", usage: { input: 10, output: 5 } }
        : { toolCalls: [{ name: "search_kb", args: { query: "x" } }], usage: { input: 100, output: 20 } },
    );
    const handle = register({
      deployment: "support-agent",
      versions: { baseline: BASELINE },
      // No state in this directory: routing fails closed and counts it.
      store: await makeTempDir("instr-prom"),
      stateTimeoutMs: 200,
      guards: { mode: "record" },
      traces: { exporter: "none" },
      metrics: { port: 0, host: "127.0.0.1" },
      logger: {
        debug: () => undefined,
        info: () => undefined,
        error: () => undefined,
        // A user logger that throws: an instrumentation failure the agent must not see.
        warn: (m: string) => {
          if (m.includes("no price")) throw new Error("logger broke");
        },
      },
    });
    handle.instrumentation.instrument(OpenAI);
    const { metricsUrl } = await handle.ready;
    const openai = new OpenAI({ apiKey: "test", baseURL: `${standIn.url}/v1`, maxRetries: 0 });
    await handle.session({ id: "prom-1" }, async (s) => {
      for (let i = 0; i < 3; i++) {
        await openai.chat.completions.create({ model: BASELINE.model, messages: [{ role: "user", content: "hi" }] });
      }
      await openai.chat.completions.create({ model: "in-house-llm", messages: [{ role: "user", content: "hi" }] });
      // A failed call: error.type is a label only on failed calls (GenAI semconv).
      await openai.chat.completions.create({ model: "fail-model", messages: [{ role: "user", content: "hi" }] }).catch(() => undefined);
      s.recordQualityScore(0.8);
      s.recordSafetyViolation("pii");
    });
    // No LLM call observed: counted as unobserved, not as a session of cost $0.
    await handle.session({ id: "prom-2" }, () => "done");
    // Every call priced: the session's cost is known and recorded.
    await handle.session({ id: "prom-3" }, () => openai.chat.completions.create({ model: BASELINE.model, messages: [{ role: "user", content: "hi" }] }));
    scrape = await (await fetch(metricsUrl!)).text();
    await handle.shutdown();
  });
  afterAll(() => standIn.close());

  const defs = Object.entries(METRICS) as [string, MetricDef][];
  it.each(defs)("%s", (_key, def) => {
    const name = prometheusName(def, "prometheus");
    const sample = def.kind === "histogram" ? `${name}_count` : name;
    const lines = scrape.split("\n").filter((l) => l.startsWith(`${sample}{`));
    expect(lines.length, `no ${sample} in the scrape:\n${scrape.slice(0, 3000)}`).toBeGreaterThan(0);
    const labelsOf = (line: string) => new Set([...line.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)].map((m) => m[1]));
    // The version labels are on every series; conditional ones (error.type) on some.
    for (const line of lines) {
      for (const label of VERSION_LABELS.filter((l) => def.labels.includes(l))) expect(labelsOf(line)).toContain(label);
    }
    const union = new Set(lines.flatMap((l) => [...labelsOf(l)]));
    for (const label of def.labels) expect(union, `${sample} lacks label ${label}`).toContain(prometheusLabel(label));
  });

  it("adds no unit suffix, as prometheusName assumes for this export path", () => {
    expect(scrape).toContain("agent_canary_session_duration_bucket{");
    expect(scrape).not.toContain("agent_canary_session_duration_seconds");
    expect(scrape).toContain("gen_ai_client_operation_duration_bucket{");
  });
});
