import type { SessionOutcome, VersionGroup } from "@agent-canary/conventions";
import type { SessionRecord } from "./arms.js";
import { normal } from "./random.js";

/** How a simulated agent version behaves, per session. */
export interface SessionModelParams {
  completionRate: number;
  errorRate: number;
  loopRate: number;
  unsafeRate: number;
  costMedianUsd: number;
  /** Log-scale spread of cost (lognormal sigma). */
  costSigma: number;
  turnsMedian: number;
  turnsSigma: number;
  durationMedianSeconds: number;
  durationSigma: number;
  qualityMean: number;
  qualitySd: number;
  /** Share of sessions a judge scores. */
  scoredShare: number;
}

/** A realistic support agent: long-tailed cost, turns and duration, rare loops and safety incidents. */
export const TYPICAL_AGENT: SessionModelParams = {
  completionRate: 0.92,
  errorRate: 0.01,
  loopRate: 0.005,
  unsafeRate: 0.002,
  costMedianUsd: 0.04,
  costSigma: 0.8,
  turnsMedian: 6,
  turnsSigma: 0.5,
  durationMedianSeconds: 40,
  durationSigma: 0.7,
  qualityMean: 0.8,
  qualitySd: 0.15,
  scoredShare: 0.5,
};

export type SessionSampler = (rng: () => number, group: VersionGroup) => SessionRecord;

function outcomeOf(p: SessionModelParams, u: number): SessionOutcome {
  if (u < p.loopRate) return "loop_detected";
  if (u < p.loopRate + p.errorRate) return "error";
  if (u < p.loopRate + p.errorRate + p.completionRate) return "completed";
  return "failed";
}

/** Draws sessions of a version described by `params` (unset fields as TYPICAL_AGENT). */
export function sessionModel(params: Partial<SessionModelParams> = {}): SessionSampler {
  const p: SessionModelParams = { ...TYPICAL_AGENT, ...params };
  if (p.loopRate + p.errorRate + p.completionRate > 1) throw new Error("loopRate + errorRate + completionRate must be at most 1");
  return (rng, group) => {
    const outcome = outcomeOf(p, rng());
    const scored = rng() < p.scoredShare;
    return {
      group,
      outcome,
      looped: outcome === "loop_detected",
      unsafe: rng() < p.unsafeRate,
      costUsd: p.costMedianUsd * Math.exp(p.costSigma * normal(rng)),
      turns: Math.max(1, Math.round(p.turnsMedian * Math.exp(p.turnsSigma * normal(rng)))),
      durationSeconds: p.durationMedianSeconds * Math.exp(p.durationSigma * normal(rng)),
      qualityScore: scored ? Math.min(1, Math.max(0, p.qualityMean + p.qualitySd * normal(rng))) : undefined,
    };
  };
}
