import {
  RolloutStateSchema,
  TransitionConflictError,
  TransitionRejectedError,
  UnknownDeploymentError,
  advance,
  pause,
  promote,
  resume,
  rollback,
  setCapability,
  setPercent,
  stagesFrom,
  start,
  type Mutation,
  type RolloutState,
  type RolloutStateInput,
} from "@agent-canary/rollout-state";
import { describe, expect, it } from "vitest";
import { BASELINE, CANARY } from "./fixtures.js";

/**
 * What an operator reads: `agent-canary rollout ...` prints the reason of a no-op
 * ("unchanged: ...") and the message of a refusal, which must say what is wrong
 * and what to do instead. The decisions themselves are covered by the property
 * tests; these pin the words.
 */

const NOW = new Date("2027-01-01T00:00:00.000Z");
const PLAN = stagesFrom([1, 5, 25, 50, 100], 60, 10);
const OTHER = { hash: "00000000000000cc" };

function state(overrides: Partial<RolloutStateInput> = {}): RolloutState {
  return RolloutStateSchema.parse({
    deployment: "shop",
    revision: 3,
    baseline: BASELINE,
    canary: CANARY,
    canaryPercent: 5,
    phase: "progressing",
    stage: 1,
    stages: PLAN,
    updatedAt: NOW.toISOString(),
    ...overrides,
  });
}

function reasonOf(mutation: Mutation, current: RolloutState | undefined): string {
  const change = mutation(current, NOW);
  if (change.kind !== "unchanged") throw new Error(`expected no change, got ${change.action}`);
  return change.reason;
}

function refusalOf(mutation: Mutation, current: RolloutState | undefined): TransitionRejectedError {
  try {
    mutation(current, NOW);
  } catch (error) {
    if (error instanceof TransitionRejectedError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("refusals say what is wrong and what to do", () => {
  it("start", () => {
    expect(refusalOf(start({ deployment: "shop", canary: CANARY, stages: PLAN }), undefined).message).toBe(
      'deployment "shop" has no state yet: pass --baseline (a version hash or version spec file)',
    );
    expect(refusalOf(start({ deployment: "shop", baseline: BASELINE, canary: CANARY, stages: [] }), undefined).message).toBe(
      "the plan has no stages: give at least one stage",
    );
    expect(refusalOf(start({ deployment: "shop", baseline: BASELINE, canary: BASELINE, stages: PLAN }), undefined).message).toBe(
      "canary 00000000000000aa is the baseline already: nothing to roll out",
    );
    expect(refusalOf(start({ deployment: "shop", canary: OTHER, stages: PLAN }), state({ phase: "paused" })).message).toBe(
      "a rollout of 00000000000000bb is paused; roll it back or promote it before starting 00000000000000cc",
    );
    // A state edited by hand may be in flight without a canary; the message still reads.
    expect(refusalOf(start({ deployment: "shop", canary: OTHER, stages: PLAN }), state({ canary: null })).message).toBe(
      "a rollout of ? is progressing; roll it back or promote it before starting 00000000000000cc",
    );
  });

  it("advance, set, resume and promote", () => {
    expect(refusalOf(advance("shop", 4), state({ stage: 4, canaryPercent: 100 })).message).toBe("stage 4 is the plan's last; promote instead of advancing");
    expect(refusalOf(setPercent("shop", 10), state({ canary: null, phase: "promoted" })).message).toBe('deployment "shop" has no canary; start a rollout first');
    expect(refusalOf(resume("shop"), state({ phase: "rolled_back" })).message).toBe(
      "phase is rolled_back; only a paused rollout resumes (start a new rollout instead)",
    );
    expect(refusalOf(promote("shop"), state({ phase: "rolled_back", canaryPercent: 0 })).message).toBe(
      'deployment "shop" was rolled back; start a new rollout before promoting',
    );
  });

  it("a deployment without a state names the command that creates it", () => {
    const error = refusalOf(rollback("ghost"), undefined);
    expect(error).toBeInstanceOf(UnknownDeploymentError);
    expect(error.message).toBe('deployment "ghost" has no rollout state; create it with `agent-canary rollout start --deployment ghost ...`');
  });

  it("errors carry their names, which logs and the CLI print", () => {
    expect(refusalOf(resume("shop"), state({ phase: "promoted", canary: null })).name).toBe("TransitionRejectedError");
    expect(new TransitionConflictError("x").name).toBe("TransitionConflictError");
  });
});

describe("no-ops say why nothing changed", () => {
  it("start of the rollout already running", () => {
    expect(reasonOf(start({ deployment: "shop", canary: CANARY, stages: PLAN }), state())).toBe("a rollout of 00000000000000bb is already progressing");
  });

  it("advance", () => {
    expect(reasonOf(advance("shop", 1), state({ phase: "paused" }))).toBe("phase is paused, not progressing");
    expect(reasonOf(advance("shop", 0), state({ stage: 1 }))).toBe("already at stage 1");
  });

  it("set, pause, resume, rollback", () => {
    expect(reasonOf(setPercent("shop", 5), state())).toBe("canary percent is 5 already");
    expect(reasonOf(pause("shop"), state({ phase: "paused" }))).toBe("already paused");
    expect(reasonOf(pause("shop", "hold"), state({ phase: "promoted", canary: null }))).toBe("phase is promoted; there is no progression to pause");
    expect(reasonOf(resume("shop"), state())).toBe("already progressing");
    expect(reasonOf(rollback("shop"), state({ phase: "promoted", canary: null, canaryPercent: 0 }))).toBe("no canary to roll back (phase promoted)");
  });

  it("a controller's promotion that the rollout has moved past", () => {
    expect(reasonOf(promote("shop", { fromStage: 1 }), state({ phase: "paused" }))).toBe("phase is paused, not progressing");
    expect(reasonOf(promote("shop", { fromStage: 0 }), state({ stage: 1 }))).toBe("at stage 1, not 0");
  });

  it("a capability already as asked", () => {
    const off = state({ capabilities: { db_write: { percent: 10, enabled: false } } });
    expect(reasonOf(setCapability("shop", "db_write", { enabled: false }), off)).toBe("capability db_write is already off at 10%");
    const on = state({ capabilities: { db_write: { percent: 10, enabled: true } } });
    expect(reasonOf(setCapability("shop", "db_write", { percent: 10 }), on)).toBe("capability db_write is already on at 10%");
  });
});

describe("an operator's pause", () => {
  it("is recorded as a pause unless the caller says hold", () => {
    expect(pause("shop")(state(), NOW)).toEqual({ kind: "changed", action: "pause", patch: { phase: "paused" } });
    expect(pause("shop", "hold")(state(), NOW)).toEqual({ kind: "changed", action: "hold", patch: { phase: "paused" } });
  });
});
