import { versionHash } from "@agent-canary/conventions";
import type { BehaviourOptions } from "@agent-canary/example-support-agent";
import { start, transition, type RolloutState, type RolloutStore } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { AgentFleet, E2E_BASELINE, E2E_CANARY } from "./fleet.js";
import { DEPLOYMENT } from "./gates-config.js";
import { startOpsStack, type OpsStack } from "./stack.js";

/** The canary's share of new sessions while the tests run: half, so both arms gather samples quickly. */
export const CANARY_PERCENT = 50;
/** A hang guard for waits on the whole alert path, not a speed assertion. */
export const ALERT_PATH_GUARD_MS = 150_000;

export interface Run {
  stack: OpsStack;
  fleet: AgentFleet;
  /** When the first canary traffic could flow (epoch ms): the regression's onset. */
  onsetAt: number;
  stop(): Promise<void>;
}

/** Writes a rollout of the e2e canary at CANARY_PERCENT, as `agent-canary rollout start` would. */
async function startCanary(store: RolloutStore): Promise<void> {
  const result = await transition(
    store,
    DEPLOYMENT,
    start({
      deployment: DEPLOYMENT,
      baseline: { hash: versionHash(E2E_BASELINE) },
      canary: { hash: versionHash(E2E_CANARY) },
      stages: [
        { percent: CANARY_PERCENT, minDurationSeconds: 3600, minSessionsPerArm: 0 },
        { percent: 100, minDurationSeconds: 0, minSessionsPerArm: 0 },
      ],
      drainTimeoutSeconds: 600,
    }),
    { by: "cli:e2e", reason: "e2e: start canary" },
  );
  if (result.status !== "changed") throw new Error(`could not start the canary: ${result.reason}`);
}

/** The ops stack, the agent fleet whose canary behaves as given, and traffic flowing. */
export async function startRun(canaryBehaviour: BehaviourOptions, seed: number): Promise<Run> {
  let fleet: AgentFleet | undefined;
  const stack = await startOpsStack(async (redisUrl) => {
    fleet = await AgentFleet.start({ redisUrl, canaryBehaviour, seed });
    return [fleet.target];
  }).catch(async (error: unknown) => {
    await fleet?.stop();
    throw error;
  });
  if (!fleet) throw new Error("the agent fleet did not start");
  const agents = fleet;
  await startCanary(stack.store);
  // The agent's router follows Redis; wait until it routes by the new state before sending traffic.
  await waitFor(() => agents.handle.runtime.rolloutState?.canaryPercent === CANARY_PERCENT, { what: "the agent to see the canary at 50%" });
  const onsetAt = Date.now();
  agents.run({ concurrency: 12, seed });
  return {
    stack,
    fleet: agents,
    onsetAt,
    stop: async () => {
      await agents.stop();
      await stack.stop();
    },
  };
}

/** Waits for the receiver to have set the canary to 0% in Redis. */
export function waitForRollback(store: RolloutStore): Promise<RolloutState> {
  return waitFor(
    async () => {
      const state = await store.read(DEPLOYMENT);
      return state?.phase === "rolled_back" && state.canaryPercent === 0 ? state : undefined;
    },
    { timeoutMs: ALERT_PATH_GUARD_MS, intervalMs: 100, what: "the receiver to roll the canary back to 0%" },
  );
}
