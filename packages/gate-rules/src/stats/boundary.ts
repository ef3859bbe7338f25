import { probit } from "simple-statistics";

/**
 * The effective sample size of a two-arm comparison: 1 / (1/n_c + 1/n_b).
 * The variance of a difference of means shrinks like 1/V, so V measures the
 * information in the comparison in sessions, whatever the metric's unit.
 */
export function information(canary: number, baseline: number): number {
  return canary > 0 && baseline > 0 ? (canary * baseline) / (canary + baseline) : 0;
}

/**
 * Normal-mixture confidence-sequence boundary on the z scale (Robbins' mixture
 * of likelihood ratios): the probability that z ever exceeds it, over all
 * looks at a growing sample, is at most alpha. rho (in sessions) is the
 * information at which the boundary is tuned to be tight.
 */
export function alwaysValidBoundary(v: number, alpha: number, rho: number): number {
  if (v <= 0) return Number.POSITIVE_INFINITY;
  return Math.sqrt(((v + rho) / v) * (2 * Math.log(1 / alpha) + Math.log((v + rho) / rho)));
}

/** One-sided critical value of a single fixed-sample z test. */
export function fixedBoundary(alpha: number): number {
  return probit(1 - alpha);
}
