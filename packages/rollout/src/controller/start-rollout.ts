import { start, transition, type StartInput } from "@agent-canary/rollout-state";
import { systemClock } from "./clock.js";
import { RolloutController, type ControllerOptions, type RolloutResult } from "./controller.js";
import { stderrLogger } from "./logger.js";

export interface RolloutRun {
  /** Settles when the rollout is promoted, rolled back, or stopped. */
  done: Promise<RolloutResult>;
  /** Stops evaluating (the state stays as it is). */
  stop(): void;
}

/**
 * Starts (when `start` is given) and then drives a rollout on evidence: advances
 * a stage when its minimum duration and sessions per arm are met, no gate is
 * failing, and every gate whose pass rule applies at the next percent is passing
 * (or accepted by an operator); pauses on a hold gate; rolls back on a rollback
 * gate; promotes at the end. Alerts and verdicts about another rollout are ignored.
 */
export function startRollout(options: ControllerOptions & { start?: Omit<StartInput, "deployment"> }): RolloutRun {
  const abort = new AbortController();
  const controller = new RolloutController(options);
  const clock = options.clock ?? systemClock;
  const done = (async (): Promise<RolloutResult> => {
    if (options.start) {
      const started = await transition(
        options.store,
        options.deployment,
        start({ ...options.start, deployment: options.deployment }),
        { by: options.by ?? "controller", reason: `start rollout of ${options.start.canary.hash}` },
        { now: () => clock.now() },
      );
      (options.log ?? stderrLogger).info({ deployment: options.deployment, status: started.status, percent: started.state?.canaryPercent }, "rollout started");
    }
    return controller.run(abort.signal);
  })();
  return { done, stop: () => abort.abort() };
}
