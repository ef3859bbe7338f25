import { versionHash } from "@agent-canary/conventions";
import { type RolloutStore, rollback, setPercent, start, transition } from "@agent-canary/rollout-state";
import { BASELINE, CANARY } from "./versions.js";

export const DEPLOYMENT = "support-agent";
const meta = { by: "test", reason: "test setup" };

/** Starts a real rollout of CANARY over BASELINE at `percent` through the store's compare-and-set. */
export async function startRollout(store: RolloutStore, percent: number, options: { drainTimeoutSeconds?: number; salt?: string } = {}) {
  await transition(
    store,
    DEPLOYMENT,
    start({
      deployment: DEPLOYMENT,
      baseline: { hash: versionHash(BASELINE) },
      canary: { hash: versionHash(CANARY) },
      stages: [{ percent, minDurationSeconds: 0, minSessionsPerArm: 0 }],
      ...options,
    }),
    meta,
  );
}

export async function setCanaryPercent(store: RolloutStore, percent: number) {
  await transition(store, DEPLOYMENT, setPercent(DEPLOYMENT, percent), meta);
}

export async function rollBack(store: RolloutStore) {
  await transition(store, DEPLOYMENT, rollback(DEPLOYMENT), meta);
}
