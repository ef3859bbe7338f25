import type { RolloutState, RolloutStore } from "@agent-canary/rollout-state";
import { setPercent, start, stagesFrom, transition, DEFAULT_STAGE_PERCENTS } from "@agent-canary/rollout-state";

export const BASELINE = { hash: "00000000000000aa", label: "v1" };
export const CANARY = { hash: "00000000000000bb", label: "v2" };

/** Creates the deployment's first state through the same path the CLI uses. */
export async function seed(store: RolloutStore, deployment: string): Promise<RolloutState> {
  const result = await transition(
    store,
    deployment,
    start({ deployment, baseline: BASELINE, canary: CANARY, stages: stagesFrom(DEFAULT_STAGE_PERCENTS, 60, 10) }),
    { by: "test", reason: "seed" },
  );
  if (result.status !== "changed") throw new Error(`seed did not change the state: ${result.reason}`);
  return result.state;
}

/** Raises the percent by one (mod 100), so every call is a real transition; returns the new revision. */
export async function bumpPercent(store: RolloutStore, deployment: string, by: string): Promise<number> {
  const result = await transition(store, deployment, (state, now) => {
    const next = ((state?.canaryPercent ?? 0) + 1) % 100;
    return setPercent(deployment, next)(state, now);
  }, { by, reason: "bump" });
  if (result.status !== "changed") throw new Error(`bump did not change the state: ${result.reason}`);
  return result.state.revision;
}
