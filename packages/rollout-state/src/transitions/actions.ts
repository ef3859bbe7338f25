import { CapabilityNameSchema, GateNameSchema, rolloutIdFor, type RolloutState, type Stage, type VersionRef } from "../schema.js";
import { TransitionRejectedError, UnknownDeploymentError, type Change, type Mutation } from "./change.js";

/** The default plan: 1 → 5 → 25 → 50 → 100 percent. */
export const DEFAULT_STAGE_PERCENTS = [1, 5, 25, 50, 100] as const;

function existing(current: RolloutState | undefined, deployment: string): RolloutState {
  if (!current) throw new UnknownDeploymentError(deployment);
  return current;
}

const unchanged = (reason: string): Change => ({ kind: "unchanged", reason });

export interface StartInput {
  deployment: string;
  /** Defaults to the current baseline when the deployment already has a state. */
  baseline?: VersionRef;
  canary: VersionRef;
  stages: Stage[];
  drainTimeoutSeconds?: number;
  salt?: string;
  /**
   * What to do when this very canary was rolled back: "restart" it (the default for library
   * callers), or "refuse" (the CLI unless --restart), so a retried Job or a re-run script never
   * silently puts a canary that was rolled back in front of users again.
   */
  onRolledBack?: "refuse" | "restart";
}

/** Starts (or restarts after a rollback or promotion) a rollout of `canary` at the plan's first stage. */
export function start(input: StartInput): Mutation {
  return (current, now) => {
    const baseline = input.baseline ?? current?.baseline;
    if (!baseline) throw new TransitionRejectedError(`deployment "${input.deployment}" has no state yet: pass --baseline (a version hash or version spec file)`);
    const first = input.stages[0];
    if (!first) throw new TransitionRejectedError("the plan has no stages: give at least one stage");
    if (baseline.hash === input.canary.hash) throw new TransitionRejectedError(`canary ${input.canary.hash} is the baseline already: nothing to roll out`);
    if (input.onRolledBack === "refuse" && current?.phase === "rolled_back" && current.canary?.hash === input.canary.hash) {
      throw new TransitionRejectedError(
        `canary ${input.canary.hash} of "${input.deployment}" was rolled back at ${current.rolledBackAt ?? "?"} (${current.lastTransition?.reason ?? "no reason recorded"}); not restarting it: pass --restart to roll the same canary out again`,
      );
    }
    if (current && (current.phase === "progressing" || current.phase === "paused")) {
      if (current.canary?.hash === input.canary.hash) return unchanged(`a rollout of ${input.canary.hash} is already ${current.phase}`);
      throw new TransitionRejectedError(
        `a rollout of ${current.canary?.hash ?? "?"} is ${current.phase}; roll it back or promote it before starting ${input.canary.hash}`,
      );
    }
    return {
      kind: "changed",
      action: "start",
      patch: {
        deployment: input.deployment,
        baseline,
        canary: input.canary,
        canaryPercent: first.percent,
        phase: "progressing",
        stage: 0,
        stages: input.stages,
        stageStartedAt: now.toISOString(),
        // The same instant transition() stamps on the `start` audit entry, so the two agree.
        rolloutStartedAt: now.toISOString(),
        rolloutId: rolloutIdFor(now, input.canary.hash),
        rolledBackAt: null,
        // An acceptance speaks for one rollout only.
        acceptedGates: {},
        ...(input.drainTimeoutSeconds === undefined ? {} : { drainTimeoutSeconds: input.drainTimeoutSeconds }),
        ...(input.salt === undefined ? {} : { salt: input.salt }),
      },
    };
  };
}

/**
 * Moves to the next stage. `fromStage` makes it idempotent: if another controller
 * already moved on, this is a no-op instead of skipping a stage.
 */
export function advance(deployment: string, fromStage: number): Mutation {
  return (current, now) => {
    const state = existing(current, deployment);
    if (state.phase !== "progressing") return unchanged(`phase is ${state.phase}, not progressing`);
    if (state.stage !== fromStage) return unchanged(`already at stage ${String(state.stage)}`);
    const nextIndex = fromStage + 1;
    const next = state.stages[nextIndex];
    if (!next) throw new TransitionRejectedError(`stage ${fromStage} is the plan's last; promote instead of advancing`);
    return { kind: "changed", action: "advance", patch: { stage: nextIndex, canaryPercent: next.percent, stageStartedAt: now.toISOString() } };
  };
}

/** Sets the canary percent by hand; the phase stays as it is. */
export function setPercent(deployment: string, percent: number): Mutation {
  return (current) => {
    const state = existing(current, deployment);
    if (!state.canary) throw new TransitionRejectedError(`deployment "${deployment}" has no canary; start a rollout first`);
    if (state.phase === "rolled_back" && percent > 0) {
      throw new TransitionRejectedError(`deployment "${deployment}" was rolled back; start a new rollout instead of raising the percent`);
    }
    if (state.canaryPercent === percent) return unchanged(`canary percent is ${percent} already`);
    return { kind: "changed", action: "set", patch: { canaryPercent: percent } };
  };
}

/** Stops progression where it is (an operator's pause, or a hold gate). Traffic stays as it is. */
export function pause(deployment: string, action: "pause" | "hold" = "pause"): Mutation {
  return (current) => {
    const state = existing(current, deployment);
    if (state.phase === "paused") return unchanged("already paused");
    if (state.phase !== "progressing") return unchanged(`phase is ${state.phase}; there is no progression to pause`);
    return { kind: "changed", action, patch: { phase: "paused" } };
  };
}

export function resume(deployment: string): Mutation {
  return (current) => {
    const state = existing(current, deployment);
    if (state.phase === "progressing") return unchanged("already progressing");
    if (state.phase !== "paused") throw new TransitionRejectedError(`phase is ${state.phase}; only a paused rollout resumes (start a new rollout instead)`);
    return { kind: "changed", action: "resume", patch: { phase: "progressing" } };
  };
}

/**
 * Sends new sessions to baseline at once. The canary stays recorded so routers can
 * let pinned canary sessions drain. A second rollback is a no-op.
 */
export function rollback(deployment: string): Mutation {
  return (current, now) => {
    const state = existing(current, deployment);
    if (state.phase === "rolled_back" && state.canaryPercent === 0) return unchanged("already rolled back");
    if (!state.canary) return unchanged(`no canary to roll back (phase ${state.phase})`);
    return { kind: "changed", action: "rollback", patch: { canaryPercent: 0, phase: "rolled_back", rolledBackAt: now.toISOString() } };
  };
}

/**
 * The canary becomes the baseline; the rollout ends. A controller passes `fromStage`:
 * its decision rests on a state read before the gates were queried, and a hold, pause
 * or advance made meanwhile must win over that stale decision, so the promotion is
 * then a no-op. An operator's promotion (no `fromStage`) applies whatever the phase.
 */
export function promote(deployment: string, options: { fromStage?: number } = {}): Mutation {
  return (current) => {
    const state = existing(current, deployment);
    if (options.fromStage !== undefined) {
      if (state.phase !== "progressing") return unchanged(`phase is ${state.phase}, not progressing`);
      if (state.stage !== options.fromStage) return unchanged(`at stage ${String(state.stage)}, not ${options.fromStage}`);
    }
    if (!state.canary) throw new TransitionRejectedError(`deployment "${deployment}" has no canary to promote`);
    if (state.phase === "rolled_back") throw new TransitionRejectedError(`deployment "${deployment}" was rolled back; start a new rollout before promoting`);
    return {
      kind: "changed",
      action: "promote",
      patch: { baseline: state.canary, canary: null, canaryPercent: 0, phase: "promoted", stage: null, stageStartedAt: null },
    };
  };
}

/** Turns one capability on or off (or sets its percent) without touching the version split. */
export function setCapability(deployment: string, name: string, change: { enabled?: boolean; percent?: number; reason?: string }): Mutation {
  const checked = CapabilityNameSchema.safeParse(name);
  return (current) => {
    if (!checked.success) throw new TransitionRejectedError(`capability "${name}": ${checked.error.issues[0]?.message ?? "invalid name"}`);
    const state = existing(current, deployment);
    const before = Object.hasOwn(state.capabilities, name) ? state.capabilities[name] : undefined;
    const after = {
      percent: change.percent ?? before?.percent ?? 0,
      enabled: change.enabled ?? before?.enabled ?? true,
      ...(change.reason === undefined ? (before?.reason === undefined ? {} : { reason: before.reason }) : { reason: change.reason }),
    };
    if (before && before.enabled === after.enabled && before.percent === after.percent) {
      return unchanged(`capability ${name} is already ${after.enabled ? "on" : "off"} at ${after.percent}%`);
    }
    return {
      kind: "changed",
      action: "capability",
      patch: { capabilities: { ...state.capabilities, [name]: after } },
      capability: { name, enabled: after.enabled, percent: after.percent, ...(before ? { fromEnabled: before.enabled, fromPercent: before.percent } : {}) },
    };
  };
}

/**
 * Accepts an undecided gate for the rollout in progress: the controller then advances
 * over it as if it passed (the operator takes the risk the evidence could not rule out).
 * Refused when no rollout is in progress; accepting twice changes nothing.
 */
export function acceptGate(deployment: string, gate: string, acceptance: { by: string; reason: string }): Mutation {
  const checked = GateNameSchema.safeParse(gate);
  return (current, now) => {
    if (!checked.success) throw new TransitionRejectedError(`gate "${gate}": ${checked.error.issues[0]?.message ?? "invalid name"}`);
    const state = existing(current, deployment);
    if (state.phase !== "progressing" && state.phase !== "paused") {
      throw new TransitionRejectedError(`deployment "${deployment}" has no rollout in progress (phase ${state.phase}); an acceptance holds for one rollout, start it first`);
    }
    if (Object.hasOwn(state.acceptedGates, gate)) return unchanged(`gate ${gate} is already accepted for rollout ${state.rolloutId ?? "?"}`);
    return {
      kind: "changed",
      action: "accept",
      patch: { acceptedGates: { ...state.acceptedGates, [gate]: { by: acceptance.by, reason: acceptance.reason, at: now.toISOString() } } },
    };
  };
}

/** Builds a plan from percents and per-stage minimums. */
export function stagesFrom(percents: readonly number[], minDurationSeconds: number, minSessionsPerArm: number): Stage[] {
  return percents.map((percent) => ({ percent, minDurationSeconds, minSessionsPerArm }));
}
