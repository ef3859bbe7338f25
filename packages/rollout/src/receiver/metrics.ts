import { RECEIVER_METRICS } from "@agent-canary/conventions";
import { PHASES, type RolloutStore } from "@agent-canary/rollout-state";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

export interface ReceiverMetrics {
  registry: Registry;
  transitions: Counter<"deployment" | "action" | "source">;
  rejected: Counter<"reason">;
  notifications: Counter<"source" | "outcome">;
}

/**
 * The receiver's own /metrics. Rollout gauges are read from the store at scrape
 * time, so they show the truth even when the CLI or a controller wrote the state.
 */
export function createReceiverMetrics(store: RolloutStore, onError: (error: unknown) => void): ReceiverMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // One store read per scrape feeds all three gauges.
  let snapshot: Promise<Awaited<ReturnType<RolloutStore["read"]>>[]> | undefined;
  const states = () => {
    snapshot ??= store
      .list()
      .then((names) => Promise.all(names.map((name) => store.read(name).catch((error: unknown) => (onError(error), undefined)))))
      .finally(() => setImmediate(() => (snapshot = undefined)));
    return snapshot;
  };

  new Gauge({
    name: RECEIVER_METRICS.canaryPercent,
    help: "Percent of new sessions routed to the canary, per deployment.",
    labelNames: ["deployment"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const state of await states()) if (state) this.set({ deployment: state.deployment }, state.canaryPercent);
    },
  });
  new Gauge({
    name: RECEIVER_METRICS.phase,
    help: "Rollout phase per deployment: 1 for the current phase, 0 for the others.",
    labelNames: ["deployment", "phase"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const state of await states()) if (state) for (const phase of PHASES) this.set({ deployment: state.deployment, phase }, state.phase === phase ? 1 : 0);
    },
  });
  new Gauge({
    name: RECEIVER_METRICS.stage,
    help: "Index of the current rollout stage per deployment (-1 without a stage).",
    labelNames: ["deployment"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const state of await states()) if (state) this.set({ deployment: state.deployment }, state.stage ?? -1);
    },
  });
  return {
    registry,
    transitions: new Counter({ name: RECEIVER_METRICS.transitions, help: "Rollout state transitions made by this receiver.", labelNames: ["deployment", "action", "source"], registers: [registry] }),
    rejected: new Counter({ name: RECEIVER_METRICS.rejected, help: "Requests refused, by reason.", labelNames: ["reason"], registers: [registry] }),
    notifications: new Counter({ name: RECEIVER_METRICS.notifications, help: "Alerts received, by source and what was done with them.", labelNames: ["source", "outcome"], registers: [registry] }),
  };
}
