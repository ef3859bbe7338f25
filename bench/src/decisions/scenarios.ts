import { dailyCycle, TYPICAL_AGENT, zipfShares, type SessionModelParams, type Traffic } from "@agent-canary/gate-rules";
import type { Stage } from "@agent-canary/conventions";

/** Total sessions per minute, both arms: 144,000 sessions a day, a busy support agent (issue 10's figure). */
export const SESSIONS_PER_MINUTE = 100;
export const CANARY_PERCENT = 5;
const HOUR = 60;

const base = TYPICAL_AGENT;

/** A regression the gates must catch, as a change of the simulated agent's parameters. */
export interface Regression {
  readonly id: string;
  readonly title: string;
  /** The gates whose job it is (both cost gates for a cost regression). */
  readonly gates: readonly string[];
  readonly canary: Partial<SessionModelParams>;
  /** Both arms' common parameters (heavy-tailed cost). */
  readonly both?: Partial<SessionModelParams>;
}

export const REGRESSIONS: readonly Regression[] = [
  { id: "cost2x", title: "cost per session 2x", gates: ["cost", "typical_cost"], canary: { costMedianUsd: base.costMedianUsd * 2 } },
  { id: "cost1.3x", title: "cost per session 1.3x (tolerance 1.25)", gates: ["cost", "typical_cost"], canary: { costMedianUsd: base.costMedianUsd * 1.3 } },
  { id: "heavy2x", title: "cost 2x, heavy tail (lognormal sigma 2)", gates: ["cost", "typical_cost"], canary: { costMedianUsd: base.costMedianUsd * 2 }, both: { costSigma: 2 } },
  { id: "heavy1.3x", title: "cost 1.3x, heavy tail (lognormal sigma 2)", gates: ["cost", "typical_cost"], canary: { costMedianUsd: base.costMedianUsd * 1.3 }, both: { costSigma: 2 } },
  // The extra loops come out of the "failed" share: completion stays 92%, so only the loop gate has a reason to fire.
  { id: "loops3x", title: "loop rate 0.5% -> 1.5%", gates: ["loops"], canary: { loopRate: 0.015 } },
  { id: "completion78", title: "completion 92% -> 78%", gates: ["completion"], canary: { completionRate: 0.78 } },
  // Scaling the lognormal's median scales every quantile: mean and p95 turns double.
  { id: "turns2x", title: "turns per session 2x", gates: ["turns"], canary: { turnsMedian: base.turnsMedian * 2 } },
  { id: "unsafe3x", title: "unsafe sessions 0.2% -> 0.6%", gates: ["safety"], canary: { unsafeRate: base.unsafeRate * 3 } },
];

/** Each recommended gate's canary exactly at its tolerance (the null's edge): it may fail at most its share of alpha. */
export const AT_TOLERANCE: Readonly<Record<string, Partial<SessionModelParams>>> = {
  cost: { costMedianUsd: base.costMedianUsd * 1.25 },
  typical_cost: { costMedianUsd: base.costMedianUsd * 1.25 },
  loops: { loopRate: base.loopRate * 1.5 },
  completion: { completionRate: base.completionRate * 0.95 },
  // Turns are rounded to whole calls: scaling the median by 1.25 moves the mean by about as much (measured in reference.ts).
  turns: { turnsMedian: base.turnsMedian * 1.25 },
  errors: { errorRate: base.errorRate + 0.01, completionRate: base.completionRate - 0.01 },
  latency: { durationMedianSeconds: base.durationMedianSeconds * 1.15 },
  // Scores are clamped to [0, 1]: 0.05 lower in the mean is very nearly 0.05 lower after clamping.
  quality: { qualityMean: base.qualityMean - 0.05 },
  safety: {},
};

/** Something that happens to everyone for a while, from a given minute. */
function episode(from: number, minutes: number, effects: { costFactor?: number; durationFactor?: number; errorFactor?: number }): Traffic {
  return { perMinute: () => SESSIONS_PER_MINUTE, effects: (m) => (m >= from && m < from + minutes ? effects : undefined) };
}

/** The medium plan's stage change from 5% to 25% (4 h at 1%, 8 h at 5%). */
export const STAGE_CHANGE = 12 * HOUR;

export interface AAScenario {
  readonly id: string;
  readonly title: string;
  readonly traffic: Traffic | number;
  readonly both?: Partial<SessionModelParams>;
  readonly stages?: readonly Stage[];
  /** A random start hour of the traffic clock (daily cycles). */
  readonly randomStartHour?: boolean;
  /** Minutes of baseline-only production before the rollout (labelled without this rollout). */
  readonly before?: number;
  /** Default runs (the long run multiplies them). */
  readonly runs: number;
}

const stage = (percent: number, hours: number): Stage => ({ percent, minDurationSeconds: hours * 3600, minSessionsPerArm: 0 });

/** The medium plan with its 50% stage held until the rollout is 240 h old. */
export const HELD_240H: readonly Stage[] = [stage(1, 4), stage(5, 8), stage(25, 24), stage(50, 204), stage(100, 0)];

const cycle = dailyCycle(SESSIONS_PER_MINUTE, { trafficSwing: 0.5, durationSwing: 0.5, costSwing: 0.2 });
const tenantShares = zipfShares(200, 0.26);

export const AA_SCENARIOS: readonly AAScenario[] = [
  { id: "iid", title: "independent sessions, steady traffic", traffic: SESSIONS_PER_MINUTE, runs: 150 },
  { id: "history", title: "24 h of baseline traffic before the canary starts", traffic: SESSIONS_PER_MINUTE, before: 24 * HOUR, runs: 30 },
  { id: "incident", title: "provider incident at the 5% -> 25% change: cost and latency 2x for 2 h", traffic: episode(STAGE_CHANGE, 2 * HOUR, { costFactor: 2, durationFactor: 2 }), runs: 40 },
  { id: "spike", title: "error spike at the 5% -> 25% change: errors 1% -> 20% for 30 min", traffic: episode(STAGE_CHANGE, 30, { errorFactor: 20 }), runs: 40 },
  { id: "diurnal", title: "daily cycle: traffic +-50%, latency up to +50% and cost up to +20% by day, random start hour", traffic: cycle, randomStartHour: true, runs: 40 },
  {
    id: "tenants",
    title: "200 tenants (Zipf, top one 26%), tenant cost factors (sigma 1); top tenant overridden to baseline, tenants 2-3 to canary",
    traffic: { perMinute: () => SESSIONS_PER_MINUTE, tenants: { shares: tenantShares, overrides: new Map([[0, "baseline" as const], [1, "canary" as const], [2, "canary" as const]]) } },
    both: { tenantCostSigma: 1 },
    runs: 40,
  },
  { id: "heavy", title: "heavy-tailed cost (lognormal sigma 2)", traffic: SESSIONS_PER_MINUTE, both: { costSigma: 2 }, runs: 40 },
  { id: "held", title: "held at 50% until 240 h (look-back 7 d: the last 72 h are the second span)", traffic: SESSIONS_PER_MINUTE, stages: HELD_240H, runs: 12 },
  { id: "low", title: "low traffic: 20 sessions per hour", traffic: 20 / 60, runs: 300 },
];

export { tenantShares };
