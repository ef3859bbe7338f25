import type { Stage } from "@agent-canary/conventions";
import type { GateKind } from "../gates/kinds.js";
import type { GateInput, RISK_TIERS, PRESET_NAMES } from "./schema.js";

export type RiskTier = (typeof RISK_TIERS)[number];
export type PresetName = (typeof PRESET_NAMES)[number];

/** A gate of a preset: every field written out, so a preset reads as a table. */
export type PresetGate = Required<Pick<GateInput, "kind" | "name" | "comparison" | "threshold" | "minSamples" | "for" | "action" | "severity">> &
  Pick<GateInput, "method" | "description" | "passBeforePercent" | "rho">;

const HOUR = 3600;
const stage = (percent: number, hours: number, minSessionsPerArm: number): Stage => ({
  percent,
  minDurationSeconds: hours * HOUR,
  minSessionsPerArm,
});

/**
 * Stage plans per risk tier, on the usual staged-canary timeline: a medium-risk
 * change goes 1% (4h) → 5% (8h) → 25% (24h) → 50% (24h) → 100%; a low-risk
 * prompt tweak takes an accelerated 1% → 25% → 100% with 4h stages; a critical
 * architecture change spends three to four weeks in canary. Minimum sessions
 * per arm grow with the stage (50 / 200 / 500 / 1000 for medium risk).
 *
 * Every plan ends with a stability period: the canary serves all traffic for
 * STABILITY_HOURS (the domain's practice: stable for 4 h) before the baseline
 * is updated (promotion), so a rollback is still one step away. At 100% there
 * is no baseline arm: the time-matched gates keep their verdicts from the
 * earlier stages, and the controller watches the firing alerts (any rule with
 * an `action` label, e.g. absolute error or cost ceilings) and the canary's
 * session count.
 */
export const STABILITY_HOURS = 4;

export const ROLLOUT_PLANS: Record<RiskTier, readonly Stage[]> = {
  low: [stage(1, 4, 50), stage(25, 4, 500), stage(100, STABILITY_HOURS, 0)],
  medium: [stage(1, 4, 50), stage(5, 8, 200), stage(25, 24, 500), stage(50, 24, 1000), stage(100, STABILITY_HOURS, 0)],
  high: [stage(1, 12, 100), stage(5, 24, 300), stage(25, 48, 1000), stage(50, 48, 2000), stage(100, STABILITY_HOURS, 0)],
  critical: [stage(1, 48, 200), stage(5, 120, 500), stage(25, 168, 2000), stage(50, 168, 5000), stage(100, STABILITY_HOURS, 0)],
};

/**
 * Ours. Thresholds are tolerances (the null hypothesis is "the canary is at most
 * this much worse"); each gate compares its rollout so far, time-matched per
 * canary percent, against an always-valid boundary, and says failing, passing or
 * undecided. `passBeforePercent` is the percent the canary may not exceed until
 * the gate passes; safety (tolerance 0) cannot be shown "not worse" and the judge
 * gate needs a judge, so both are fail-only guards. `rho` is where each test's
 * boundary is tuned to decide (STATISTICS.md, "Tuning"). Both cost gates stay:
 * the geometric mean keeps its power under heavy-tailed cost, the mean catches
 * regressions confined to the tail.
 */
const RECOMMENDED: readonly PresetGate[] = [
  { kind: "cost_per_session", name: "cost", comparison: "ratio", threshold: 1.25, minSamples: 50, for: "3m", action: "rollback", severity: "critical", passBeforePercent: 50, rho: 10 },
  { kind: "cost_geometric_mean", name: "typical_cost", comparison: "ratio", threshold: 1.25, minSamples: 50, for: "3m", action: "rollback", severity: "critical", passBeforePercent: 25, rho: 10 },
  { kind: "loop_rate", name: "loops", comparison: "ratio", threshold: 1.5, minSamples: 200, for: "3m", action: "rollback", severity: "critical", passBeforePercent: 50, rho: 4 },
  { kind: "task_completion_rate", name: "completion", comparison: "ratio", threshold: 0.95, minSamples: 100, for: "3m", action: "rollback", severity: "critical", passBeforePercent: 25, rho: 50 },
  { kind: "turns_per_session", name: "turns", comparison: "ratio", threshold: 1.25, minSamples: 50, for: "3m", action: "hold", severity: "warning", passBeforePercent: 25, rho: 10 },
  { kind: "error_rate", name: "errors", comparison: "delta", threshold: 0.01, minSamples: 200, for: "3m", action: "rollback", severity: "critical", passBeforePercent: 25, rho: 100 },
  { kind: "session_duration", name: "latency", comparison: "ratio", threshold: 1.15, minSamples: 100, for: "3m", action: "hold", severity: "warning", passBeforePercent: 50, rho: 20 },
  { kind: "judge_quality", name: "quality", comparison: "delta", threshold: 0.05, minSamples: 100, for: "3m", action: "hold", severity: "warning", passBeforePercent: null, rho: 10 },
  { kind: "safety_violations", name: "safety", comparison: "delta", threshold: 0, minSamples: 100, for: "3m", action: "rollback", severity: "critical", passBeforePercent: null, rho: 1 },
];

/**
 * The common hand-written gate table: five point comparisons against fixed
 * thresholds (no significance test), mostly holds. Such tables often compare the
 * median cost; Prometheus counters give a reliable mean but no median, so this
 * gate compares means, and every gate compares the rollout so far instead of a
 * rolling window. Kept to show (bench/) what point comparisons cost in false
 * alarms.
 */
const POINT_THRESHOLDS: readonly PresetGate[] = [
  { kind: "judge_quality", name: "quality", comparison: "delta", threshold: 0.1, minSamples: 200, for: "0s", action: "hold", severity: "warning", method: "threshold_only" },
  { kind: "error_rate", name: "reliability", comparison: "delta", threshold: 0.01, minSamples: 500, for: "30m", action: "rollback", severity: "critical", method: "threshold_only" },
  { kind: "cost_per_session", name: "cost", comparison: "ratio", threshold: 1.2, minSamples: 300, for: "0s", action: "hold", severity: "warning", method: "threshold_only" },
  { kind: "safety_violations", name: "safety", comparison: "delta", threshold: 0, minSamples: 1, for: "0s", action: "rollback", severity: "critical", method: "threshold_only" },
  { kind: "session_duration", name: "latency", comparison: "ratio", threshold: 1.15, minSamples: 500, for: "0s", action: "hold", severity: "warning", method: "threshold_only" },
];

/**
 * The common early ratio gate: roll back on ratio thresholds of the point
 * estimates as soon as the canary has 50 sessions (cost 1.30x, loop rate 3x,
 * completion 0.85x), plus a turns hold at 1.5x the mean.
 */
const EARLY_RATIO_ROLLBACK: readonly PresetGate[] = [
  { kind: "cost_per_session", name: "cost", comparison: "ratio", threshold: 1.3, minSamples: 50, for: "0s", action: "rollback", severity: "critical", method: "threshold_only" },
  { kind: "loop_rate", name: "loops", comparison: "ratio", threshold: 3, minSamples: 50, for: "0s", action: "rollback", severity: "critical", method: "threshold_only" },
  { kind: "task_completion_rate", name: "completion", comparison: "ratio", threshold: 0.85, minSamples: 50, for: "0s", action: "rollback", severity: "critical", method: "threshold_only" },
  { kind: "turns_per_session", name: "turns", comparison: "ratio", threshold: 1.5, minSamples: 50, for: "0s", action: "hold", severity: "warning", method: "threshold_only" },
];

export const PRESETS: Record<PresetName, readonly PresetGate[]> = {
  recommended: RECOMMENDED,
  "point-thresholds": POINT_THRESHOLDS,
  "early-ratio-rollback": EARLY_RATIO_ROLLBACK,
};

/** The recommended gate of a kind: the defaults for any field a user leaves out. */
export function kindDefaults(kind: GateKind): PresetGate {
  const gate = RECOMMENDED.find((g) => g.kind === kind);
  if (!gate) throw new Error(`internal: no recommended gate for kind ${kind}`);
  return gate;
}
