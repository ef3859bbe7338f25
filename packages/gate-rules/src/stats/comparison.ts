import type { HarmDirection } from "../gates/kinds.js";

/**
 * The one-sided test every gate runs. H0: the canary is at most `threshold`
 * worse than the baseline (ratio: θc ≤ r·θb, or θc ≥ r·θb when lower is worse;
 * delta: θc − θb ≤ d, or θb − θc ≤ d). z > 0 means the point estimates are past
 * the tolerance; z > boundary means the data say so with confidence.
 */
export interface Comparison {
  comparison: "ratio" | "delta";
  threshold: number;
  harm: HarmDirection;
}

export interface Statistic {
  /** canary / baseline for ratio gates, canary − baseline for delta gates. */
  value: number;
  estimates: { canary: number; baseline: number };
  z: number;
}

/** The smallest rate used in a variance, so a window without events still has a finite z. */
export const RATE_FLOOR = 1e-9;

const clampRate = (p: number): number => Math.min(1 - RATE_FLOOR, Math.max(RATE_FLOOR, p));

function reported(c: Comparison, canary: number, baseline: number): number {
  return c.comparison === "ratio" ? canary / baseline : canary - baseline;
}

/** Signed distance past the tolerance: positive when the canary is worse than allowed. */
function margin(c: Comparison, canary: number, baseline: number): number {
  const sign = c.harm === "higher" ? 1 : -1;
  return c.comparison === "ratio" ? sign * (canary - c.threshold * baseline) : sign * (canary - baseline) - c.threshold;
}

/**
 * Two proportions. The variance is taken at the null boundary (a score test):
 * the baseline rate is estimated from both arms pooled as if H0 held exactly
 * (canary = r × baseline, or baseline + d), smoothed by half an event so an
 * empty window is not certain. Neither arm's own noisy rate sets the variance,
 * so a lucky-low baseline or a canary without events cannot look sure. A
 * continuity correction of half a session per arm keeps rare events honest.
 */
export function rateStatistic(c: Comparison, canary: { events: number; n: number }, baseline: { events: number; n: number }): Statistic {
  const pc = canary.events / canary.n;
  const pb = baseline.events / baseline.n;
  const ratio = c.comparison === "ratio";
  const sign = c.harm === "higher" ? 1 : -1;
  const pooledBaseline = ratio
    ? (canary.events + baseline.events + 0.5) / (c.threshold * canary.n + baseline.n + 1)
    : clampRate((canary.events + baseline.events + 0.5 - sign * c.threshold * canary.n) / (canary.n + baseline.n + 1));
  const nullCanary = clampRate(ratio ? c.threshold * pooledBaseline : pooledBaseline + sign * c.threshold);
  const weight = ratio ? c.threshold : 1;
  const variance = (nullCanary * (1 - nullCanary)) / canary.n + (weight * weight * pooledBaseline * (1 - pooledBaseline)) / baseline.n;
  const correction = 0.5 / canary.n + (weight * 0.5) / baseline.n;
  return { value: reported(c, pc, pb), estimates: { canary: pc, baseline: pb }, z: (margin(c, pc, pb) - correction) / Math.sqrt(variance) };
}

export interface MeanInput {
  count: number;
  sum: number;
  sumSquares: number;
}

/** Sample variance from the three running sums (what the _sum, _count and *_squared counters give). */
export function sampleVariance(m: MeanInput): number {
  if (m.count < 2) return 0;
  return Math.max(0, (m.sumSquares - (m.sum * m.sum) / m.count) / (m.count - 1));
}

/** Two means, Welch style: each arm brings its own variance. */
export function meanStatistic(c: Comparison, canary: MeanInput, baseline: MeanInput): Statistic {
  const mc = canary.sum / canary.count;
  const mb = baseline.sum / baseline.count;
  const weight = c.comparison === "ratio" ? c.threshold * c.threshold : 1;
  const variance = sampleVariance(canary) / canary.count + (weight * sampleVariance(baseline)) / baseline.count;
  return { value: reported(c, mc, mb), estimates: { canary: mc, baseline: mb }, z: margin(c, mc, mb) / Math.sqrt(variance) };
}
