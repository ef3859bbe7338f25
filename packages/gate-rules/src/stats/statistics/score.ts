import type { Gate } from "../../config/resolve.js";
import { KIND_SPECS } from "../../gates/kinds.js";
import { add, clamp, div, literal, mul, named, span, sqrt, sub, type GateExpr } from "../formula/tree.js";
import { normalMixtureBoundary } from "./boundary.js";
import { signed } from "./stratified.js";
import type { GateFormula } from "./formula.js";
import { stratified } from "./stratified.js";

/** The smallest rate used in a variance, so a rollout without events still has a finite z. */
export const RATE_FLOOR = 1e-9;

const clampRate = (p: GateExpr): GateExpr => clamp(p, RATE_FLOOR, 1 - RATE_FLOOR);

/**
 * Two proportions, stratified (a score test). The variance is taken where the
 * tolerance holds exactly, from both arms pooled as if it did: the baseline
 * counts as C²/K sessions with its reweighted events, p̃_b = (X_c + E_b + ½) /
 * (r·C + N_b + 1) for a ratio (or shifted by the delta), p̃_c = r·p̃_b. Neither
 * arm's own noisy rate sets the variance, and a half-event smoothing plus a
 * continuity correction of ½/C + w·½/N_b keep small counts honest. Used for
 * lower-is-worse rates (completion) and deltas above zero (errors); the count
 * test serves the rare-event gates.
 */
export function scoreFormula(gate: Gate): GateFormula {
  const spec = KIND_SPECS[gate.kind];
  if (spec.family !== "rate") throw new Error(`internal: ${gate.kind} is not a rate gate`);
  const st = stratified("x");
  const C = st.canarySamples;
  const Nb = st.effectiveBaseline;
  const baselineEvents = mul(st.baselineMean, Nb);
  const sign = spec.harm === "higher" ? 1 : -1;
  const ratio = gate.comparison === "ratio";
  const r = gate.threshold;
  const pooled = ratio
    ? clampRate(div(add(add(st.canaryTotal, baselineEvents), 0.5), add(add(mul(r, C), Nb), 1)))
    : clampRate(div(sub(add(add(st.canaryTotal, baselineEvents), 0.5), mul(sign * r, C)), add(add(C, Nb), 1)));
  const nullCanary = clampRate(ratio ? mul(r, pooled) : add(pooled, sign * r));
  const w = ratio ? r : 1;
  const variance = add(div(mul(nullCanary, sub(1, nullCanary)), C), div(mul(w * w, mul(pooled, sub(1, pooled))), Nb));
  const correction = add(div(0.5, C), div(w * 0.5, Nb));
  const margin = named("margin", ratio ? signed(sign, sub(st.canaryMean, mul(r, st.baselineMean))) : sub(signed(sign, sub(st.canaryMean, st.baselineMean)), r));
  const sd = named("standardError", sqrt(variance));
  const alwaysValid = gate.method === "always_valid";
  return {
    canarySamples: C,
    baselineSamples: st.baselineSamples,
    canaryEstimate: st.canaryMean,
    baselineEstimate: st.baselineMean,
    value: ratio ? div(st.canaryMean, st.baselineMean) : sub(st.canaryMean, st.baselineMean),
    information: st.information,
    failStatistic: div(sub(margin, correction), sd),
    failBoundary: alwaysValid ? normalMixtureBoundary(st.information, gate.alpha, gate.rho, span()) : literal(0),
    passStatistic: div(sub(mul(-1, margin), correction), sd),
    passBoundary: alwaysValid ? normalMixtureBoundary(st.information, gate.passAlpha, gate.rho, span()) : literal(0),
  };
}
