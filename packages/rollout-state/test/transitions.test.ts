import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_STAGE_PERCENTS,
  FileStore,
  RolloutStateSchema,
  TransitionRejectedError,
  UnknownDeploymentError,
  acceptGate,
  advance,
  pause,
  promote,
  resume,
  rollback,
  setCapability,
  setPercent,
  stagesFrom,
  start,
  transition,
  type RolloutStore,
} from "@agent-canary/rollout-state";
import { beforeEach, describe, expect, it } from "vitest";
import { BASELINE, CANARY, seed } from "./fixtures.js";

let store: RolloutStore;
const meta = { by: "cli:test", reason: "test" };

beforeEach(async () => {
  store = new FileStore({ dir: await mkdtemp(join(tmpdir(), "agent-canary-transitions-")) });
});

describe("transitions", () => {
  it("starts at the first stage of the plan and advances stage by stage", async () => {
    const started = await seed(store, "shop");
    expect(started).toMatchObject({ phase: "progressing", stage: 0, canaryPercent: 1, baseline: BASELINE, canary: CANARY });
    const advanced = await transition(store, "shop", advance("shop", 0), meta);
    expect(advanced).toMatchObject({ status: "changed", state: { stage: 1, canaryPercent: 5 } });
    // A second controller that also saw stage 0 does not skip stage 2.
    expect(await transition(store, "shop", advance("shop", 0), meta)).toMatchObject({ status: "unchanged", state: { stage: 1 } });
  });

  it("stamps rolloutStartedAt with the start transition's time, keeps it through the rollout and renews it on a restart", async () => {
    const clock = { at: new Date("2026-01-01T10:00:00.000Z") };
    const now = () => clock.at;
    const plan = stagesFrom(DEFAULT_STAGE_PERCENTS, 60, 10);
    const first = await transition(store, "shop", start({ deployment: "shop", baseline: BASELINE, canary: CANARY, stages: plan }), meta, { now });
    expect(first).toMatchObject({ status: "changed", state: { rolloutStartedAt: "2026-01-01T10:00:00.000Z", lastTransition: { action: "start", at: "2026-01-01T10:00:00.000Z" } } });
    clock.at = new Date("2026-01-01T11:00:00.000Z");
    await transition(store, "shop", advance("shop", 0), meta, { now });
    await transition(store, "shop", rollback("shop"), meta, { now });
    expect(await store.read("shop")).toMatchObject({ rolloutStartedAt: "2026-01-01T10:00:00.000Z", phase: "rolled_back" });
    clock.at = new Date("2026-01-01T12:00:00.000Z");
    const again = await transition(store, "shop", start({ deployment: "shop", canary: { hash: "00000000000000cc" }, stages: plan }), meta, { now });
    expect(again).toMatchObject({ status: "changed", state: { rolloutStartedAt: "2026-01-01T12:00:00.000Z", phase: "progressing" } });
  });

  it("reads a state written before rolloutStartedAt existed as null", () => {
    const old = { deployment: "shop", revision: 3, baseline: BASELINE, canaryPercent: 0, phase: "idle", updatedAt: "2026-01-01T10:00:00.000Z" };
    expect(RolloutStateSchema.parse(old).rolloutStartedAt).toBeNull();
  });

  it("rolls back to 0% once; a second rollback is unchanged and writes nothing", async () => {
    await seed(store, "shop");
    const first = await transition(store, "shop", rollback("shop"), { by: "alertmanager:abc", reason: "CostGate firing" });
    expect(first).toMatchObject({ status: "changed", state: { canaryPercent: 0, phase: "rolled_back", revision: 1, canary: CANARY } });
    if (first.status === "changed") expect(first.state.rolledBackAt).not.toBeNull();
    const second = await transition(store, "shop", rollback("shop"), meta);
    expect(second).toMatchObject({ status: "unchanged", reason: "already rolled back", state: { revision: 1 } });
    expect(await store.auditLog("shop")).toHaveLength(2);
  });

  it("holds a progressing rollout and resumes it; resume after rollback is refused", async () => {
    await seed(store, "shop");
    expect(await transition(store, "shop", pause("shop", "hold"), meta)).toMatchObject({ state: { phase: "paused" } });
    expect(await transition(store, "shop", pause("shop"), meta)).toMatchObject({ status: "unchanged" });
    expect(await transition(store, "shop", resume("shop"), meta)).toMatchObject({ state: { phase: "progressing" } });
    await transition(store, "shop", rollback("shop"), meta);
    await expect(transition(store, "shop", resume("shop"), meta)).rejects.toBeInstanceOf(TransitionRejectedError);
  });

  it("promotes the canary to baseline and refuses to promote without a canary", async () => {
    await seed(store, "shop");
    const promoted = await transition(store, "shop", promote("shop"), meta);
    expect(promoted).toMatchObject({ state: { baseline: CANARY, canary: null, canaryPercent: 0, phase: "promoted" } });
    await expect(transition(store, "shop", promote("shop"), meta)).rejects.toThrow(/no canary to promote/);
  });

  it("refuses to raise the percent of a rolled-back rollout", async () => {
    await seed(store, "shop");
    await transition(store, "shop", rollback("shop"), meta);
    await expect(transition(store, "shop", setPercent("shop", 10), meta)).rejects.toThrow(/start a new rollout/);
  });

  it("turns one capability off without touching the version split", async () => {
    await seed(store, "shop");
    await transition(store, "shop", setCapability("shop", "db_write", { percent: 10 }), meta);
    const off = await transition(store, "shop", setCapability("shop", "db_write", { enabled: false, reason: "gate" }), meta);
    expect(off).toMatchObject({ state: { canaryPercent: 1, phase: "progressing", capabilities: { db_write: { enabled: false, percent: 10 } } } });
    expect(await transition(store, "shop", setCapability("shop", "db_write", { enabled: false }), meta)).toMatchObject({ status: "unchanged" });
    // The audit entry names the capability and its state before and after.
    expect((await store.auditLog("shop")).at(-1)).toMatchObject({ action: "capability", capability: { name: "db_write", enabled: false, percent: 10, fromEnabled: true, fromPercent: 10 } });
  });

  it("accepts an undecided gate for the rollout in progress only: once, audited, cleared by the next start", async () => {
    await seed(store, "shop");
    const accepted = await transition(store, "shop", acceptGate("shop", "loops", { by: "cli:ops", reason: "too rare to decide" }), meta);
    expect(accepted).toMatchObject({ status: "changed", state: { acceptedGates: { loops: { by: "cli:ops", reason: "too rare to decide" } } } });
    expect(await transition(store, "shop", acceptGate("shop", "loops", { by: "cli:ops", reason: "again" }), meta)).toMatchObject({ status: "unchanged" });
    await expect(transition(store, "shop", acceptGate("shop", "__proto__", { by: "cli:ops", reason: "x" }), meta)).rejects.toThrow(/use lower-case letters, digits and '_'/);
    await transition(store, "shop", promote("shop"), meta);
    await expect(transition(store, "shop", acceptGate("shop", "cost", { by: "cli:ops", reason: "x" }), meta)).rejects.toThrow(TransitionRejectedError);
    const restarted = await transition(store, "shop", start({ deployment: "shop", canary: { hash: "00000000000000cc" }, stages: stagesFrom(DEFAULT_STAGE_PERCENTS, 60, 10) }), meta);
    expect(restarted.state?.acceptedGates).toEqual({});
  });

  it("refuses capability names that would reach Object.prototype instead of making a revision per delivery", async () => {
    await seed(store, "shop");
    for (const name of ["__proto__", "constructor", "prototype", ""]) {
      await expect(transition(store, "shop", setCapability("shop", name, { enabled: false }), meta)).rejects.toBeInstanceOf(TransitionRejectedError);
    }
    expect((await store.read("shop"))?.revision).toBe(0);
    // A state holding such a key (written by hand) is refused by the schema, naming the field.
    const state = await store.read("shop");
    const parsed = RolloutStateSchema.safeParse({ ...state, capabilities: JSON.parse('{"constructor": {"percent": 5}}') });
    expect(parsed.success).toBe(false);
  });

  it("queues concurrent transitions of one deployment in a process: 50 at once, no conflict, no retry", async () => {
    await seed(store, "shop");
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => transition(store, "shop", setPercent("shop", (i % 49) + 2), meta)));
    expect(results.every((r) => r.conflicts === 0)).toBe(true);
    expect((await store.read("shop"))?.revision).toBe(results.filter((r) => r.status === "changed").length);
  });

  it("names the missing deployment and the command that creates it", async () => {
    await expect(transition(store, "ghost", rollback("ghost"), meta)).rejects.toBeInstanceOf(UnknownDeploymentError);
    await expect(transition(store, "ghost", rollback("ghost"), meta)).rejects.toThrow(/rollout start --deployment ghost/);
  });

  it("writes the transition into the state and the audit log with who and why", async () => {
    await seed(store, "shop");
    await transition(store, "shop", rollback("shop"), { by: "alertmanager:fp1", reason: "LoopRate", details: { gate: "loop_rate" } });
    const state = await store.read("shop");
    expect(state?.lastTransition).toMatchObject({ by: "alertmanager:fp1", action: "rollback", fromPercent: 1, toPercent: 0, fromPhase: "progressing", toPhase: "rolled_back", details: { gate: "loop_rate" } });
    expect((await store.auditLog("shop")).at(-1)).toMatchObject({ by: "alertmanager:fp1", fromRevision: 0, toRevision: 1 });
  });
});
