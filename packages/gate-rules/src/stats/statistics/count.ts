import type { Gate } from "../../config/resolve.js";
import { constantValue, numeric } from "../formula/compile.js";
import { add, clampMin, compare, div, ln, mul, named, literal, span, sub, sum, type GateExpr } from "../formula/tree.js";
import { countBoundary } from "./boundary.js";
import type { GateFormula } from "./formula.js";
import { baseline, canary, stratified } from "./stratified.js";

const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln Γ(z) for z > 0: Stirling's series at w = z + 3 (error below 3e-7) and the
 * recurrence Γ(z) = Γ(z + 3)/(z(z + 1)(z + 2)). PromQL has no lgamma; this uses
 * only ln and arithmetic, so the rules and the evaluator compute the same number.
 */
export function lgammaExpr(z: GateExpr): GateExpr {
  const w = add(z, 3);
  const w3 = mul(mul(w, w), w);
  const series = add(sub(div(1, mul(12, w)), div(1, mul(360, w3))), div(1, mul(1260, mul(w3, mul(w, w)))));
  const stirling = add(add(sub(mul(sub(w, 0.5), ln(w)), w), HALF_LN_2PI), series);
  return sub(stirling, ln(mul(mul(z, add(z, 1)), add(z, 2))));
}

export function lgamma(z: number): number {
  return constantValue(lgammaExpr(literal(z)));
}

/**
 * ln of the gamma–Poisson mixture martingale for N canary events against Λ
 * expected under the tolerance, with a Gamma(ρ, ρ) mixture over the event-rate
 * multiplier ψ:  ln M = Λ + ρ·ln ρ − lnΓ(ρ) + lnΓ(ρ + N) − (ρ + N)·ln(ρ + Λ).
 */
export function logMixture(N: GateExpr, Lambda: GateExpr, rho: number): GateExpr {
  const constant = rho * Math.log(rho) - lgamma(rho);
  return sub(add(add(Lambda, constant), lgammaExpr(add(N, rho))), mul(add(N, rho), ln(add(Lambda, rho))));
}

const mixtures = new Map<number, (values: readonly number[]) => number>();

/** ln M for N canary events against Λ expected, as a number (compiled once per rho). */
export function logMixtureValue(N: number, Lambda: number, rho: number): number {
  let f = mixtures.get(rho);
  if (!f) mixtures.set(rho, (f = numeric(([n, lambda]) => logMixture(n ?? literal(0), lambda ?? literal(0), rho))));
  return f([N, Lambda]);
}

/**
 * The canary's share of the events, stratum by stratum (a conditional,
 * Cochran–Mantel–Haenszel-type count test). Given that a session in stratum s had
 * an event, it is a canary session with probability π_s = r·n_c,s/(r·n_c,s + n_b,s)
 * when the canary's rate is exactly r times the baseline's, whatever the rate
 * did over time. So N = Σ x_c,s against Λ = Σ (x_c,s + x_b,s)·π_s is a count
 * whose every step is a Bernoulli(π_s), and exp(θN − (e^θ − 1)Λ) is a
 * supermartingale for every θ; mixing over ψ = e^θ with a gamma prior gives an
 * e-value with a closed form. The gate fails when N > Λ and ln M ≥ ln(1/α + 1),
 * passes when N < Λ and ln M ≥ ln(1/β + 1): exact for counts of one or two
 * events, where a normal approximation understates the tail.
 */
export function countFormula(gate: Gate): GateFormula {
  const st = stratified("x");
  const r = gate.comparison === "ratio" ? gate.threshold : 1;
  const weightedCanary = mul(r, canary.n);
  const share = div(weightedCanary, add(weightedCanary, baseline.n));
  const N = st.canaryTotal;
  const Lambda = named("expectedEvents", sum(mul(add(canary.x, baseline.x), share)));
  const evidence = clampMin(named("logEvidence", logMixture(N, Lambda, gate.rho)), 0);
  return {
    canarySamples: st.canarySamples,
    baselineSamples: st.baselineSamples,
    canaryEstimate: st.canaryMean,
    baselineEstimate: st.baselineMean,
    value: gate.comparison === "ratio" ? div(st.canaryMean, st.baselineMean) : sub(st.canaryMean, st.baselineMean),
    information: st.information,
    failStatistic: mul(evidence, compare(">=", N, Lambda)),
    failBoundary: countBoundary(gate.alpha, span()),
    passStatistic: mul(evidence, compare("<", N, Lambda)),
    passBoundary: countBoundary(gate.passAlpha, span()),
  };
}
