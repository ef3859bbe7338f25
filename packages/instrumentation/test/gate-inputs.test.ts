import { routingSlotOf, GATE_QUANTITIES, isCanarySlot, logCost, METRICS, SESSION_OUTCOMES, versionHash } from "@agent-canary/conventions";
import { AgentCanary } from "@agent-canary/instrumentation";
import { FileStore } from "@agent-canary/rollout-state";
import { makeTempDir, waitFor } from "@agent-canary/testkit";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { afterEach, describe, expect, it } from "vitest";
import { GATE_INPUT_KEYS } from "../src/telemetry/gate-inputs/keys.js";
import { GateInputs } from "../src/telemetry/gate-inputs/gate-inputs.js";
import { testTelemetry } from "./helpers/otel.js";
import { DEPLOYMENT, patchState, setCanaryPercent, startRollout } from "./helpers/state.js";
import { BASELINE, CANARY } from "./helpers/versions.js";

const BASE = versionHash(BASELINE);
const CAN = versionHash(CANARY);
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { store?: boolean } = {}) {
  const telemetry = testTelemetry();
  const store = options.store === false ? undefined : new FileStore({ dir: await makeTempDir("instr-gate-inputs"), pollIntervalMs: 200 });
  const runtime = new AgentCanary({
    deployment: DEPLOYMENT,
    versions: { baseline: BASELINE, canary: CANARY },
    store,
    guards: { mode: "record" },
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    logger: telemetry.logger,
  });
  cleanups.push(async () => {
    await runtime.close();
    await store?.close();
    await telemetry.shutdown();
  });
  return { telemetry, store: store!, runtime };
}

/** An id whose own slot says canary (or baseline) at `percent`, under the rollout's salt. */
function idWhere(canary: boolean, percent: number, salt: string, prefix = "id"): string {
  for (let i = 0; ; i++) if (isCanarySlot(routingSlotOf(`${prefix}-${i}`, salt), percent) === canary) return `${prefix}-${i}`;
}

/** One LLM call as the SDK integrations report it: a turn and its cost. */
function call(s: { beginTurn(): number; endTurn(cost: { known: true; usd: number } | { known: false; reason: "unpriced_model" }, calls: []): void }, usd: number | undefined) {
  s.beginTurn();
  s.endTurn(usd === undefined ? { known: false, reason: "unpriced_model" } : { known: true, usd }, []);
}

describe("gate inputs", () => {
  it("every catalog metric labelled by stratum is a gate input, exported from GateInputs", () => {
    const stratified = Object.entries(METRICS).filter(([, def]) => (def.labels as readonly string[]).includes("assignment")).map(([key]) => key);
    expect([...GATE_INPUT_KEYS].sort()).toEqual(stratified.sort());
  });

  it("exist at 0 for both arms, every outcome and quantity and every stage percent as soon as the router learns of a rollout", async () => {
    const { store, runtime, telemetry } = await setup();
    const state = await startRollout(store, 5, { later: [25, 100] });
    await runtime.ready;
    await waitFor(() => runtime.rolloutState?.rolloutId === state.rolloutId, { what: "router to see the rollout" });
    const points = await telemetry.points(METRICS.sessions.otelName);
    for (const [group, hash] of [["baseline", BASE], ["canary", CAN]] as const) {
      for (const percent of ["5", "25", "100"]) {
        for (const outcome of SESSION_OUTCOMES) {
          const match = points.filter((p) => p.attributes.version_group === group && p.attributes.version_hash === hash && p.attributes.canary_percent === percent && p.attributes.outcome === outcome);
          expect(match, `${group} ${percent}% ${outcome}`).toEqual([
            { attributes: { deployment: DEPLOYMENT, version_group: group, version_hash: hash, rollout_id: state.rolloutId, canary_percent: percent, assignment: "split", outcome }, value: 0 },
          ]);
        }
      }
    }
    for (const key of ["gateObservations", "gateValue", "gateValueSquared"] as const) {
      const quantities = new Set((await telemetry.points(METRICS[key].otelName)).filter((p) => p.attributes.canary_percent === "25" && p.attributes.version_group === "canary").map((p) => p.attributes.quantity));
      expect(quantities).toEqual(new Set(GATE_QUANTITIES));
    }
    for (const key of ["loopingSessions", "unsafeSessions", "unobservedSessions"] as const) {
      expect((await telemetry.points(METRICS[key].otelName)).filter((p) => p.attributes.rollout_id === state.rolloutId)).toHaveLength(6);
    }
  });

  it("label each session with its rollout, the percent it was routed at and how it was routed, and keep them when it resumes", async () => {
    const { store, runtime, telemetry } = await setup();
    const state = await startRollout(store, 50, { later: [100] });
    await patchState(store, { tenantOverrides: { early: "always" } });
    await waitFor(() => runtime.rolloutState?.tenantOverrides.early === "always", { what: "router to see the overrides" });
    const id = state.rolloutId!;
    const onCanary = idWhere(true, 50, state.salt);
    expect(await runtime.session({ id: onCanary }, (s) => s.group)).toBe("canary");
    expect(await runtime.session({ id: idWhere(false, 50, state.salt, "b") }, (s) => s.group)).toBe("baseline");
    expect(await runtime.session({ id: idWhere(false, 50, state.salt, "t"), tenant: "early" }, (s) => s.group)).toBe("canary");
    // A routing key: every session of user-7 lands where user-7's slot says, whatever its id.
    const keyGroup = isCanarySlot(routingSlotOf("user-7", state.salt), 50) ? "canary" : "baseline";
    for (const sid of ["k-1", "k-2", "k-3"]) expect(await runtime.session({ id: sid, routingKey: "user-7" }, (s) => s.group)).toBe(keyGroup);
    await setCanaryPercent(store, 100);
    await waitFor(() => runtime.rolloutState?.canaryPercent === 100, { what: "router to see 100%" });
    // Resumed after the percent changed: still counted where it was first routed.
    await runtime.session({ id: onCanary }, () => undefined);
    const completed = async (labels: Record<string, string>) => telemetry.metricValue(METRICS.sessions.otelName, { rollout_id: id, outcome: "completed", ...labels });
    expect(await completed({ version_group: "canary", canary_percent: "50", assignment: "split" })).toBe(2);
    expect(await completed({ version_group: "canary", canary_percent: "100" })).toBe(0);
    expect(await completed({ version_group: "baseline", canary_percent: "50", assignment: "split" })).toBe(1);
    expect(await completed({ version_group: "canary", assignment: "tenant_override" })).toBe(1);
    expect(await completed({ version_group: keyGroup, assignment: "routing_key" })).toBe(3);
  });

  it("label failing-closed sessions fail_closed and sessions without a rollout no_rollout", async () => {
    const failing = await setup();
    await failing.runtime.ready; // no state in the store
    await failing.runtime.session({ id: "f-1" }, () => undefined);
    expect(await failing.telemetry.metricValue(METRICS.sessions.otelName, { assignment: "fail_closed", rollout_id: "", canary_percent: "0", outcome: "completed" })).toBe(1);
    const none = await setup({ store: false });
    await none.runtime.session({ id: "n-1" }, () => undefined);
    expect(await none.telemetry.metricValue(METRICS.sessions.otelName, { assignment: "no_rollout", rollout_id: "", version_hash: BASE, outcome: "completed" })).toBe(1);
  });

  it("count cost, log cost and turns only for sessions whose value is known, duration for all, quality per score", async () => {
    const { telemetry, runtime } = await setup({ store: false });
    await runtime.session({ id: "q-1" }, (s) => {
      call(s, 0.2);
      call(s, 0.3);
      s.recordQualityScore(0.8);
      s.recordQualityScore(0.6);
    });
    // An unpriced call: turns known, cost unknown.
    await runtime.session({ id: "q-2" }, (s) => call(s, undefined));
    const gate = async (key: "gateObservations" | "gateValue" | "gateValueSquared", quantity: string) => telemetry.metricValue(METRICS[key].otelName, { quantity });
    expect(await gate("gateObservations", "cost")).toBe(1);
    expect(await gate("gateValue", "cost")).toBeCloseTo(0.5, 12);
    expect(await gate("gateValueSquared", "cost")).toBeCloseTo(0.25, 12);
    expect(await gate("gateValue", "log_cost")).toBeCloseTo(logCost(0.5), 12);
    expect(await gate("gateObservations", "turns")).toBe(2);
    expect(await gate("gateValue", "turns")).toBe(3);
    expect(await gate("gateValueSquared", "turns")).toBe(5);
    expect(await gate("gateObservations", "duration")).toBe(2);
    expect(await gate("gateObservations", "quality")).toBe(2);
    expect(await gate("gateValue", "quality")).toBeCloseTo(1.4, 12);
    expect(await gate("gateValueSquared", "quality")).toBeCloseTo(1.0, 12);
    expect(await telemetry.metricValue(METRICS.sessionCost.otelName)).toBe(1);
  });

  it("never invent a cost or turns for a session in which no LLM call was observed, and say why once per deployment", async () => {
    const { telemetry, runtime } = await setup({ store: false });
    const costs = await Promise.all(["u-1", "u-2", "u-3"].map((id) => runtime.session({ id }, (s) => s.tool("lookup_order", { orderId: id }, () => s.cost))));
    expect(costs).toEqual([undefined, undefined, undefined]);
    expect(await telemetry.metricValue(METRICS.unobservedSessions.otelName, { assignment: "no_rollout" })).toBe(3);
    for (const quantity of ["cost", "log_cost", "turns"]) expect(await telemetry.metricValue(METRICS.gateObservations.otelName, { quantity })).toBe(0);
    expect(await telemetry.metricValue(METRICS.gateObservations.otelName, { quantity: "duration" })).toBe(3);
    expect(await telemetry.metricValue(METRICS.sessionCost.otelName)).toBe(0);
    expect(await telemetry.metricValue(METRICS.sessionTurns.otelName)).toBe(0);
    const warnings = telemetry.warnings.filter((w) => w.includes("without any LLM call observed"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("--import @agent-canary/instrumentation/register");
    expect(warnings[0]).toContain("instrumentation.instrument(");
  });

  it("drop a rollout that ended only once it is past retention, has no running session and its last values were collected", () => {
    let now = 0;
    const inputs = new GateInputs(DEPLOYMENT, 60_000, () => now);
    const arms = [{ group: "baseline" as const, hash: BASE }, { group: "canary" as const, hash: CAN }];
    const exported = () => {
      const ids = new Set<unknown>();
      inputs.collect((_key, attributes) => ids.add(attributes.rollout_id));
      return ids;
    };
    inputs.follow("r-1", arms, ["5"]);
    const running = inputs.begin(arms[1]!, { rolloutId: "r-1", canaryPercent: "5", assignment: "split" });
    inputs.follow("r-2", arms, ["1"]); // r-1 ended at t=0
    now = 120_000;
    expect(exported()).toEqual(new Set(["r-1", "r-2"])); // a session of r-1 still runs
    inputs.end(running, { outcome: "completed", looping: false, unsafe: false, turns: 1, costUsd: 0.01, durationSeconds: 1 });
    expect(exported()).toEqual(new Set(["r-1", "r-2"])); // its last values not collected yet
    expect(exported()).toEqual(new Set(["r-2"]));
    expect(inputs.rolloutIds).toEqual(["r-2"]);
    inputs.follow("", arms, []); // promoted: r-2 ended too, but within retention
    now += 59_999;
    expect(exported()).toEqual(new Set(["r-2"]));
    now += 1;
    expect(exported()).toEqual(new Set());
  });

  it("(why register() exports them through a MetricProducer) @opentelemetry/exporter-prometheus keeps serving an attribute set an observable callback stopped reporting", async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    let report = ["a", "b"];
    provider.getMeter("t").createObservableCounter("c").addCallback((r) => report.forEach((k) => r.observe(1, { k })));
    const scrape = async () => new PrometheusSerializer().serialize((await exporter.collect()).resourceMetrics);
    expect(await scrape()).toMatch(/c_total\{k="a"[^}]*\} 1[\s\S]*c_total\{k="b"/);
    report = ["b"];
    expect(await scrape()).toMatch(/c_total\{k="a"[^}]*\} 1/);
    await provider.shutdown();
  });
});
