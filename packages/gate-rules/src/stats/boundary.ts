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
 * One-sided normal-mixture confidence-sequence boundary on the z scale
 * (Howard, Ramdas, McAuliffe & Sekhon 2021, eq. 14: a half-normal mixture of
 * likelihood ratios). The probability that z ever exceeds it, over all looks
 * at a growing sample, is at most alpha. Every gate is one-sided, so the
 * two-sided mixture (|z| crossing) would spend only about half of alpha on the
 * harmful side and cost sessions for nothing. rho (in sessions) is the
 * information at which the boundary is tuned to be tight.
 */
export function alwaysValidBoundary(v: number, alpha: number, rho: number): number {
  if (v <= 0) return Number.POSITIVE_INFINITY;
  return Math.sqrt(2 * ((v + rho) / v) * Math.log(Math.sqrt((v + rho) / rho) / (2 * alpha) + 1));
}

/** One-sided critical value of a single fixed-sample z test. */
export function fixedBoundary(alpha: number): number {
  return probit(1 - alpha);
}
