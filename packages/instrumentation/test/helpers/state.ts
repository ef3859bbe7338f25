import { versionHash } from "@agent-canary/conventions";
import { type RolloutState, type RolloutStore, rollback, setPercent, start, transition } from "@agent-canary/rollout-state";
import { BASELINE, CANARY } from "./versions.js";

export const DEPLOYMENT = "support-agent";
const meta = { by: "test", reason: "test setup" };

/** Starts a real rollout of CANARY over BASELINE at `percent` (then `later` stages) through the store's compare-and-set. */
export async function startRollout(
  store: RolloutStore,
  percent: number,
  options: { drainTimeoutSeconds?: number; salt?: string; later?: number[] } = {},
): Promise<RolloutState> {
  const { later = [], ...rest } = options;
  const result = await transition(
    store,
    DEPLOYMENT,
    start({
      deployment: DEPLOYMENT,
      baseline: { hash: versionHash(BASELINE) },
      canary: { hash: versionHash(CANARY) },
      stages: [percent, ...later].map((p) => ({ percent: p, minDurationSeconds: 0, minSessionsPerArm: 0 })),
      ...rest,
    }),
    meta,
  );
  if (!result.state) throw new Error("the rollout did not start");
  return result.state;
}

/** Writes the current state with `patch` applied (fields no transition sets, e.g. tenant overrides or a skewed clock). */
export async function patchState(store: RolloutStore, patch: Partial<RolloutState>): Promise<RolloutState> {
  const current = (await store.read(DEPLOYMENT))!;
  const next = { ...current, ...patch, revision: current.revision + 1 };
  const result = await store.compareAndSet(DEPLOYMENT, current.revision, next, {
    deployment: DEPLOYMENT,
    fromRevision: current.revision,
    toRevision: next.revision,
    at: new Date().toISOString(),
    by: "test",
    action: "set",
    toPhase: next.phase,
    toPercent: next.canaryPercent,
    reason: "test patch",
  });
  if (!result.ok) throw new Error("test patch lost a compare-and-set race");
  return next;
}

export async function setCanaryPercent(store: RolloutStore, percent: number) {
  await transition(store, DEPLOYMENT, setPercent(DEPLOYMENT, percent), meta);
}

export async function rollBack(store: RolloutStore) {
  await transition(store, DEPLOYMENT, rollback(DEPLOYMENT), meta);
}
