import type { RolloutStore } from "@agent-canary/rollout-state";
import { systemClock } from "./clock.js";
import { RolloutController, type ControllerOptions, type TickOutcome } from "./controller.js";
import { stderrLogger } from "./logger.js";

export interface FleetOptions extends Omit<ControllerOptions, "deployment"> {
  store: RolloutStore;
  /** Only these deployments; all deployments in the store when absent or empty. */
  deployments?: readonly string[];
}

/** What one pass over the store did, per deployment it drove. */
export type FleetPass = Map<string, TickOutcome | { kind: "error"; reason: string }>;

/**
 * A long-running controller: every interval it lists the rollouts in the store
 * and evaluates each one that is progressing or paused, with one
 * RolloutController per deployment. It never starts a rollout: `rollout start`
 * does, once. It holds no state of its own beyond what the store has, so a
 * restart (a new pod) picks up where the last one left off, and a rolled-back
 * or promoted rollout is left alone.
 */
export class ControllerFleet {
  private readonly controllers = new Map<string, RolloutController>();

  constructor(private readonly options: FleetOptions) {}

  /** One pass: evaluates every rollout in progress once. One deployment's failure does not stop the others. */
  async pass(): Promise<FleetPass> {
    const { store } = this.options;
    const log = this.options.log ?? stderrLogger;
    const names = this.options.deployments?.length ? [...this.options.deployments] : await store.list();
    const results: FleetPass = new Map();
    for (const deployment of names) {
      try {
        const state = await store.read(deployment);
        if (!state || (state.phase !== "progressing" && state.phase !== "paused")) {
          this.controllers.delete(deployment);
          continue;
        }
        let controller = this.controllers.get(deployment);
        if (!controller) {
          controller = new RolloutController({ ...this.options, deployment });
          this.controllers.set(deployment, controller);
          log.info({ deployment, rolloutId: state.rolloutId, phase: state.phase, percent: state.canaryPercent }, "driving rollout");
        }
        const outcome = await controller.tick();
        results.set(deployment, outcome);
        if (outcome.final) {
          log.info({ deployment, rolloutId: state.rolloutId, outcome: outcome.kind }, `rollout ended: ${outcome.reason}`);
          this.controllers.delete(deployment);
        }
      } catch (error) {
        const reason = (error as Error).message;
        log.error({ deployment, err: reason }, "evaluation failed; retrying at the next interval");
        results.set(deployment, { kind: "error", reason });
      }
    }
    return results;
  }

  /** Passes until `signal` aborts (SIGTERM); the pass in flight finishes first, so no write is cut off. */
  async run(signal: AbortSignal): Promise<void> {
    const clock = this.options.clock ?? systemClock;
    const interval = this.options.intervalMs ?? 30_000;
    while (!signal.aborted) {
      await this.pass();
      try {
        await clock.sleep(interval, signal);
      } catch {
        return;
      }
    }
  }
}
