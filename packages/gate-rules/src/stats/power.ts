import { probit } from "simple-statistics";
import type { Gate } from "../config/resolve.js";
import { KIND_SPECS } from "../gates/kinds.js";
import { addSession, emptyArm } from "./arms.js";
import { gateSamples, MOMENT_FIELD, rateEvents } from "./evaluate.js";
import { seededRandom } from "./random.js";
import type { SessionSampler } from "./session-model.js";

/** Mean and per-session variance of what a gate measures, estimated from many simulated sessions. */
export function populationMoments(gate: Gate, sampler: SessionSampler, draws = 200_000, seed = 7): { mean: number; variance: number } {
  const rng = seededRandom(seed);
  const arm = emptyArm();
  for (let i = 0; i < draws; i++) addSession(arm, sampler(rng, "canary"));
  const spec = KIND_SPECS[gate.kind];
  if (spec.family === "rate") {
    const p = rateEvents(gate, spec, arm) / gateSamples(gate, arm);
    return { mean: p, variance: p * (1 - p) };
  }
  const field = MOMENT_FIELD[spec.histogram];
  if (!field) throw new Error(`internal: no arm field for ${gate.kind}`);
  const m = arm[field];
  const mean = m.sum / m.count;
  return { mean, variance: m.sumSquares / m.count - mean * mean };
}

/**
 * Canary sessions a single fixed-sample one-sided z test at level `alpha`
 * needs to detect the given canary with the given power, when the baseline
 * arm has `allocation` times as many sessions. The yardstick for the gates'
 * sequential detection delay.
 */
export function fixedSampleSize(gate: Gate, baseline: SessionSampler, canary: SessionSampler, options: { alpha: number; power: number; allocation: number }): number {
  const b = populationMoments(gate, baseline);
  const c = populationMoments(gate, canary);
  const sign = KIND_SPECS[gate.kind].harm === "higher" ? 1 : -1;
  const ratio = gate.comparison === "ratio";
  const margin = ratio ? sign * (c.mean - gate.threshold * b.mean) : sign * (c.mean - b.mean) - gate.threshold;
  if (margin <= 0) return Number.POSITIVE_INFINITY;
  const w2 = ratio ? gate.threshold * gate.threshold : 1;
  const sdAlt = Math.sqrt(c.variance + (w2 * b.variance) / options.allocation);
  let sdNull = sdAlt;
  if (KIND_SPECS[gate.kind].family === "rate") {
    const p0 = ratio ? gate.threshold * b.mean : b.mean + sign * gate.threshold;
    sdNull = Math.sqrt(p0 * (1 - p0) + (w2 * b.variance) / options.allocation);
  }
  return ((probit(1 - options.alpha) * sdNull + probit(options.power) * sdAlt) / margin) ** 2;
}
