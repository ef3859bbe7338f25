import type { SessionOutcome, VersionGroup } from "@agent-canary/conventions";
import type { SessionRecord } from "./arms.js";
import { normal, seededRandom } from "./random.js";

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
  /** Log-scale spread of a per-tenant cost factor (0: tenants cost alike). */
  tenantCostSigma: number;
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
  tenantCostSigma: 0,
};

/** What happens to every session at a given time, whichever version serves it: an incident, the daily cycle. */
export interface SharedEffects {
  /** Multiplies every session's cost (a provider incident, longer prompts by day). */
  costFactor?: number;
  /** Multiplies every session's duration. */
  durationFactor?: number;
  /** Multiplies every session's error rate (capped so the outcomes still add up). */
  errorFactor?: number;
}

/** Where and when a session runs. */
export interface SessionContext {
  /** The tenant (an index into the traffic's tenant mix), when the traffic has tenants. */
  tenant?: number;
  effects?: SharedEffects;
}

export type SessionSampler = (rng: () => number, group: VersionGroup, context?: SessionContext) => SessionRecord;

/** The outcome for a uniform draw u; a raised error rate takes its share from completed and failed alike. */
function outcomeOf(p: SessionModelParams, u: number, errorFactor: number): SessionOutcome {
  const error = Math.min(p.errorRate * errorFactor, 1 - p.loopRate);
  if (u < p.loopRate) return "loop_detected";
  if (u < p.loopRate + error) return "error";
  const rest = 1 - p.loopRate - p.errorRate;
  const completion = rest > 0 ? p.completionRate * ((1 - p.loopRate - error) / rest) : 0;
  if (u < p.loopRate + error + completion) return "completed";
  return "failed";
}

const tenantFactors = new Map<string, number>();

/** A tenant's fixed cost factor: the same for every session of the tenant, in either arm. */
export function tenantFactor(tenant: number, sigma: number): number {
  if (sigma === 0) return 1;
  const key = `${tenant}:${sigma}`;
  let f = tenantFactors.get(key);
  if (f === undefined) {
    f = Math.exp(sigma * normal(seededRandom(0x9e3779b9 ^ tenant)) - (sigma * sigma) / 2);
    tenantFactors.set(key, f);
  }
  return f;
}

/** Draws sessions of a version described by `params` (unset fields as TYPICAL_AGENT). */
export function sessionModel(params: Partial<SessionModelParams> = {}): SessionSampler {
  const p: SessionModelParams = { ...TYPICAL_AGENT, ...params };
  if (p.loopRate + p.errorRate + p.completionRate > 1) throw new Error("loopRate + errorRate + completionRate must be at most 1");
  return (rng, group, context = {}) => {
    const e = context.effects ?? {};
    const outcome = outcomeOf(p, rng(), e.errorFactor ?? 1);
    const scored = rng() < p.scoredShare;
    const tenant = context.tenant === undefined ? 1 : tenantFactor(context.tenant, p.tenantCostSigma);
    return {
      group,
      outcome,
      looped: outcome === "loop_detected",
      unsafe: rng() < p.unsafeRate,
      costUsd: p.costMedianUsd * tenant * (e.costFactor ?? 1) * Math.exp(p.costSigma * normal(rng)),
      turns: Math.max(1, Math.round(p.turnsMedian * Math.exp(p.turnsSigma * normal(rng)))),
      durationSeconds: p.durationMedianSeconds * (e.durationFactor ?? 1) * Math.exp(p.durationSigma * normal(rng)),
      qualityScore: scored ? Math.min(1, Math.max(0, p.qualityMean + p.qualitySd * normal(rng))) : undefined,
    };
  };
}
