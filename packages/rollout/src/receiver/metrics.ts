import { RECEIVER_METRICS } from "@agent-canary/conventions";
import { PHASES, type RolloutState } from "@agent-canary/rollout-state";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { DeploymentTracker } from "./deployment-tracker.js";

export interface ReceiverMetrics {
  registry: Registry;
  transitions: Counter<"deployment" | "action" | "source">;
  rejected: Counter<"reason">;
  notifications: Counter<"source" | "outcome">;
}

/** A gauge whose series are rebuilt from the followed states at every scrape. */
function stateGauge<L extends string>(registry: Registry, tracker: DeploymentTracker, name: string, help: string, labelNames: L[], fill: (gauge: Gauge<L>, state: RolloutState) => void): void {
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      await tracker.ready;
      this.reset();
      for (const state of tracker.states()) fill(this, state);
    },
  });
}

/**
 * The receiver's own /metrics. The rollout series come from the states the receiver follows
 * through the store's watch (see DeploymentTracker), so they are right whoever wrote the
 * state (CLI, controller) and a scrape never waits on a slow store.
 */
export function createReceiverMetrics(tracker: DeploymentTracker): ReceiverMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  stateGauge(registry, tracker, RECEIVER_METRICS.rolloutInfo, "1 per deployment: which rollout runs now and its versions (join gates and your own alert rules on rollout_id).", ["deployment", "rollout_id", "baseline_hash", "canary_hash", "phase"], (g, s) =>
    g.set({ deployment: s.deployment, rollout_id: s.rolloutId ?? "", baseline_hash: s.baseline.hash, canary_hash: s.canary?.hash ?? "", phase: s.phase }, 1),
  );
  stateGauge(registry, tracker, RECEIVER_METRICS.canaryPercent, "Percent of new sessions routed to the canary, per deployment.", ["deployment"], (g, s) => g.set({ deployment: s.deployment }, s.canaryPercent));
  stateGauge(registry, tracker, RECEIVER_METRICS.phase, "Rollout phase per deployment: 1 for the current phase, 0 for the others.", ["deployment", "phase"], (g, s) => {
    for (const phase of PHASES) g.set({ deployment: s.deployment, phase }, s.phase === phase ? 1 : 0);
  });
  stateGauge(registry, tracker, RECEIVER_METRICS.stage, "Index of the current rollout stage per deployment (-1 without a stage).", ["deployment"], (g, s) => g.set({ deployment: s.deployment }, s.stage ?? -1));
  new Gauge({
    name: "agent_canary_receiver_state_readable",
    help: "1 when the receiver can read a deployment's rollout state, 0 when it is missing, invalid or the store is unavailable (writes for it fail; routers fail closed).",
    labelNames: ["deployment"],
    registers: [registry],
    async collect() {
      await tracker.ready;
      this.reset();
      for (const state of tracker.states()) this.set({ deployment: state.deployment }, 1);
      for (const { deployment } of tracker.problems()) this.set({ deployment }, 0);
    },
  });
  return {
    registry,
    transitions: new Counter({ name: RECEIVER_METRICS.transitions, help: "Rollout state transitions made by this receiver.", labelNames: ["deployment", "action", "source"], registers: [registry] }),
    rejected: new Counter({ name: RECEIVER_METRICS.rejected, help: "Requests refused, by reason.", labelNames: ["reason"], registers: [registry] }),
    notifications: new Counter({ name: RECEIVER_METRICS.notifications, help: "Alerts received, by source and what was done with them.", labelNames: ["source", "outcome"], registers: [registry] }),
  };
}
