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
} from "@agent-canary/rollout";
import { pause, resume, rollback, stagesFrom, start, transition, type FileStore, type RolloutStore } from "@agent-canary/rollout-state";
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
  undecided: string[] = [];
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
      firing: this.firing,
      pending: this.pending,
      undecided: this.undecided,
      sessions: { baseline: inWindow.filter((s) => s.arm === "baseline").length, canary: inWindow.filter((s) => s.arm === "canary").length },
      values: { cost_ratio: 1.01 },
    };
  }
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
      expect(stage.sessions.canary).toBeGreaterThanOrEqual(20);
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

  it("advances early stages on their own minimums but never goes to 100% over a gate that could not judge yet", async () => {
    await started();
    const controller = new RolloutController({ store, deployment: "shop", gates, clock, log: quietLog });
    gates.undecided = ["loops"];
    for (const percent of [5, 25, 50]) {
      clock.advance(3600_000);
      gates.feed(clock.now(), 100, 100);
      expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { canaryPercent: percent } });
    }
    clock.advance(3600_000);
    gates.feed(clock.now(), 100, 100);
    expect(await controller.tick()).toMatchObject({ kind: "waiting", reason: "gates without enough sessions to judge before 100%: loops" });
    expect((await store.read("shop"))?.canaryPercent).toBe(50);
    gates.undecided = [];
    expect(await controller.tick()).toMatchObject({ kind: "advanced", state: { canaryPercent: 100 } });
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
    await expect(bad.report({ deployment: "shop", since: new Date(), now: new Date() })).rejects.toThrow(/firing\.0\.action/);
    const good = new EvaluatorGateSource(async () => ({ firing: [], sessions: { baseline: 3, canary: 1 } }));
    expect(await good.report({ deployment: "shop", since: new Date(), now: new Date() })).toEqual({ firing: [], sessions: { baseline: 3, canary: 1 } });
  });
});
