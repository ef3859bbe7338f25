/**
 * Fixed-sample references: how many canary sessions a single one-sided z test,
 * run once at a sample size fixed in advance, needs to detect a regression
 * with 95% power at false-alarm level alpha. Analytic (normal approximation,
 * variances under the alternative; the pooled null variance for two
 * proportions against no difference), canary:baseline = p:(100-p).
 *
 * Two nulls: "no difference" (the most favourable reference) and "the gate's
 * own tolerance" (the question the gate asks, e.g. is the cost ratio above
 * 1.25). The gap between them is the price of tolerating small changes; the
 * gap between the second and the gate's median is the price of looking every
 * minute, of minSamples and of `for`.
 */
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";

import { KIND_SPECS, seededRandom, sessionModel, TYPICAL_AGENT, type Gate, type SessionModelParams } from "@agent-canary/gate-rules";

/** The standard normal quantile (the same accurate one the gates use). */
const probit = (p: number): number => normalQuantile(p, 0, 1);

const POWER = 0.95;

export interface ArmMoments {
  mean: number;
  variance: number;
}

const lognormal = (median: number, sigma: number): ArmMoments => {
  const mean = median * Math.exp((sigma * sigma) / 2);
  return { mean, variance: mean * mean * (Math.exp(sigma * sigma) - 1) };
};

/** Mean and variance of turns per session (rounded lognormal, at least 1), by a large Monte Carlo sample. */
function turns(params: Partial<SessionModelParams>): ArmMoments {
  const sample = sessionModel(params);
  const rng = seededRandom(12345);
  const n = 400_000;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const x = sample(rng, "baseline").turns ?? 0;
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / n;
  return { mean, variance: sumSq / n - mean * mean };
}

const bernoulli = (p: number): ArmMoments => ({ mean: p, variance: p * (1 - p) });

/** The per-session quantity a gate tests (its scale included), for a version with these parameters. */
export function gateMoments(gate: Gate, params: Partial<SessionModelParams>): ArmMoments {
  const p: SessionModelParams = { ...TYPICAL_AGENT, ...params };
  switch (gate.kind) {
    case "cost_per_session":
      return lognormal(p.costMedianUsd, p.costSigma);
    case "cost_geometric_mean":
      return { mean: Math.log(p.costMedianUsd / 1e-6), variance: p.costSigma * p.costSigma };
    case "loop_rate":
      return bernoulli(p.loopRate);
    case "task_completion_rate":
      return bernoulli(p.completionRate);
    case "safety_violations":
      return bernoulli(p.unsafeRate);
    case "turns_per_session":
      return turns(params);
    case "error_rate":
      return bernoulli(p.errorRate);
    case "session_duration":
      return lognormal(p.durationMedianSeconds, p.durationSigma);
    case "judge_quality":
      // Clamping to [0, 1] barely moves a score of 0.8 with spread 0.15.
      return { mean: p.qualityMean, variance: p.qualitySd * p.qualitySd };
  }
}

/** The textbook two-proportion sample size: pooled variance under the null, unpooled under the alternative. */
function twoProportionN(p0: number, p1: number, k: number, alpha: number): number {
  const za = probit(1 - alpha);
  const zb = probit(POWER);
  const pbar = (p1 + k * p0) / (1 + k);
  const root = za * Math.sqrt(pbar * (1 - pbar) * (1 + 1 / k)) + zb * Math.sqrt(p1 * (1 - p1) + (p0 * (1 - p0)) / k);
  return Math.ceil((root * root) / ((p1 - p0) * (p1 - p0)));
}

export interface Floors {
  noDifference: number;
  atTolerance: number;
}

/** Canary sessions for a one-sided test of "canary worse than the baseline" and of "worse than the gate's tolerance". */
export function fixedSampleFloors(gate: Gate, baseline: Partial<SessionModelParams>, canary: Partial<SessionModelParams>, canaryPercent: number, alpha: number): Floors {
  const k = (100 - canaryPercent) / canaryPercent;
  const b = gateMoments(gate, baseline);
  const c = gateMoments(gate, canary);
  const sign = KIND_SPECS[gate.kind].harm === "higher" ? 1 : -1;
  const z = probit(1 - alpha) + probit(POWER);
  const rate = KIND_SPECS[gate.kind].family === "rate";
  const noDifference = rate ? twoProportionN(b.mean, c.mean, k, alpha) : Math.ceil((z * z * (c.variance + b.variance / k)) / (c.mean - b.mean) ** 2);
  const log = gate.kind === "cost_geometric_mean";
  const ratio = gate.comparison === "ratio" && !log;
  const t = gate.threshold;
  const gap = ratio ? sign * (c.mean - t * b.mean) : log ? c.mean - b.mean - Math.log(t) : sign * (c.mean - b.mean) - t;
  const scale = ratio ? t * t : 1;
  const atTolerance = gap <= 0 ? Number.POSITIVE_INFINITY : Math.ceil((z * z * (c.variance + (scale * b.variance) / k)) / (gap * gap));
  return { noDifference, atTolerance };
}
