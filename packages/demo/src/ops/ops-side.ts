import type { GatesConfig } from "@agent-canary/gate-rules";
import type { GateSource } from "@agent-canary/rollout";
import type { RolloutStore } from "@agent-canary/rollout-state";
import type { GateView } from "../report/format.js";

/**
 * Where the rollout state lives and where gate verdicts come from: the
 * embedded file store and evaluator, or (--stack) Redis, Prometheus,
 * Alertmanager and the receiver.
 */
export interface OpsSide {
  /** The gate config in force: the same one the Prometheus rules come from. */
  config: GatesConfig;
  /** The store the agent's router follows and the controller writes. */
  store: RolloutStore;
  gates: GateSource;
  /** The latest gate values, for the timeline. */
  gateView(): readonly GateView[] | undefined;
  /** The gates behind the last rollback or hold, by gate name. */
  firedGates(): string[];
  /** One line on what runs where. */
  description: string;
  close(): Promise<void>;
}
