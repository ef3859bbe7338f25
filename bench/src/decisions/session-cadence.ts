/**
 * The common early ratio gate at its own cadence: per-version totals
 * since the canary started (no window, no significance test), and the gate
 * function run after every 10 new canary sessions once the canary has 50.
 * The checks are point comparisons, including their usual edge cases:
 * a baseline without loops makes the loop ratio infinite (so it rolls back),
 * and a baseline without cost makes the cost ratio 1.
 */
import { addSession, emptyArm, seededRandom, type ArmStats, type GateKind, type SessionSampler } from "@agent-canary/gate-rules";

/** Per-version totals since the canary started, as a SQL query over a sessions table keeps them. */
interface ArmPair {
  canary: ArmStats;
  baseline: ArmStats;
}

export interface PointCheck {
  name: string;
  kind: GateKind;
  fails(arms: ArmPair): boolean;
}

const MIN_CANARY_SESSIONS = 50;

const avgCost = (a: ArmStats): number => a.quantities.cost.sum / a.sessions;
const loopRate = (a: ArmStats): number => a.loopingSessions / a.sessions;
const completion = (a: ArmStats): number => (a.outcomes.completed ?? 0) / a.sessions;

export const EARLY_RATIO_CHECKS: readonly PointCheck[] = [
  { name: "cost", kind: "cost_per_session", fails: ({ canary, baseline }) => (avgCost(baseline) ? avgCost(canary) / avgCost(baseline) : 1) > 1.3 },
  { name: "loops", kind: "loop_rate", fails: ({ canary, baseline }) => (loopRate(baseline) ? loopRate(canary) / loopRate(baseline) : Number.POSITIVE_INFINITY) > 3 },
  { name: "completion", kind: "task_completion_rate", fails: ({ canary, baseline }) => completion(canary) < completion(baseline) * 0.85 },
];

export interface CadenceOptions {
  checks: readonly PointCheck[];
  baseline: SessionSampler;
  canary: SessionSampler;
  canaryPercent: number;
  /** Stop after this many canary sessions. */
  horizonCanarySessions: number;
  checkEvery: number;
  seed: number;
}

export interface CadenceResult {
  /** Canary sessions when the first check failed, or undefined when none did within the horizon. */
  firedAt: number | undefined;
  gate: string | undefined;
}

export function simulateCadence(o: CadenceOptions): CadenceResult {
  const rng = seededRandom(o.seed);
  const arms: ArmPair = { baseline: emptyArm(), canary: emptyArm() };
  let canarySessions = 0;
  while (canarySessions < o.horizonCanarySessions) {
    const isCanary = rng() * 100 < o.canaryPercent;
    addSession(isCanary ? arms.canary : arms.baseline, isCanary ? o.canary(rng, "canary") : o.baseline(rng, "baseline"));
    if (!isCanary) continue;
    canarySessions++;
    if (canarySessions < MIN_CANARY_SESSIONS || canarySessions % o.checkEvery !== 0 || arms.baseline.sessions === 0) continue;
    const failed = o.checks.find((c) => c.fails(arms));
    if (failed) return { firedAt: canarySessions, gate: failed.name };
  }
  return { firedAt: undefined, gate: undefined };
}
