import { ATTR, SHADOW_ATTR, SHADOW_METRICS, SHADOW_SPAN_NAMES } from "@agent-canary/conventions";
import { trace } from "@opentelemetry/api";
import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createShadow, replayShadow, type AgentFn } from "../src/index.js";
import { installTelemetry } from "./support/telemetry.js";
import { orderDesk } from "./support/tools.js";

const telemetry = installTelemetry();
afterAll(() => telemetry.shutdown());

const PRODUCTION = "aaaaaaaaaaaaaaaa";
const CANDIDATE = "bbbbbbbbbbbbbbbb";

const refund =
  (amount: number): AgentFn<string> =>
  async (orderId, ctx) => {
    await ctx.callTool("issue_refund", { orderId, amount });
    return `refunded ${amount}`;
  };

describe("shadow telemetry", () => {
  it("links the candidate span to the production span, both carrying their version, and counts what happened", async () => {
    const { tools } = orderDesk();
    const shadow = createShadow({
      deployment: "support",
      production: { run: refund(42), version: PRODUCTION, name: "support-agent" },
      candidate: { run: refund(420), version: CANDIDATE, name: "support-agent" },
      tools,
      logger: { info: () => undefined, warn: () => undefined },
    });
    await trace.getTracer("test").startActiveSpan("http request", async (request) => {
      await shadow.run("A-1", { requestId: "req-1", tenant: "acme" });
      request.end();
    });
    await shadow.close();

    const spans = telemetry.spans.getFinishedSpans();
    const byName = (name: string) => spans.find((s) => s.name === name);
    const http = byName("http request");
    const production = byName(SHADOW_SPAN_NAMES.production);
    const candidate = byName(SHADOW_SPAN_NAMES.candidate);
    const compare = byName(SHADOW_SPAN_NAMES.compare);

    expect([http, production, candidate, compare].every((s) => s !== undefined)).toBe(true);
    // Production belongs to the user's request; the candidate is its own trace, linked back.
    expect(production?.parentSpanContext?.spanId).toBe(http?.spanContext().spanId);
    expect(candidate?.spanContext().traceId).not.toBe(http?.spanContext().traceId);
    expect(candidate?.links.map((l) => l.context.spanId)).toEqual([production?.spanContext().spanId]);
    expect(compare?.links.map((l) => l.context.spanId)).toEqual([production?.spanContext().spanId, candidate?.spanContext().spanId]);

    expect(production?.attributes).toMatchObject({
      [ATTR.versionHash]: PRODUCTION,
      [ATTR.versionGroup]: "baseline",
      [ATTR.deployment]: "support",
      [ATTR.tenant]: "acme",
      [SHADOW_ATTR.role]: "production",
    });
    expect(candidate?.attributes).toMatchObject({
      [ATTR.versionHash]: CANDIDATE,
      [ATTR.versionGroup]: "canary",
      [SHADOW_ATTR.role]: "candidate",
      [SHADOW_ATTR.interceptedWrites]: 1,
    });
    expect(compare?.attributes).toMatchObject({ [SHADOW_ATTR.decisionsAgree]: false, [SHADOW_ATTR.productionVersionHash]: PRODUCTION });

    const points = await telemetry.points();
    const labels = { deployment: "support", version_hash: CANDIDATE, production_version_hash: PRODUCTION, source: "live" };
    const point = (name: string, extra: Record<string, string>) =>
      points.find((p) => p.name === name && Object.entries({ ...labels, ...extra }).every(([k, v]) => p.attributes[k] === v));
    expect(point(SHADOW_METRICS.requests.otelName, { decision: "shadowed" })?.value).toBe(1);
    expect(point(SHADOW_METRICS.candidateRuns.otelName, { result: "completed" })?.value).toBe(1);
    expect(point(SHADOW_METRICS.interceptedWrites.otelName, { tool: "issue_refund" })?.value).toBe(1);
    expect(point(SHADOW_METRICS.comparisons.otelName, { decision: "disagree" })?.value).toBe(1);
    expect(point(SHADOW_METRICS.similarity.otelName, { method: "lexical" })?.value).toMatchObject({ count: 1 });
  });

  it("counts requests left out, dropped candidates and timeouts under their own labels", async () => {
    const never = () => new Promise<string>(() => undefined);
    const shadow = createShadow({
      deployment: "limits",
      production: { run: async () => "p", version: PRODUCTION },
      candidate: { run: never, version: CANDIDATE },
      optIn: { tenants: ["acme"] },
      maxConcurrentCandidates: 1,
      candidateTimeoutMs: 5,
      candidateAbandonAfterMs: 5,
      logger: { info: () => undefined, warn: () => undefined },
    });
    await shadow.run("x", { tenant: "acme" });
    await shadow.run("x", { tenant: "acme" });
    await shadow.run("x", { tenant: "globex" });
    await shadow.close();

    const points = await telemetry.points();
    const value = (name: string, extra: Record<string, string>) =>
      points.find((p) => p.name === name && p.attributes.deployment === "limits" && Object.entries(extra).every(([k, v]) => p.attributes[k] === v))?.value;
    expect(value(SHADOW_METRICS.requests.otelName, { decision: "shadowed" })).toBe(2);
    expect(value(SHADOW_METRICS.requests.otelName, { decision: "not_opted_in" })).toBe(1);
    expect(value(SHADOW_METRICS.candidateRuns.otelName, { result: "dropped" })).toBe(1);
    expect(value(SHADOW_METRICS.candidateRuns.otelName, { result: "timeout" })).toBe(1);
  });

  it("labels a replay's metrics source=replay, apart from the live shadow's source=live", async () => {
    const quiet = { info: () => undefined, warn: () => undefined };
    const inputsFile = join(await mkdtemp(join(tmpdir(), "shadow-telemetry-")), "inputs.jsonl");
    await writeFile(inputsFile, ['{"id":"r-1","input":"A-1"}', '{"id":"r-2","input":"A-2"}'].join("\n"));
    const { tools } = orderDesk();
    const live = createShadow({ deployment: "sources", production: { run: refund(42), version: PRODUCTION }, candidate: { run: refund(42), version: CANDIDATE }, tools, logger: quiet });
    await live.run("A-0", { requestId: "l-1" });
    await live.close();
    await replayShadow({
      deployment: "sources",
      inputsFile,
      production: { run: refund(42), version: PRODUCTION },
      candidate: { run: refund(420), version: CANDIDATE },
      tools,
      parseInput: (raw) => String(raw),
      logger: quiet,
    });

    const points = await telemetry.points();
    const comparisons = (source: string) =>
      points.find((p) => p.name === SHADOW_METRICS.comparisons.otelName && p.attributes.deployment === "sources" && p.attributes.source === source && p.attributes.decision === (source === "live" ? "agree" : "disagree"))?.value;
    expect(comparisons("live")).toBe(1);
    expect(comparisons("replay")).toBe(2);
    // Every shadow series of the deployment says which it is: nothing a dashboard could add up by mistake.
    const ours = points.filter((p) => p.name.startsWith("agent_canary.shadow.") && p.attributes.deployment === "sources");
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((p) => p.attributes.source === "live" || p.attributes.source === "replay")).toBe(true);
  });
});
