/**
 * Fixed-sample references: how many canary sessions a single one-sided z test,
 * run once at a sample size fixed in advance, needs to detect a regression
 * with 95% power at false-alarm level alpha. Analytic (normal approximation,
 * Wald variances under the alternative), canary:baseline = p:(100-p).
 *
 * Rates under the no-difference null use the textbook formula (pooled variance
 * under the null); everything else uses Wald variances.
 *
 * Two nulls are given: "no difference" (the most favourable reference) and
 * "the gate's own tolerance" (the question our gates actually ask, e.g. is
 * the cost ratio above 1.25), so the price of tolerance and the price of
 * continuous monitoring can be told apart.
 */
import { probit } from "simple-statistics";
import { KIND_SPECS, seededRandom, sessionModel, TYPICAL_AGENT, type Gate, type SessionModelParams } from "@agent-canary/gate-rules";
import type { Regression } from "./scenarios.ts";

const POWER = 0.95;

interface ArmMoments {
  mean: number;
  variance: number;
}

/** Mean and variance of a per-session value of the simulated agent, by a large Monte Carlo sample. */
function sampled(params: Partial<SessionModelParams>, pick: "costUsd" | "turns"): ArmMoments {
  const sample = sessionModel(params);
  const rng = seededRandom(12345);
  const n = 400_000;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const x = sample(rng, "baseline")[pick];
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / n;
  return { mean, variance: sumSq / n - mean * mean };
}

function bernoulli(p: number): ArmMoments {
  return { mean: p, variance: p * (1 - p) };
}

/** The per-session quantity a gate of this kind tests, in each arm. */
function armMoments(regression: Regression, params: Partial<SessionModelParams>): ArmMoments {
  const p: SessionModelParams = { ...TYPICAL_AGENT, ...params };
  switch (regression.kind) {
    case "loop_rate":
      return bernoulli(p.loopRate);
    case "task_completion_rate":
      return bernoulli(p.completionRate);
    case "cost_per_session":
      return sampled(params, "costUsd");
    case "p95_turns":
      // The p95-turns gate tests mean turns (histograms give sum, count and squares); so does the reference.
      return sampled(params, "turns");
    default:
      throw new Error(`no fixed-sample reference for ${regression.kind}`);
  }
}

export interface Tolerance {
  comparison: "ratio" | "delta";
  threshold: number;
  harm: "higher" | "lower";
}

/** The textbook two-proportion sample size: pooled variance under the null, unpooled under the alternative. */
function twoProportionN(p0: number, p1: number, k: number, alpha: number): number {
  const za = probit(1 - alpha);
  const zb = probit(POWER);
  const pbar = (p1 + k * p0) / (1 + k);
  const root = za * Math.sqrt(pbar * (1 - pbar) * (1 + 1 / k)) + zb * Math.sqrt(p1 * (1 - p1) + (p0 * (1 - p0)) / k);
  return Math.ceil((root * root) / ((p1 - p0) * (p1 - p0)));
}

export const NO_DIFFERENCE: Omit<Tolerance, "harm"> = { comparison: "ratio", threshold: 1 };

/** Canary sessions for a one-sided test of "canary worse than the tolerance"; Infinity if the regression is inside it. */
export function fixedSampleN(regression: Regression, canaryPercent: number, alpha: number, tolerance: Omit<Tolerance, "harm">): number {
  const k = (100 - canaryPercent) / canaryPercent;
  const harm = KIND_SPECS[regression.kind].harm;
  const b = armMoments(regression, {});
  const c = armMoments(regression, regression.canary);
  const t = tolerance.threshold;
  const isRate = KIND_SPECS[regression.kind].family === "rate";
  if (isRate && tolerance.comparison === "ratio" && t === 1) return twoProportionN(b.mean, c.mean, k, alpha);
  // Distance past the tolerance in the harmful direction, and the variance of the estimate of it.
  const gap = tolerance.comparison === "ratio" ? c.mean - t * b.mean : c.mean - b.mean - t;
  const signed = harm === "higher" ? gap : tolerance.comparison === "ratio" ? -gap : -(c.mean - b.mean + t);
  const scale = tolerance.comparison === "ratio" ? t * t : 1;
  if (signed <= 0) return Number.POSITIVE_INFINITY;
  const z = probit(1 - alpha) + probit(POWER);
  return Math.ceil((z * z * (c.variance + (scale * b.variance) / k)) / (signed * signed));
}

export function gateTolerance(gate: Gate): Omit<Tolerance, "harm"> {
  return { comparison: gate.comparison, threshold: gate.threshold };
}
