import { KIND_SPECS, type GateJudgement } from "@agent-canary/gate-rules";

/** What the timeline shows of a gate: from the embedded evaluator, or read back from Prometheus. */
export type GateView = Pick<GateJudgement, "gate" | "kind" | "action" | "verdict" | "comparison" | "value" | "threshold" | "samples" | "minSamples" | "fail" | "pass"> & {
  /** For a failing gate: false while its alert waits out `for` (pending), true once it fires. Unknown when absent. */
  firing?: boolean;
};

/** "3h05m" from simulated seconds: the rollout's own time, as an operator would read it. */
export function formatSimulated(seconds: number): string {
  const total = Math.max(0, Math.round(seconds / 60));
  const hours = Math.floor(total / 60);
  const minutes = total % 60;
  return `${hours}h${String(minutes).padStart(2, "0")}m`;
}

/** A gate's value the way its threshold is written: ratios as ×, deltas in the gate's unit. */
function formatValue(result: GateView, value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (result.comparison === "ratio") return `${value.toFixed(2)}x`;
  const unit = KIND_SPECS[result.kind].unit;
  if (unit === "share of sessions") return `${value >= 0 ? "+" : ""}${(value * 100).toFixed(2)}pp`;
  return `${value >= 0 ? "+" : ""}${value.toPrecision(3)}`;
}

/** "≤ 1.25x" or "≥ 0.95x": which side of the threshold is allowed. */
function formatTolerance(result: GateView): string {
  const harm = KIND_SPECS[result.kind].harm;
  if (result.comparison === "ratio") return `${harm === "higher" ? "≤" : "≥"} ${result.threshold}x`;
  return `${harm === "higher" ? "≤" : "≥"} ${formatValue(result, harm === "higher" ? result.threshold : -result.threshold)}`;
}

const VERDICT: Record<GateJudgement["verdict"], string> = { passing: "pass", failing: "FAIL", undecided: "wait" };

/** A gate has a statistic once both arms have its minimum samples (the rules record none before). */
export const hasStatistic = (result: Pick<GateView, "fail">): boolean => !Number.isNaN(result.fail.statistic);

/**
 * One gate on one line: value against tolerance, the evidence against (or, once
 * passing, for) the canary against its always-valid boundary, and the verdict;
 * or how many samples it still needs.
 */
export function formatGate(result: GateView): string {
  const name = result.gate.padEnd(12);
  if (!hasStatistic(result)) {
    const have = Math.floor(Math.min(result.samples.canary || 0, result.samples.baseline || 0));
    return `${name} ${VERDICT.undecided}  ${have}/${result.minSamples} samples per arm`;
  }
  const value = `${formatValue(result, result.value)} (${formatTolerance(result)})`.padEnd(24);
  const side = result.verdict === "passing" ? { word: "for", ...result.pass } : { word: "against", ...result.fail };
  const evidence = `${side.word} ${side.statistic.toFixed(2).padStart(6)} vs ${side.boundary.toFixed(2)}`;
  const action = result.verdict !== "failing" ? "" : result.firing === false ? ` (pending: ${result.action} once it has failed for its \`for\`)` : ` → ${result.action}`;
  return `${name} ${VERDICT[result.verdict].padEnd(4)}  ${value} ${evidence}${action}`;
}

export function formatPercent(percent: number): string {
  return `${Number.isInteger(percent) ? percent : percent.toFixed(1)}%`;
}
