import { KIND_SPECS, type GateResult } from "@agent-canary/gate-rules";

/** What the timeline shows of a gate: from the embedded evaluator, or read back from Prometheus. */
export type GateView = Pick<
  GateResult,
  "gate" | "kind" | "action" | "verdict" | "comparison" | "value" | "threshold" | "statistic" | "boundary" | "samples" | "minSamples"
> & {
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

const VERDICT: Record<GateResult["verdict"], string> = { pass: "pass", fail: "FAIL", insufficient_data: "wait" };

/**
 * One gate on one line: value against tolerance, the test statistic against
 * its always-valid boundary, and the verdict; or how many sessions it still needs.
 */
export function formatGate(result: GateView): string {
  const name = result.gate.padEnd(11);
  if (result.verdict === "insufficient_data") {
    const have = Math.min(result.samples.canary, result.samples.baseline);
    return `${name} ${VERDICT.insufficient_data}  ${have}/${result.minSamples} sessions per arm`;
  }
  const value = `${formatValue(result, result.value)} (${formatTolerance(result)})`.padEnd(24);
  const z = `z ${result.statistic.toFixed(2).padStart(6)} vs ${result.boundary.toFixed(2)}`;
  const action = result.verdict !== "fail" ? "" : result.firing === false ? ` (pending: ${result.action} once it has failed for its \`for\`)` : ` → ${result.action}`;
  return `${name} ${VERDICT[result.verdict].padEnd(4)}  ${value} ${z}${action}`;
}

export function formatPercent(percent: number): string {
  return `${Number.isInteger(percent) ? percent : percent.toFixed(1)}%`;
}
