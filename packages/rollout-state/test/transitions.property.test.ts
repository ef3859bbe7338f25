import {
  AuditEntrySchema,
  PHASES,
  RolloutStateSchema,
  TransitionRejectedError,
  transition,
  type RolloutState,
  type Change,
  type Stage,
  type VersionRef,
} from "@agent-canary/rollout-state";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "./memory-store.js";
import { DEPLOYMENT, expected, mutationFor, type Action, type Expected } from "./transition-model.js";

/**
 * Random sequences of rollout actions, from no state or from any valid state, run
 * through transition() one after another. Each step is held to the reference model
 * (transition-model.ts) and to the invariants users rely on: a refused or unchanged
 * transition writes nothing, every written state and audit entry validates, and a
 * rolled-back rollout never moves forward except by a new start.
 */

const HASHES = ["00000000000000aa", "00000000000000bb", "00000000000000cc", "00000000000000dd"];
const versionRef: fc.Arbitrary<VersionRef> = fc.record(
  { hash: fc.constantFrom(...HASHES), label: fc.constantFrom("v1", "v2", "candidate") },
  { requiredKeys: ["hash"] },
);
const percent = fc.oneof(fc.constantFrom(0, 1, 5, 25, 50, 100), fc.integer({ min: 0, max: 10_000 }).map((h) => h / 100));
const stage: fc.Arbitrary<Stage> = fc.record({ percent, minDurationSeconds: fc.nat({ max: 3600 }), minSessionsPerArm: fc.nat({ max: 1000 }) });
const stages = fc.array(stage, { maxLength: 5 });
const stageIndex = fc.oneof(fc.constant("current" as const), fc.nat({ max: 5 }));
const instant = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 0, 1) }).map((ms) => new Date(ms).toISOString());
const capability = fc.record({ percent, enabled: fc.boolean(), reason: fc.constantFrom("gate", "operator") }, { requiredKeys: ["percent", "enabled"] });
const capabilityName = fc.constantFrom("db_write", "web_search");

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record(
    { kind: fc.constant("start" as const), baseline: versionRef, canary: versionRef, stages, drainTimeoutSeconds: fc.nat({ max: 3600 }), salt: fc.string({ maxLength: 8 }) },
    { requiredKeys: ["kind", "canary", "stages"] },
  ),
  fc.record({ kind: fc.constant("advance" as const), fromStage: stageIndex }),
  fc.record({ kind: fc.constant("set" as const), percent }),
  fc.record({ kind: fc.constant("pause" as const), as: fc.constantFrom("pause" as const, "hold" as const) }),
  fc.constant({ kind: "resume" as const }),
  fc.constant({ kind: "rollback" as const }),
  fc.record({ kind: fc.constant("promote" as const), fromStage: stageIndex }, { requiredKeys: ["kind"] }),
  fc.record({
    kind: fc.constant("capability" as const),
    name: capabilityName,
    change: fc.record({ enabled: fc.boolean(), percent, reason: fc.constantFrom("gate fired", "operator") }, { requiredKeys: [] }),
  }),
);

/** Any state the schema accepts, not only the ones the transitions reach. */
const anyState: fc.Arbitrary<RolloutState> = fc
  .record({
    revision: fc.nat({ max: 1000 }),
    baseline: versionRef,
    canary: fc.option(versionRef, { nil: null }),
    canaryPercent: percent,
    phase: fc.constantFrom(...PHASES),
    stage: fc.option(fc.nat({ max: 5 }), { nil: null }),
    stages,
    stageStartedAt: fc.option(instant, { nil: null }),
    drainTimeoutSeconds: fc.nat({ max: 3600 }),
    rolledBackAt: fc.option(instant, { nil: null }),
    rolloutStartedAt: fc.option(instant, { nil: null }),
    salt: fc.string({ maxLength: 8 }),
    capabilities: fc.dictionary(capabilityName, capability),
    updatedAt: instant,
  })
  .map((fields) => RolloutStateSchema.parse({ ...fields, deployment: DEPLOYMENT }));

const meta = { by: "property", reason: "random sequence" };
type Step = { before: RolloutState | undefined; action: Action; after: RolloutState | undefined; outcome: "changed" | "unchanged" | "rejected" };

/** Runs the actions in order from `initial`, checking every step against the model; returns the steps. */
async function run(initial: RolloutState | undefined, actions: Action[], gapsSeconds: number[]): Promise<Step[]> {
  const store = new MemoryStore();
  if (initial) store.states.set(DEPLOYMENT, initial);
  let clock = Date.UTC(2027, 0, 1);
  const steps: Step[] = [];
  for (const [i, act] of actions.entries()) {
    clock += (gapsSeconds[i % gapsSeconds.length] ?? 1) * 1000;
    const now = new Date(clock);
    const before = store.states.get(DEPLOYMENT);
    const auditBefore = (await store.auditLog(DEPLOYMENT)).length;
    const want = expected(before, act, now);
    checkPureMutation(before, act, now, want);
    const outcome = await transition(store, DEPLOYMENT, mutationFor(act), meta, { now: () => now }).catch((error: unknown) => (error instanceof Error ? error : new Error(`threw a non-Error: ${String(error)}`)));
    const after = store.states.get(DEPLOYMENT);
    // fast-check prints the whole sequence on a failure; this names the step.
    const where = `step ${i} (${act.kind}) from ${before ? `${before.phase} at ${before.canaryPercent}%` : "no state"}`;
    if (outcome instanceof Error) {
      expect(outcome, where).toBeInstanceOf(TransitionRejectedError);
      expect(want.kind, `${where}: refused (${outcome.message})`).toBe("rejected");
    } else {
      expect(outcome.status, where).toBe(want.kind);
      expect(outcome.conflicts).toBe(0);
    }
    if (want.kind === "changed") {
      checkWrite(before, after, want, now, where);
      expect(await store.auditLog(DEPLOYMENT), where).toHaveLength(auditBefore + 1);
    } else {
      // A refusal or a no-op writes nothing.
      expect(after, where).toBe(before);
      expect(await store.auditLog(DEPLOYMENT), where).toHaveLength(auditBefore);
    }
    steps.push({ before, action: act, after, outcome: want.kind });
  }
  return steps;
}

/**
 * The mutation on its own, as the receiver and controller's callers see it: a pure
 * decision with a reason for every no-op and a message for every refusal, and
 * (but for start, which fills in defaults) exactly the model's fields as its patch.
 */
function checkPureMutation(before: RolloutState | undefined, act: Action, now: Date, want: Expected) {
  let change: Change;
  try {
    change = mutationFor(act)(before, now);
  } catch (error) {
    expect(error).toBeInstanceOf(TransitionRejectedError);
    expect((error as Error).message.length, "a refusal says why").toBeGreaterThan(20);
    expect(want.kind).toBe("rejected");
    return;
  }
  expect(change.kind).toBe(want.kind);
  if (change.kind === "unchanged") expect(change.reason.length, "a no-op says why").toBeGreaterThan(5);
  if (change.kind === "changed" && want.kind === "changed") {
    expect(change.action).toBe(want.action);
    if (act.kind !== "start") expect(change.patch).toEqual(want.fields);
  }
}

/** A written state: the model's fields changed, everything else as it was, stamped and audited. */
function checkWrite(before: RolloutState | undefined, after: RolloutState | undefined, want: Extract<Expected, { kind: "changed" }>, now: Date, where: string) {
  const { action, fields } = want;
  if (!after) throw new Error(`${where}: nothing was written`);
  expect(RolloutStateSchema.parse(after), where).toEqual(after);
  const at = now.toISOString();
  const { lastTransition, revision, updatedAt, ...rest } = after;
  expect(revision, where).toBe(before ? before.revision + 1 : 0);
  expect(updatedAt, where).toBe(at);
  if (before) {
    const { lastTransition: _l, revision: _r, updatedAt: _u, ...kept } = before;
    expect(rest, where).toEqual({ ...kept, ...fields });
  } else {
    expect(rest, where).toMatchObject(fields);
  }
  expect(lastTransition, where).toEqual({
    at,
    by: meta.by,
    action,
    ...(before ? { fromPhase: before.phase, fromPercent: before.canaryPercent } : {}),
    toPhase: after.phase,
    toPercent: after.canaryPercent,
    reason: meta.reason,
    ...(want.capability ? { capability: want.capability } : {}),
  });
}

describe("transitions on random action sequences", () => {
  it("match the reference model from a fresh deployment, and every written state validates", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 7200 }), { minLength: 1, maxLength: 5 }), async (actions, gaps) => {
        await run(undefined, actions, gaps);
      }),
      { numRuns: 300 },
    );
  });

  it("match the reference model from any valid state", async () => {
    await fc.assert(
      fc.asyncProperty(anyState, fc.array(action, { minLength: 1, maxLength: 12 }), async (initial, actions) => {
        await run(initial, actions, [60]);
      }),
      { numRuns: 300 },
    );
  });

  it("never move a rolled-back rollout forward: only a new start raises its percent or changes its phase", async () => {
    const rolledBack = anyState.map((s) => RolloutStateSchema.parse({ ...s, phase: "rolled_back", canaryPercent: 0 }));
    await fc.assert(
      fc.asyncProperty(rolledBack, fc.array(action, { minLength: 1, maxLength: 20 }), async (initial, actions) => {
        const steps = await run(initial, actions, [30]);
        for (const step of steps) {
          if (step.before?.phase !== "rolled_back") break;
          if (step.action.kind === "start" && step.outcome === "changed") break;
          expect(step.after?.phase).toBe("rolled_back");
          expect(step.after?.canaryPercent).toBe(0);
          expect(step.after?.canary).toEqual(step.before.canary);
          expect(step.after?.baseline).toEqual(step.before.baseline);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("never skip a stage: a rollout's stage only moves from one stage to the next", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 30 }), async (actions) => {
        const steps = await run(undefined, actions, [60]);
        for (const { before, after, action: act } of steps) {
          if (!before || !after || act.kind === "start" || act.kind === "promote" || after.stage === null) continue;
          expect([before.stage, (before.stage ?? -1) + 1]).toContain(after.stage);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("record every written transition in the audit log, which validates and chains revisions", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 30 }), async (actions) => {
        const store = new MemoryStore();
        for (const act of actions) await transition(store, DEPLOYMENT, mutationFor(act), meta).catch(() => undefined);
        const log = await store.auditLog(DEPLOYMENT);
        const state = store.states.get(DEPLOYMENT);
        expect(log.length).toBe(state ? state.revision + 1 : 0);
        for (const [i, entry] of log.entries()) {
          expect(AuditEntrySchema.parse(entry)).toEqual(entry);
          expect(entry).toMatchObject({ deployment: DEPLOYMENT, fromRevision: i === 0 ? null : i - 1, toRevision: i });
          if (i > 0) expect({ phase: entry.fromPhase, percent: entry.fromPercent }).toEqual({ phase: log[i - 1]!.toPhase, percent: log[i - 1]!.toPercent });
        }
        if (state) expect({ phase: state.phase, percent: state.canaryPercent }).toEqual({ phase: log.at(-1)!.toPhase, percent: log.at(-1)!.toPercent });
      }),
      { numRuns: 200 },
    );
  });
});
