import { LOG_COST_FLOOR_USD } from "@agent-canary/conventions";
import type { Gate } from "../../config/resolve.js";
import { KIND_SPECS } from "../../gates/kinds.js";
import { add, clampMin, compare, div, exp, literal, mul, named, span, sqrt, sub, sum, type GateExpr } from "../formula/tree.js";
import { normalMixtureBoundary } from "./boundary.js";
import type { GateFormula } from "./formula.js";
import { baseline, canary, signed, strata, stratified } from "./stratified.js";

/**
 * A variance that is only rounding (the increments are divided by the rate
 * range, so identical sessions leave 1e-17-sized remainders) is no spread: below
 * 1e-12 of the squared mean it counts as zero, and a gate whose arms have no
 * spread at all has no statistic, in PromQL as in TypeScript.
 */
function spread(variance: GateExpr, mean: GateExpr): GateExpr {
  return mul(variance, compare(">", variance, mul(mul(mean, mean), 1e-12)));
}

/** Σ over strata of the within-stratum sum of squares of one arm: Q − S²/n. */
function within(arm: typeof canary | typeof baseline): GateExpr {
  return sum(sub(arm.q, div(mul(arm.s, arm.s), arm.n)));
}

/**
 * Two means, stratified: margin = how far the canary's mean is past the tolerance
 * against the reweighted baseline mean; variance from the pooled within-stratum
 * variances (s²_c/C + w·s²_b·K/C², w = r² for a ratio), so a shift shared by
 * both arms inside a stratum adds nothing to the margin and only what it really
 * adds to the noise. The log scale (cost_geometric_mean) compares mean log cost:
 * a ratio r of geometric means is a difference of ln r.
 */
export function meanFormula(gate: Gate): GateFormula {
  const spec = KIND_SPECS[gate.kind];
  if (spec.family !== "mean") throw new Error(`internal: ${gate.kind} is not a mean gate`);
  const st = stratified("s");
  const C = st.canarySamples;
  const J = strata();
  const canaryVariance = spread(clampMin(div(named("canaryWithin", within(canary)), sub(C, J)), 0), st.canaryMean);
  const baselineVariance = spread(clampMin(div(named("baselineWithin", within(baseline)), sub(st.baselineSamples, J)), 0), st.baselineMean);
  const sign = spec.harm === "higher" ? 1 : -1;
  const log = spec.scale === "log";
  const ratio = gate.comparison === "ratio" && !log;
  const difference = sub(st.canaryMean, st.baselineMean);
  const margin = ratio
    ? signed(sign, sub(st.canaryMean, mul(gate.threshold, st.baselineMean)))
    : log
      ? signed(sign, sub(difference, Math.log(gate.threshold)))
      : sub(signed(sign, difference), gate.threshold);
  const weight = ratio ? gate.threshold * gate.threshold : 1;
  const variance = add(div(canaryVariance, C), div(mul(mul(baselineVariance, st.baselineWeight), weight), mul(C, C)));
  const z = div(named("margin", margin), named("standardError", sqrt(variance)));
  const display = (mean: GateExpr): GateExpr => (log ? mul(exp(mean), LOG_COST_FLOOR_USD) : mean);
  const alwaysValid = gate.method === "always_valid";
  return {
    canarySamples: C,
    baselineSamples: st.baselineSamples,
    canaryEstimate: display(st.canaryMean),
    baselineEstimate: display(st.baselineMean),
    value: ratio ? div(st.canaryMean, st.baselineMean) : log ? exp(difference) : difference,
    information: st.information,
    failStatistic: z,
    failBoundary: alwaysValid ? normalMixtureBoundary(st.information, gate.alpha, gate.rho, span()) : literal(0),
    passStatistic: mul(-1, z),
    passBoundary: alwaysValid ? normalMixtureBoundary(st.information, gate.passAlpha, gate.rho, span()) : literal(0),
  };
}
