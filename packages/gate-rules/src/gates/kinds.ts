import type { MetricKey, SessionOutcome } from "@agent-canary/conventions";

/**
 * What each gate kind measures and how. Two statistical families:
 * - "rate": a share of sessions (events / sessions), tested with a two-proportion z statistic;
 * - "mean": a per-session mean, tested with a Welch z statistic whose variance comes
 *   from the histogram's _sum and _count and the matching *_squared counter.
 */
export const GATE_KINDS = [
  "cost_per_session",
  "loop_rate",
  "task_completion_rate",
  "p95_turns",
  "error_rate",
  "p95_latency",
  "judge_quality",
  "safety_violations",
] as const;
export type GateKind = (typeof GATE_KINDS)[number];

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
  readonly events: { readonly metric: MetricKey } | { readonly outcomes: readonly SessionOutcome[] };
}

export interface MeanKind extends KindBase {
  readonly family: "mean";
  readonly histogram: MetricKey;
  readonly squares: MetricKey;
  /** p95 kinds also report the histogram_quantile ratio next to the mean test. */
  readonly reportsP95: boolean;
}

export type KindSpec = RateKind | MeanKind;

export const KIND_SPECS: Record<GateKind, KindSpec> = {
  cost_per_session: {
    family: "mean",
    title: "Cost per session",
    harm: "higher",
    unit: "USD",
    histogram: "sessionCost",
    squares: "sessionCostSquared",
    reportsP95: false,
  },
  loop_rate: { family: "rate", title: "Loop rate", harm: "higher", unit: "share of sessions", events: { metric: "loopingSessions" } },
  task_completion_rate: {
    family: "rate",
    title: "Task completion rate",
    harm: "lower",
    unit: "share of sessions",
    events: { outcomes: ["completed"] },
  },
  p95_turns: {
    family: "mean",
    title: "Turns per session (p95)",
    harm: "higher",
    unit: "turns",
    histogram: "sessionTurns",
    squares: "sessionTurnsSquared",
    reportsP95: true,
  },
  error_rate: { family: "rate", title: "Error rate", harm: "higher", unit: "share of sessions", events: { outcomes: ["error"] } },
  p95_latency: {
    family: "mean",
    title: "Session duration (p95)",
    harm: "higher",
    unit: "seconds",
    histogram: "sessionDuration",
    squares: "sessionDurationSquared",
    reportsP95: true,
  },
  judge_quality: {
    family: "mean",
    title: "Judge quality score",
    harm: "lower",
    unit: "score",
    histogram: "qualityScore",
    squares: "qualityScoreSquared",
    reportsP95: false,
  },
  safety_violations: {
    family: "rate",
    title: "Unsafe sessions",
    harm: "higher",
    unit: "share of sessions",
    events: { metric: "unsafeSessions" },
  },
};

/** Whether a gate kind records the p95 of each arm next to its test. */
export function reportsP95(kind: GateKind): boolean {
  const spec = KIND_SPECS[kind];
  return spec.family === "mean" && spec.reportsP95;
}
