import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { METRICS } from "@agent-canary/conventions";
import { register } from "@agent-canary/instrumentation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASELINE } from "./helpers/versions.js";

interface OtlpMetric {
  name: string;
  unit?: string;
}

/**
 * The OTLP path: metrics pushed over OTLP/HTTP carry their UCUM units, which a
 * collector or Prometheus turns into suffixes (`_seconds`); prometheusName(def,
 * "otlp") relies on these units arriving as the catalog states them.
 */
describe("metrics over OTLP/HTTP", () => {
  const received: OtlpMetric[] = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const json = JSON.parse(body) as { resourceMetrics: { scopeMetrics: { metrics: OtlpMetric[] }[] }[] };
      for (const rm of json.resourceMetrics) for (const sm of rm.scopeMetrics) received.push(...sm.metrics);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  beforeAll(() => new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve)));
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it("pushes the session metrics with the catalog's names and units", async () => {
    const port = (receiver.address() as AddressInfo).port;
    const handle = register({
      deployment: "support-agent",
      versions: { baseline: BASELINE },
      traces: { exporter: "none" },
      metrics: { exporter: "otlp", endpoint: `http://127.0.0.1:${port}/v1/metrics`, exportIntervalMillis: 60_000 },
    });
    await handle.session({ id: "otlp-1" }, (s) => {
      // One observed LLM call of known cost, reported as the SDK integrations report it.
      s.beginTurn();
      s.endTurn({ known: true, usd: 0.01 }, []);
      s.recordQualityScore(0.7);
    });
    // Shutdown flushes the last collection to the receiver.
    await handle.shutdown();
    const byName = new Map(received.map((m) => [m.name, m.unit]));
    const defs = [METRICS.sessions, METRICS.sessionDuration, METRICS.sessionTurns, METRICS.qualityScore, METRICS.sessionCost, METRICS.gateObservations, METRICS.gateValue, METRICS.gateValueSquared, METRICS.unobservedSessions];
    for (const def of defs) {
      expect(byName.has(def.otelName), `${def.otelName} not pushed`).toBe(true);
      expect(byName.get(def.otelName)).toBe(def.unit);
    }
  });
});
