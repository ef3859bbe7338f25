import { METRICS, prometheusName } from "@agent-canary/conventions";
import type { Gate, GatesConfig } from "../config/resolve.js";
import { KIND_SPECS, reportsP95 } from "../gates/kinds.js";
import { RATE_FLOOR } from "../stats/comparison.js";
import { gateSources, RECORDED } from "./names.js";

/**
 * PromQL for one gate. Every expression mirrors a function in src/stats so the
 * differential test can hold them to the same numbers.
 */
export interface GateExpressions {
  /** Per-arm recordings (labels deployment, version_group). */
  arms: { record: string; expr: string }[];
  /** Gate-level recordings (label deployment). */
  gate: { record: string; expr: string }[];
  /** The alert condition. */
  alert: string;
  /**
   * Sessions flow but the gate has no statistic: its series are missing or
   * misnamed (an export mode that does not match how the agent exports, a judge
   * that never scores). A gate that cannot see must not pass silently.
   */
  blind: string;
}

/** A number as PromQL reads it back exactly (shortest round-trip form). */
export function num(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`internal: ${x} cannot be written into PromQL`);
  return String(x);
}

/** `{deployment=~"a|b"...}` over the config's deployments (dots escaped). */
export function selector(config: GatesConfig, extra = ""): string {
  const deployments = config.deployments.map((d) => d.replace(/[.]/g, "\\\\.")).join("|");
  return `{deployment=~"${deployments}"${extra}}`;
}

const BY = "by (deployment, version_group)";

function increase(metric: string, sel: string, window: string): string {
  return `sum ${BY} (increase(${metric}${sel}[${window}]))`;
}

function armRecords(gate: Gate, config: GatesConfig): GateExpressions["arms"] {
  const src = gateSources(gate, config.export);
  const sel = selector(config);
  const samples = increase(src.samples, sel, gate.window);
  const out: GateExpressions["arms"] = [{ record: RECORDED.samples, expr: samples }];
  const arm = (record: string): string => `${record}{gate="${gate.name}"}`;
  if (src.events) {
    const outcomeMatch = src.events.outcomes ? `,outcome=~"${src.events.outcomes.join("|")}"` : "";
    // A counter that never moved may not exist yet: count it as zero events, not as no data.
    out.push({ record: RECORDED.events, expr: `${increase(src.events.metric, selector(config, outcomeMatch), gate.window)}\nor\n0 * ${samples}` });
    out.push({ record: RECORDED.estimate, expr: `${arm(RECORDED.events)} / ${arm(RECORDED.samples)}` });
    return out;
  }
  out.push({ record: RECORDED.sum, expr: increase(`${src.histogram}_sum`, sel, gate.window) });
  out.push({ record: RECORDED.sumSquares, expr: increase(src.squares ?? "", sel, gate.window) });
  out.push({ record: RECORDED.estimate, expr: `${arm(RECORDED.sum)} / ${arm(RECORDED.samples)}` });
  out.push({
    record: RECORDED.variance,
    expr: `clamp_min((${arm(RECORDED.sumSquares)} - ${arm(RECORDED.sum)} ^ 2 / ${arm(RECORDED.samples)}) / (${arm(RECORDED.samples)} - 1), 0)`,
  });
  if (reportsP95(gate.kind)) {
    out.push({
      record: RECORDED.p95,
      expr: `histogram_quantile(0.95, sum by (deployment, version_group, le) (increase(${src.histogram}_bucket${sel}[${gate.window}])))`,
    });
  }
  return out;
}

/** One arm of a per-arm recording, with the version_group label folded away so arms can be combined. */
function arm(record: string, gate: Gate, group: "canary" | "baseline"): string {
  return `sum without (version_group) (${record}{gate="${gate.name}",version_group="${group}"})`;
}

/** Signed distance past the tolerance, continuity-corrected for rates (see comparison.ts). */
function marginExpr(gate: Gate, c: string, b: string, correction: string): string {
  const sign = KIND_SPECS[gate.kind].harm === "higher" ? "" : "-";
  const core =
    gate.comparison === "ratio" ? `${sign}(${c} - ${num(gate.threshold)} * ${b})` : `${sign}(${c} - ${b}) - ${num(gate.threshold)}`;
  return correction ? `(${core} - (${correction}))` : `(${core})`;
}

function rateVariance(gate: Gate, xc: string, nc: string, xb: string, nb: string): { variance: string; correction: string } {
  const ratio = gate.comparison === "ratio";
  const r = num(gate.threshold);
  const sign = KIND_SPECS[gate.kind].harm === "higher" ? 1 : -1;
  const clampRate = (x: string): string => `clamp(${x}, ${num(RATE_FLOOR)}, ${num(1 - RATE_FLOOR)})`;
  const pooled = ratio
    ? `((${xc} + ${xb} + 0.5) / (${r} * ${nc} + ${nb} + 1))`
    : clampRate(`(${xc} + ${xb} + 0.5 - ${num(sign * gate.threshold)} * ${nc}) / (${nc} + ${nb} + 1)`);
  const nullCanary = clampRate(ratio ? `${r} * ${pooled}` : `${pooled} + ${num(sign * gate.threshold)}`);
  const w = ratio ? r : "1";
  return {
    variance: `(${nullCanary} * (1 - ${nullCanary}) / ${nc} + ${w} * ${w} * ${pooled} * (1 - ${pooled}) / ${nb})`,
    correction: `0.5 / ${nc} + ${w} * 0.5 / ${nb}`,
  };
}

function statisticExpr(gate: Gate): string {
  const spec = KIND_SPECS[gate.kind];
  const nc = arm(RECORDED.samples, gate, "canary");
  const nb = arm(RECORDED.samples, gate, "baseline");
  const ec = arm(RECORDED.estimate, gate, "canary");
  const eb = arm(RECORDED.estimate, gate, "baseline");
  let z: string;
  if (spec.family === "rate") {
    const { variance, correction } = rateVariance(gate, arm(RECORDED.events, gate, "canary"), nc, arm(RECORDED.events, gate, "baseline"), nb);
    z = `${marginExpr(gate, ec, eb, correction)}\n/\nsqrt${variance}`;
  } else {
    const w = gate.comparison === "ratio" ? num(gate.threshold * gate.threshold) : "1";
    const variance = `(${arm(RECORDED.variance, gate, "canary")} / ${nc} + ${w} * ${arm(RECORDED.variance, gate, "baseline")} / ${nb})`;
    z = `${marginExpr(gate, ec, eb, "")}\n/\nsqrt${variance}`;
  }
  // The minimum-sample guard: no statistic, so no alert, until both arms have enough sessions.
  // A zero variance gives ±Inf or NaN; the range filter drops them so they can never fire (as the evaluator does).
  return `(${z}) > -Inf < +Inf\nand ${nc} >= ${gate.minSamples}\nand ${nb} >= ${gate.minSamples}`;
}

function gateRecords(gate: Gate): GateExpressions["gate"] {
  const nc = arm(RECORDED.samples, gate, "canary");
  const nb = arm(RECORDED.samples, gate, "baseline");
  const ec = arm(RECORDED.estimate, gate, "canary");
  const eb = arm(RECORDED.estimate, gate, "baseline");
  const v = `${RECORDED.information}{gate="${gate.name}"}`;
  const rho = num(gate.rho);
  // alwaysValidBoundary in PromQL.
  const boundary =
    gate.method === "threshold_only"
      ? `0 * ${v}`
      : `sqrt(2 * (${v} + ${rho}) / ${v} * ln(sqrt((${v} + ${rho}) / ${rho}) * ${num(1 / (2 * gate.windowAlpha))} + 1))`;
  const out: GateExpressions["gate"] = [
    { record: RECORDED.value, expr: gate.comparison === "ratio" ? `${ec} / ${eb}` : `${ec} - ${eb}` },
    { record: RECORDED.information, expr: `${nc} * ${nb} / (${nc} + ${nb})` },
    { record: RECORDED.statistic, expr: statisticExpr(gate) },
    { record: RECORDED.boundary, expr: boundary },
  ];
  if (reportsP95(gate.kind)) {
    out.push({ record: RECORDED.p95Ratio, expr: `${arm(RECORDED.p95, gate, "canary")} / ${arm(RECORDED.p95, gate, "baseline")}` });
  }
  return out;
}

function blindExpr(gate: Gate, config: GatesConfig): string {
  const sessions = prometheusName(METRICS.sessions, config.export);
  const arm = (group: string) =>
    `sum by (deployment) (increase(${sessions}${selector(config, `,version_group="${group}"`)}[${gate.window}])) >= ${gate.minSamples}`;
  return `(${arm("canary")})\nand on (deployment) (${arm("baseline")})\nunless on (deployment) ${RECORDED.statistic}{gate="${gate.name}"}`;
}

export function gateExpressions(gate: Gate, config: GatesConfig): GateExpressions {
  return {
    arms: armRecords(gate, config),
    gate: gateRecords(gate),
    alert: `${RECORDED.statistic}{gate="${gate.name}"}\n> ${RECORDED.boundary}{gate="${gate.name}"}`,
    blind: blindExpr(gate, config),
  };
}
