import { TYPICAL_AGENT, type GateKind, type SessionModelParams } from "@agent-canary/gate-rules";

/** A regression the gates must catch, as a change of the simulated agent's parameters. */
export interface Regression {
  readonly id: string;
  readonly title: string;
  /** The gate kind whose job it is to catch this regression. */
  readonly kind: GateKind;
  readonly canary: Partial<SessionModelParams>;
}

const base = TYPICAL_AGENT;

export const REGRESSIONS: readonly Regression[] = [
  { id: "cost2x", title: "cost per session 2x", kind: "cost_per_session", canary: { costMedianUsd: base.costMedianUsd * 2 } },
  // The extra loops come out of the "failed" share: completion stays 92%, so only the loop gate has a reason to fire.
  { id: "loops3x", title: "loop rate 0.5% -> 1.5%", kind: "loop_rate", canary: { loopRate: 0.015 } },
  { id: "completion78", title: "completion 92% -> 78%", kind: "task_completion_rate", canary: { completionRate: 0.78 } },
  // Scaling the lognormal's median scales every quantile, so p95 turns doubles too.
  { id: "turns2x", title: "p95 turns 2x", kind: "p95_turns", canary: { turnsMedian: base.turnsMedian * 2 } },
];

/** Total sessions per minute, both arms: 144,000 sessions a day, a busy support agent. */
export const SESSIONS_PER_MINUTE = 100;
export const CANARY_PERCENT = 5;
