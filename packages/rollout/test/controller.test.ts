import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  EvaluatorGateSource,
  ManualClock,
  RolloutController,
  startRollout,
  type DeploymentRecord,
  type FiringGate,
  type GateQuery,
  type GateReport,
  type GateSource,
  type GateVerdictReport,
} from "@agent-canary/rollout";
import { parseGatesConfig } from "@agent-canary/gate-rules";
import { acceptGate, pause, resume, rollback, stagesFrom, start, transition, type FileStore, type RolloutStore } from "@agent-canary/rollout-state";
import { beforeEach, describe, expect, it } from "vitest";
import { BASELINE, CANARY, tempStore } from "./helpers.js";

/**
 * A real GateSource over sessions the test feeds in: each session is counted in
 * its arm if it ended inside the stage's window, and gates fire when the test says.
 */
class FedGateSource implements GateSource {
  private readonly sessions: { at: number; arm: "baseline" | "canary" }[] = [];
  firing: FiringGate[] = [];
  pending: FiringGate[] = [];
  /** Cost must pass before 25%, loops before 50%; safety is a fail-only guard. All pass but safety, which cannot. */
  verdicts: GateVerdictReport[] = [
    { gate: "cost", verdict: "passing", action: "rollback", passBeforePercent: 25, value: 1.01 },
    { gate: "loops", verdict: "passing", action: "rollback", passBeforePercent: 50 },
    { gate: "safety", verdict: "undecided", action: "rollback", passBeforePercent: null },
  ];
  rolloutId: string | null | undefined;
  failWith: Error | undefined;
  queries: GateQuery[] = [];

  feed(at: Date, baseline: number, canary: number): void {
    for (let i = 0; i < baseline; i++) this.sessions.push({ at: at.getTime(), arm: "baseline" });
    for (let i = 0; i < canary; i++) this.sessions.push({ at: at.getTime(), arm: "canary" });
  }

  async report(query: GateQuery): Promise<GateReport> {
    this.queries.push(query);
    if (this.failWith) throw this.failWith;
    const inWindow = this.sessions.filter((s) => s.at >= query.since.getTime() && s.at <= query.now.getTime());
    return {
      ...(this.rolloutId === undefined ? {} : { rolloutId: this.rolloutId }),
      firing: this.firing,
      pending: this.pending,
      verdicts: this.verdicts,
      sessions: { baseline: inWindow.filter((s) => s.arm === "baseline").length, canary: inWindow.filter((s) => s.arm === "canary").length },
      values: { cost_ratio: 1.01 },
    };
  }
}

/** Sets one gate's verdict in the fed report. */
function verdict(gate: string, value: GateVerdictReport["verdict"]): void {
  gates.verdicts = gates.verdicts.map((v) => (v.gate === gate ? { ...v, verdict: value } : v));
}

const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const MINUTE = 60_000;
let store: FileStore;
let clock: ManualClock;
let gates: FedGateSource;

beforeEach(async () => {
  store = await tempStore();
  clock = new ManualClock();
  gates = new FedGateSource();
});

const plan = stagesFrom([1, 5, 25, 50, 100], 600, 20);
const startInput = { baseline: BASELINE, canary: CANARY, stages: plan };

/** Starts the rollout the way `agent-canary rollout start` does, without driving it. */
async function started(): Promise<void> {
  await transition(store, "shop", start({ deployment: "shop", ...startInput }), { by: "cli:test", reason: "start" }, { now: () => clock.now() });
}

describe("rollout controller", () => {
  it("advances through every stage once duration and sessions per arm are met, then promotes and archives the record", async () => {
    const archiveDir = join(store.dir, "records");
    // Five sessions per arm end between evaluations (one a minute): enough for each stage in 10 minutes.
    const withTraffic: GateSource = { report: (query) => (gates.feed(query.now, 5, 5), gates.report(query)) };
    const run = startRollout({ store, deployment: "shop", gates: withTraffic, clock, intervalMs: MINUTE, archiveDir, log: quietLog, start: startInput });
    const result = await run.done;
    expect(result).toMatchObject({ kind: "promoted" });
    expect(await store.read("shop")).toMatchObject({ phase: "promoted", baseline: CANARY, canary: null, canaryPercent: 0 });
    const advances = (await store.auditLog("shop")).filter((e) => e.action === "advance").map((e) => e.toPercent);
    expect(advances).toEqual([5, 25, 50, 100]);

    if (!("recordPath" in result) || !result.recordPath) throw new Error("no record path");
    const record = JSON.parse(await readFile(result.recordPath, "utf8")) as DeploymentRecord;
    expect(record).toMatchObject({ deployment: "shop", outcome: "promoted", baseline: BASELINE, canary: CANARY });
    expect(record.stages.map((s) => s.percent)).toEqual([1, 5, 25, 50, 100]);
    for (const stage of record.stages) {
      expect(stage.durationSeconds).toBeGreaterThanOrEqual(600);
      expect(stage.sessions?.canary).toBeGreaterThanOrEqual(20);
      expect(stage.values).toEqual({ cost_ratio: 1.01 });
    }
    expect(record.durationSeconds).toBeGreaterThanOrEqual(5 * 600);
  });

  it("waits while an arm lacks sessions, however long the stage has run", async () => {
    await started();
    const controller = new RolloutController({ store, deployment: "shop", gates, clock, log: quietLog });
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 3);
    const outcome = await controller.tick();
    expect(outcome).toMatchObject({ kind: "waiting", reason: "canary sessions 3 of 20" });
    expect((await store.read("shop"))?.stage).toBe(0);
  });

  it("does not advance while a gate is pending (failing, its `for` not yet passed)", async () => {
    await started();
    const controller = new RolloutController({ store, deployment: "shop", gates, clock, log: quietLog });
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    gates.pending = [{ name: "AgentCanaryCostGateFailed", action: "rollback" }];
    expect(await controller.tick()).toMatchObject({ kind: "waiting", reason: "gates pending: AgentCanaryCostGateFailed" });
    expect((await store.read("shop"))?.canaryPercent).toBe(1);
    gates.pending = [];
    expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { canaryPercent: 5 } });
  });

  it("advances only on evidence: a gate must pass before the canary exceeds its passBeforePercent", async () => {
    await started();
    const controller = new RolloutController({ store, deployment: "shop", gates, clock, log: quietLog });
    verdict("cost", "undecided");
    verdict("loops", "undecided");
    // 1% → 5% needs neither gate: both may still be undecided.
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { canaryPercent: 5 } });
    // cost must pass before the canary gets more than 25%: reaching 25% itself does not need it.
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { canaryPercent: 25 } });
    // 25% → 50% needs cost to pass; loops (before 50%) not yet.
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    expect(await controller.tick()).toMatchObject({ kind: "waiting", reason: expect.stringMatching(/gates not yet passing before 50%: cost undecided/) });
    expect((await store.read("shop"))?.canaryPercent).toBe(25);
    verdict("cost", "passing");
    expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { canaryPercent: 50 } });
    // 50% → 100% needs loops too; safety, a fail-only guard, never has to pass.
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    expect(await controller.tick()).toMatchObject({ kind: "waiting", reason: expect.stringMatching(/before 100%: loops undecided/) });
    verdict("loops", "passing");
    expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { canaryPercent: 100 } });
  });

  it("advances over an undecided gate an operator accepted, for this rollout only", async () => {
    await started();
    const controller = new RolloutController({ store, deployment: "shop", gates, clock, log: quietLog });
    verdict("cost", "undecided");
    for (const percent of [5, 25]) {
      clock.advance(3600_000);
      gates.feed(clock.now(), 100, 100);
      expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { canaryPercent: percent } });
    }
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    expect(await controller.tick()).toMatchObject({ kind: "waiting" });
    await transition(store, "shop", acceptGate("shop", "cost", { by: "cli:ops", reason: "cost is flat by design" }), { by: "cli:ops", reason: "cost is flat by design" }, { now: () => clock.now() });
    const advanced = await controller.tick();
    expect(advanced).toMatchObject({ kind: "advanced", state: { canaryPercent: 50 } });
    const audit = await store.auditLog("shop");
    expect(audit.find((e) => e.action === "accept")).toMatchObject({ by: "cli:ops", reason: "cost is flat by design" });
    // The stage record says the gate was accepted, not that it passed.
    expect(audit.at(-1)?.details?.stage).toMatchObject({ verdicts: { cost: { verdict: "undecided", accepted: true } } });
    // An accepted gate that turns failing blocks again (and its alert still rolls back).
    verdict("cost", "failing");
    expect(await controller.tick()).toMatchObject({ kind: "waiting", reason: expect.stringMatching(/gates failing: cost/) });
  });

  it("ignores alerts and verdicts about another rollout, and acts on those about this one", async () => {
    await started();
    const state = await store.read("shop");
    const current = state?.rolloutId ?? "";
    const controller = new RolloutController({ store, deployment: "shop", gates, clock, log: quietLog });
    // An earlier canary's rollback alert is still firing: it must not roll this one back.
    gates.firing = [{ name: "AgentCanaryCostRegression", action: "rollback", rolloutId: "20260101T000000Z-deadbeef" }];
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { canaryPercent: 5 } });
    // Verdicts about another rollout prove nothing about this one: the required gate counts as undecided.
    gates.firing = [];
    gates.rolloutId = "20260101T000000Z-deadbeef";
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { canaryPercent: 25 } });
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    expect(await controller.tick()).toMatchObject({ kind: "waiting", reason: expect.stringMatching(/cost undecided/) });
    gates.rolloutId = current;
    gates.firing = [{ name: "AgentCanaryCostRegression", action: "rollback", rolloutId: current }];
    expect(await controller.tick()).toMatchObject({ kind: "rolled_back" });
    expect(gates.queries.at(-1)?.rolloutId).toBe(current);
  });

  it("does not advance over a failing gate whose alert has not fired yet", async () => {
    await started();
    const controller = new RolloutController({ store, deployment: "shop", gates, clock, log: quietLog });
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    verdict("safety", "failing");
    expect(await controller.tick()).toMatchObject({ kind: "waiting", reason: "gates failing: safety" });
  });

  it("says early, once per stage, which required gate cannot decide at the measured traffic, with the sessions and time it needs", async () => {
    await started();
    const config = parseGatesConfig("deployments: [shop]\n");
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const log = { ...quietLog, warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }) };
    const told: string[][] = [];
    const controller = new RolloutController({
      store,
      deployment: "shop",
      gates,
      clock,
      log,
      outlook: { config, afterSeconds: 600, limitHours: 60, onUndecidable: (undecidable) => void told.push(undecidable.map((o) => o.gate)) },
    });
    // Loops is rare (0.5% of sessions) and undecided; cost passes.
    gates.verdicts = [
      { gate: "cost", verdict: "passing", action: "rollback", passBeforePercent: 50 },
      { gate: "loops", verdict: "undecided", action: "rollback", passBeforePercent: 50, samples: { canary: 10, baseline: 990 }, minSamples: 200, baseline: { mean: 0.005 } },
    ];
    // 100 sessions an hour, 1 on the canary: before the first minutes have passed, nothing is said.
    clock.advance(5 * MINUTE);
    gates.feed(clock.now(), 8, 1);
    await controller.tick();
    expect(told).toEqual([]);
    clock.advance(55 * MINUTE);
    gates.feed(clock.now(), 91, 0);
    await controller.tick();
    expect(told).toEqual([["loops"]]);
    expect(warnings[0]?.message).toMatch(/^gate loops cannot decide at this traffic within 2\.5 days: needs ~\d+ more canary sessions, ~[\d.]+ days at current traffic split at 50% \(50\.0 canary sessions\/h\); raise traffic, lengthen the plan or accept it/);
    expect(warnings[0]?.fields).toMatchObject({ gate: "loops", stage: 0 });
    // In the audit log too (for `rollout status` and the record), without changing the state.
    const noted = (await store.auditLog("shop")).at(-1);
    expect(noted).toMatchObject({ action: "outlook", outcome: "unchanged", by: "controller", toRevision: 0, details: { outlook: [{ gate: "loops", atPercent: 50, decidable: false }] } });
    expect(noted?.reason).toMatch(/gate loops cannot decide at this traffic/);
    // Once per stage: the next evaluation says nothing new.
    await controller.tick();
    expect(told).toHaveLength(1);
    // An accepted gate is no longer reported.
    await transition(store, "shop", acceptGate("shop", "loops", { by: "cli:ops", reason: "rare" }), { by: "cli:ops", reason: "rare" }, { now: () => clock.now() });
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { stage: 1 } });
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    await controller.tick();
    expect(told).toHaveLength(1);
  });

  it("holds the canary at 100% for the plan's stability period before promoting, and still rolls back on an alert then", async () => {
    const stable = [...stagesFrom([50], 600, 20), { percent: 100, minDurationSeconds: 4 * 3600, minSessionsPerArm: 0 }];
    await transition(store, "shop", start({ deployment: "shop", baseline: BASELINE, canary: CANARY, stages: stable }), { by: "cli:test", reason: "start" }, { now: () => clock.now() });
    const controller = new RolloutController({ store, deployment: "shop", gates, clock, log: quietLog });
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { canaryPercent: 100 } });
    clock.advance(3 * 3600_000);
    gates.feed(clock.now(), 0, 300);
    expect(await controller.tick()).toMatchObject({ kind: "waiting", reason: "stability period at 100% (no baseline arm: watching the alerts and the canary) 10800s of 14400s" });
    clock.advance(3600_000);
    expect(await controller.tick()).toMatchObject({ kind: "promoted" });

    // The same plan again: an alert during the stability period rolls back instead.
    await transition(store, "shop", start({ deployment: "shop", canary: { hash: "00000000000000cc" }, stages: stable }), { by: "cli:test", reason: "start" }, { now: () => clock.now() });
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { canaryPercent: 100 } });
    gates.firing = [{ name: "AgentCanaryErrorCeiling", action: "rollback" }];
    expect(await controller.tick()).toMatchObject({ kind: "rolled_back", state: { canaryPercent: 0 } });
  });

  it("pauses on a hold gate, stays paused after it clears, and goes on once resumed", async () => {
    const controller = new RolloutController({ store, deployment: "shop", gates, clock, log: quietLog });
    await started();
    gates.firing = [{ name: "AgentCanaryLatencyRegression", action: "hold" }];
    expect(await controller.tick()).toMatchObject({ kind: "held", state: { phase: "paused", canaryPercent: 1 } });
    gates.firing = [];
    clock.advance(3600_000);
    gates.feed(clock.now(), 50, 50);
    expect(await controller.tick()).toMatchObject({ kind: "paused" });
    await transition(store, "shop", resume("shop"), { by: "cli:ops", reason: "latency explained" });
    expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { stage: 1, canaryPercent: 5 } });
  });

  it("does not promote when a hold lands while the gates are being queried", async () => {
    await transition(store, "shop", start({ deployment: "shop", baseline: BASELINE, canary: CANARY, stages: stagesFrom([100], 600, 20) }), { by: "cli:test", reason: "start" }, { now: () => clock.now() });
    clock.advance(3600_000);
    gates.feed(clock.now(), 0, 50);
    // The receiver applies a hold between the controller's read and its write.
    const racingHold: GateSource = {
      report: async (query) => {
        await transition(store, "shop", pause("shop", "hold"), { by: "alertmanager:fp", reason: "LatencyGate firing" });
        return gates.report(query);
      },
    };
    const controller = new RolloutController({ store, deployment: "shop", gates: racingHold, clock, log: quietLog });
    expect(await controller.tick()).toMatchObject({ kind: "waiting", reason: "phase is paused, not progressing" });
    expect(await store.read("shop")).toMatchObject({ phase: "paused", canary: CANARY, canaryPercent: 100 });
  });

  it("rolls back and stops on a rollback gate, even while paused, and archives what happened", async () => {
    const archiveDir = join(store.dir, "records");
    const run = startRollout({ store, deployment: "shop", gates, clock, intervalMs: MINUTE, archiveDir, log: quietLog, start: startInput });
    gates.firing = [{ name: "AgentCanaryLoopRateRegression", action: "rollback", details: { canary: 0.05, baseline: 0.005 } }];
    const result = await run.done;
    expect(result).toMatchObject({ kind: "rolled_back", state: { canaryPercent: 0, phase: "rolled_back" } });
    const last = (await store.auditLog("shop")).at(-1);
    expect(last).toMatchObject({ action: "rollback", by: "controller", reason: "rollback gate firing: AgentCanaryLoopRateRegression" });
    if (!("recordPath" in result) || !result.recordPath) throw new Error("no record path");
    const record = JSON.parse(await readFile(result.recordPath, "utf8")) as DeploymentRecord;
    expect(record.outcome).toBe("rolled_back");
    expect(record.stages[0]?.firing).toEqual([{ name: "AgentCanaryLoopRateRegression", action: "rollback" }]);
  });

  it("never advances when the gate source fails", async () => {
    await started();
    const controller = new RolloutController({ store, deployment: "shop", gates, clock, log: quietLog });
    clock.advance(3600_000);
    gates.feed(clock.now(), 50, 50);
    gates.failWith = new Error("prometheus unreachable");
    expect(await controller.tick()).toMatchObject({ kind: "waiting", reason: "gate source failed: prometheus unreachable" });
    expect((await store.read("shop"))?.stage).toBe(0);
  });

  it("stops when the deployment is rolled back by someone else (the receiver)", async () => {
    await started();
    const run = startRollout({ store, deployment: "shop", gates, clock, intervalMs: MINUTE, log: quietLog });
    await transition(store, "shop", rollback("shop"), { by: "alertmanager:x", reason: "gate" });
    expect(await run.done).toMatchObject({ kind: "rolled_back", reason: "rolled back (by someone else)" });
  });

  it("keeps going after a failed store read, and stops for a deployment that does not exist", async () => {
    await started();
    // The file store, except that its first read fails as a dropped Redis connection would.
    let failures = 1;
    const flaky: RolloutStore = {
      read: async (deployment) => {
        if (failures-- > 0) throw new Error("connection reset");
        return store.read(deployment);
      },
      compareAndSet: (...args) => store.compareAndSet(...args),
      record: (deployment, entry) => store.record(deployment, entry),
      watch: (deployment, onEvent) => store.watch(deployment, onEvent),
      auditLog: (deployment, options) => store.auditLog(deployment, options),
      list: () => store.list(),
      close: () => store.close(),
    };
    const run = startRollout({ store: flaky, deployment: "shop", gates, clock, intervalMs: MINUTE, log: quietLog });
    gates.firing = [{ name: "AgentCanaryCostRegression", action: "rollback" }];
    expect(await run.done).toMatchObject({ kind: "rolled_back" });
    await expect(startRollout({ store, deployment: "ghost", gates, clock, log: quietLog }).done).rejects.toThrow(/no rollout state/);
  });

  it("validates what an embedded evaluator returns", async () => {
    const bad = new EvaluatorGateSource(async () => ({ firing: [{ name: "x", action: "explode" }], sessions: { baseline: 1, canary: 1 } }) as unknown as GateReport);
    const query = { deployment: "shop", rolloutId: null, since: new Date(), now: new Date() };
    await expect(bad.report(query)).rejects.toThrow(/firing\.0\.action/);
    const good = new EvaluatorGateSource(async () => ({ firing: [], verdicts: [], sessions: { baseline: 3, canary: 1 } }));
    expect(await good.report(query)).toEqual({ firing: [], verdicts: [], sessions: { baseline: 3, canary: 1 } });
  });
});
