import {
  advance,
  pause,
  promote,
  resume,
  rollback,
  rolloutIdFor,
  setCapability,
  setPercent,
  start,
  type Mutation,
  type RolloutState,
  type Stage,
  type Transition,
  type VersionRef,
} from "@agent-canary/rollout-state";

/**
 * The rollout transitions as data (so a failing property prints a readable
 * sequence) and, for each, what the architecture says must happen: the reference
 * model the property tests hold the real transitions to.
 */
export type Action =
  | { kind: "start"; baseline?: VersionRef; canary: VersionRef; stages: Stage[]; drainTimeoutSeconds?: number; salt?: string }
  | { kind: "advance"; fromStage: number | "current" }
  | { kind: "set"; percent: number }
  | { kind: "pause"; as: "pause" | "hold" }
  | { kind: "resume" }
  | { kind: "rollback" }
  | { kind: "promote"; fromStage?: number | "current" }
  | { kind: "capability"; name: string; change: { enabled?: boolean; percent?: number; reason?: string } };

export const DEPLOYMENT = "shop";

/** The stage an action names: "current" is what a controller passes after reading the state. */
const stageOf = (fromStage: number | "current", state: RolloutState | undefined) => (fromStage === "current" ? (state?.stage ?? 0) : fromStage);

/** The real transition for an action. */
export function mutationFor(action: Action): Mutation {
  switch (action.kind) {
    case "start": {
      const { kind: _kind, ...input } = action;
      return start({ deployment: DEPLOYMENT, ...input });
    }
    case "advance":
      return (state, now) => advance(DEPLOYMENT, stageOf(action.fromStage, state))(state, now);
    case "set":
      return setPercent(DEPLOYMENT, action.percent);
    case "pause":
      return pause(DEPLOYMENT, action.as);
    case "resume":
      return resume(DEPLOYMENT);
    case "rollback":
      return rollback(DEPLOYMENT);
    case "promote": {
      const { fromStage } = action;
      return (state, now) => promote(DEPLOYMENT, fromStage === undefined ? {} : { fromStage: stageOf(fromStage, state) })(state, now);
    }
    case "capability":
      return setCapability(DEPLOYMENT, action.name, action.change);
  }
}

/** What the model expects: a refusal, no change, or the fields that change (everything else stays). */
export type Expected =
  | { kind: "rejected" }
  | { kind: "unchanged" }
  | { kind: "changed"; action: Transition["action"]; fields: Partial<RolloutState> };

const rejected: Expected = { kind: "rejected" };
const unchanged: Expected = { kind: "unchanged" };
const changed = (action: Transition["action"], fields: Partial<RolloutState>): Expected => ({ kind: "changed", action, fields });
const inFlight = (s: RolloutState) => s.phase === "progressing" || s.phase === "paused";

export function expected(before: RolloutState | undefined, action: Action, now: Date): Expected {
  const at = now.toISOString();
  if (action.kind === "start") return expectedStart(before, action, at, now);
  // Every other transition needs a state to act on.
  if (!before) return rejected;
  switch (action.kind) {
    case "advance": {
      const from = stageOf(action.fromStage, before);
      if (before.phase !== "progressing" || before.stage !== from) return unchanged;
      const next = before.stages[from + 1];
      return next ? changed("advance", { stage: from + 1, canaryPercent: next.percent, stageStartedAt: at }) : rejected;
    }
    case "set":
      if (!before.canary || (before.phase === "rolled_back" && action.percent > 0)) return rejected;
      return before.canaryPercent === action.percent ? unchanged : changed("set", { canaryPercent: action.percent });
    case "pause":
      return before.phase === "progressing" ? changed(action.as, { phase: "paused" }) : unchanged;
    case "resume":
      if (before.phase === "progressing") return unchanged;
      return before.phase === "paused" ? changed("resume", { phase: "progressing" }) : rejected;
    case "rollback":
      if ((before.phase === "rolled_back" && before.canaryPercent === 0) || !before.canary) return unchanged;
      return changed("rollback", { canaryPercent: 0, phase: "rolled_back", rolledBackAt: at });
    case "promote": {
      // A controller's promotion is stale if the rollout moved on since it read the state.
      if (action.fromStage !== undefined && (before.phase !== "progressing" || before.stage !== stageOf(action.fromStage, before))) return unchanged;
      if (!before.canary || before.phase === "rolled_back") return rejected;
      return changed("promote", { baseline: before.canary, canary: null, canaryPercent: 0, phase: "promoted", stage: null, stageStartedAt: null });
    }
    case "capability":
      return expectedCapability(before, action);
  }
}

function expectedStart(before: RolloutState | undefined, action: Extract<Action, { kind: "start" }>, at: string, now: Date): Expected {
  const baseline = action.baseline ?? before?.baseline;
  const first = action.stages[0];
  if (!baseline || !first || baseline.hash === action.canary.hash) return rejected;
  if (before && inFlight(before)) return before.canary?.hash === action.canary.hash ? unchanged : rejected;
  return changed("start", {
    baseline,
    canary: action.canary,
    canaryPercent: first.percent,
    phase: "progressing",
    stage: 0,
    stages: action.stages,
    stageStartedAt: at,
    rolloutStartedAt: at,
    rolloutId: rolloutIdFor(now, action.canary.hash),
    rolledBackAt: null,
    drainTimeoutSeconds: action.drainTimeoutSeconds ?? before?.drainTimeoutSeconds ?? 600,
    salt: action.salt ?? before?.salt ?? "",
  });
}

function expectedCapability(before: RolloutState, action: Extract<Action, { kind: "capability" }>): Expected {
  const old = before.capabilities[action.name];
  const reason = action.change.reason ?? old?.reason;
  const next = {
    percent: action.change.percent ?? old?.percent ?? 0,
    enabled: action.change.enabled ?? old?.enabled ?? true,
    ...(reason === undefined ? {} : { reason }),
  };
  if (old && old.percent === next.percent && old.enabled === next.enabled) return unchanged;
  return changed("capability", { capabilities: { ...before.capabilities, [action.name]: next } });
}
