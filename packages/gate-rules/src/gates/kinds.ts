import type { GateQuantity, SessionOutcome } from "@agent-canary/conventions";

/**
 * What each gate kind measures. Two families:
 * - "rate": a share of sessions (events / sessions);
 * - "mean": a per-session mean of a gate quantity (the `quantity` label of
 *   agent_canary_gate_{observations,value,value_squared}_total), on its own
 *   scale or, for `cost_geometric_mean`, on the log scale.
 * Which test a gate runs also depends on its comparison (see `testOf`).
 */
export const GATE_KINDS = [
  "cost_per_session",
  "cost_geometric_mean",
  "loop_rate",
  "task_completion_rate",
  "turns_per_session",
  "error_rate",
  "session_duration",
  "judge_quality",
  "safety_violations",
] as const;
export type GateKind = (typeof GATE_KINDS)[number];

/**
 * Kinds that were renamed because they named a p95 but tested a mean (issue 14).
 * A config that still uses one gets an error naming the new kind.
 */
export const RENAMED_KINDS: Readonly<Record<string, GateKind>> = {
  p95_turns: "turns_per_session",
  p95_latency: "session_duration",
};

/** Which way is worse for the canary. */
export type HarmDirection = "higher" | "lower";

interface KindBase {
  readonly title: string;
  readonly harm: HarmDirection;
  readonly unit: string;
}

export interface RateKind extends KindBase {
  readonly family: "rate";
  /** Where the numerator comes from: a counter of flagged sessions, or session outcomes. */
  readonly events: { readonly metric: "loopingSessions" | "unsafeSessions" } | { readonly outcomes: readonly SessionOutcome[] };
}

export interface MeanKind extends KindBase {
  readonly family: "mean";
  readonly quantity: GateQuantity;
  /**
   * "log": the gate compares means of the log of the value (a ratio of geometric
   * means); its threshold is a ratio r, tested as a difference of ln r.
   */
  readonly scale: "linear" | "log";
}

export type KindSpec = RateKind | MeanKind;

export const KIND_SPECS: Record<GateKind, KindSpec> = {
  cost_per_session: { family: "mean", title: "Mean cost per session", harm: "higher", unit: "USD", quantity: "cost", scale: "linear" },
  cost_geometric_mean: { family: "mean", title: "Typical cost per session (geometric mean)", harm: "higher", unit: "USD", quantity: "log_cost", scale: "log" },
  loop_rate: { family: "rate", title: "Loop rate", harm: "higher", unit: "share of sessions", events: { metric: "loopingSessions" } },
  task_completion_rate: { family: "rate", title: "Task completion rate", harm: "lower", unit: "share of sessions", events: { outcomes: ["completed"] } },
  turns_per_session: { family: "mean", title: "Turns per session", harm: "higher", unit: "turns", quantity: "turns", scale: "linear" },
  error_rate: { family: "rate", title: "Error rate", harm: "higher", unit: "share of sessions", events: { outcomes: ["error"] } },
  session_duration: { family: "mean", title: "Session duration", harm: "higher", unit: "seconds", quantity: "duration", scale: "linear" },
  judge_quality: { family: "mean", title: "Judge quality score", harm: "lower", unit: "score", quantity: "quality", scale: "linear" },
  safety_violations: { family: "rate", title: "Unsafe sessions", harm: "higher", unit: "share of sessions", events: { metric: "unsafeSessions" } },
};

/**
 * The three tests a gate can run (STATISTICS.md):
 * - "mean": stratified difference of means, z with pooled within-stratum variances;
 * - "score": stratified two-proportion score z, variance at the tolerance;
 * - "count": the canary's share of the events in each stratum against its share
 *   under the tolerance (a conditional, Cochran–Mantel–Haenszel-type count test)
 *   with a gamma–Poisson mixture boundary, valid for counts of a few events.
 */
export type GateTest = "mean" | "score" | "count";

/**
 * The count test needs a null of the form "canary rate ≤ r × baseline rate":
 * ratio (or zero-delta) gates where higher is worse. It reads only the sessions
 * with an event, which loses nothing when events are rare and much when they are
 * common, so lower-is-worse rates (completion, 92% events) keep the score test.
 */
export function testOf(kind: GateKind, comparison: "ratio" | "delta", threshold: number, method: "always_valid" | "threshold_only"): GateTest {
  const spec = KIND_SPECS[kind];
  if (spec.family === "mean") return "mean";
  if (method === "threshold_only") return "score";
  const nullIsRatio = comparison === "ratio" || threshold === 0;
  return spec.harm === "higher" && nullIsRatio ? "count" : "score";
}

/** The gate quantity a mean kind reads. */
export function quantityOf(kind: GateKind): GateQuantity | undefined {
  const spec = KIND_SPECS[kind];
  return spec.family === "mean" ? spec.quantity : undefined;
}
