import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import { numeric } from "../formula/compile.js";
import { add, div, ln, mul, literal, sqrt, type GateExpr } from "../formula/tree.js";

/**
 * The share of a gate's error budget spent in the k-th look-back span of a
 * rollout: α·6/(π²k²). The shares add up to α over any number of spans, so a
 * rollout held far beyond its plan keeps its false-alarm budget.
 */
export function spanShare(k: number): number {
  return 6 / (Math.PI * Math.PI * k * k);
}

/** factor/α_k as a tree: factor·π²k²/(6α), where k is the span the rollout is in. */
function inverseSpanAlpha(alpha: number, k: GateExpr, factor = 1): GateExpr {
  return mul(mul(k, k), literal((factor * Math.PI * Math.PI) / (6 * alpha)));
}

/**
 * One-sided normal-mixture confidence-sequence boundary on the z scale
 * (Howard, Ramdas, McAuliffe & Sekhon 2021, eq. 14) at level α_k:
 *   z_b(V) = sqrt( 2·(V + ρ)/V · ln( sqrt((V + ρ)/ρ) / (2α_k) + 1 ) ).
 * For a sample that only grows, the chance that z ever exceeds it is at most α_k.
 * V is the information in sessions, ρ where the boundary is tuned to decide.
 */
export function normalMixtureBoundary(v: GateExpr, alpha: number, rho: number, k: GateExpr): GateExpr {
  const vr = add(v, rho);
  const inner = add(mul(sqrt(div(vr, rho)), inverseSpanAlpha(alpha, k, 0.5)), 1);
  return sqrt(mul(div(mul(2, vr), v), ln(inner)));
}

/** ln(1/α_k + 1): the log e-value the count test's gamma–Poisson mixture must reach (Ville's inequality, with the one-sided +1). */
export function countBoundary(alpha: number, k: GateExpr): GateExpr {
  return ln(add(inverseSpanAlpha(alpha, k), 1));
}

const boundaries = new Map<string, (values: readonly number[], k?: number) => number>();

/** The normal-mixture boundary as a number (compiled once per alpha and rho), for tests, tuning and planning. */
export function alwaysValidBoundary(v: number, alpha: number, rho: number, k = 1): number {
  if (!(v > 0)) return Number.POSITIVE_INFINITY;
  const key = `${alpha}|${rho}`;
  let f = boundaries.get(key);
  if (!f) boundaries.set(key, (f = numeric(([value], span) => normalMixtureBoundary(value ?? literal(0), alpha, rho, span))));
  return f([v], k);
}

/**
 * One-sided critical value of a single fixed-sample z test: the standard normal
 * quantile at 1 − α, read as −Φ⁻¹(α) so a small α loses no digits to 1 − α.
 * stdlib's quantile is accurate to ~1e-11 out to α = 1e-6 (simple-statistics'
 * probit, used before, was 5e-3 off at α = 0.01).
 */
export function fixedBoundary(alpha: number): number {
  return -normalQuantile(alpha, 0, 1);
}
