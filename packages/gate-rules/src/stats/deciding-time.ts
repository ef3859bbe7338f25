import type { Gate } from "../config/resolve.js";
import { KIND_SPECS } from "../gates/kinds.js";
import type { ArmTotals } from "./formula/compile.js";
import { gateEvaluator, verdictOf, type GateVerdict } from "./judge.js";

/** Split sessions per hour reaching each arm at the current allocation (the increase of agent_canary_sessions_total). */
export interface ArmTraffic {
  canaryPerHour: number;
  baselinePerHour: number;
}

/**
 * What the baseline does per session, in the gate's own quantity: the event
 * rate for rate gates; the mean and variance of the value for mean gates (of
 * ln(cost/1e-6) for cost_geometric_mean). The recorded estimate and within-stratum
 * sums give both.
 */
export interface BaselineMoments {
  mean: number;
  variance?: number;
  /** Share of sessions that carry the gate's quantity (judge scores, priced sessions); default 1. */
  observedShare?: number;
}

/** The canary to plan for: the same as the baseline (how long until it passes), or a regression (how long until it fails). */
export interface PlannedCanary {
  outcome: "passing" | "failing";
  /** The canary's per-session mean (rate) in the gate's quantity; default the baseline's. */
  mean?: number;
  /** Its per-session variance; default the baseline's, scaled with the mean on a linear scale. */
  variance?: number;
}

export interface DecidingTime {
  gate: string;
  outcome: "passing" | "failing";
  /** Canary sessions the gate needs, at this allocation, for the expected evidence to cross its boundary; Infinity: never. */
  canarySessions: number;
  /** Hours at the current traffic; Infinity: never. */
  hours: number;
  reason: string;
}

/** The largest sample searched: beyond a billion canary sessions a gate is "never" for any agent. */
const MAX_SESSIONS = 1e9;

function expectedTotals(n: number, mean: number, variance: number, rate: boolean): ArmTotals {
  return rate ? { n, x: n * mean, s: 0, q: 0 } : { n, x: 0, s: n * mean, q: n * (variance + mean * mean) };
}

/**
 * Canary sessions, and hours at the current traffic, a gate needs to pass an
 * identical canary or to fail a given regression: the first sample size at
 * which the gate's own formulas, fed the expected totals (one stratum at the
 * current allocation), cross the boundary. It is the median path: half of real
 * rollouts decide sooner, half later (STATISTICS.md has the spread measured by
 * simulation). The controller uses it to say up front that a gate cannot decide
 * at this traffic instead of waiting for evidence that will not come.
 */
export function decidingTime(gate: Gate, traffic: ArmTraffic, baseline: BaselineMoments, plan: PlannedCanary): DecidingTime {
  const spec = KIND_SPECS[gate.kind];
  const rate = spec.family === "rate";
  const share = baseline.observedShare ?? 1;
  const canaryMean = plan.mean ?? baseline.mean;
  const baselineVariance = rate ? baseline.mean * (1 - baseline.mean) : (baseline.variance ?? 0);
  const scale = !rate && spec.scale === "linear" && baseline.mean !== 0 ? canaryMean / baseline.mean : 1;
  const canaryVariance = rate ? canaryMean * (1 - canaryMean) : (plan.variance ?? baselineVariance * scale * scale);
  const allocation = traffic.baselinePerHour / traffic.canaryPerHour;
  const evaluate = gateEvaluator(gate);
  const verdictAt = (canarySessions: number): GateVerdict => {
    const canary = expectedTotals(canarySessions * share, canaryMean, canaryVariance, rate);
    const base = expectedTotals(canarySessions * allocation * share, baseline.mean, baselineVariance, rate);
    return verdictOf(gate, evaluate({ strata: [{ canary, baseline: base }], span: 1 })).verdict;
  };
  const never = (reason: string): DecidingTime => ({ gate: gate.name, outcome: plan.outcome, canarySessions: Number.POSITIVE_INFINITY, hours: Number.POSITIVE_INFINITY, reason });
  if (!(traffic.canaryPerHour > 0) || !(traffic.baselinePerHour > 0)) return never("no split sessions reach one of the arms at this allocation");
  let high = Math.max(1, gate.minSamples / share, (gate.minSamples * (1 / allocation)) / share);
  while (verdictAt(high) !== plan.outcome) {
    high *= 2;
    if (high > MAX_SESSIONS) return never(`the expected evidence never crosses the ${plan.outcome === "passing" ? "pass" : "fail"} boundary (within ${MAX_SESSIONS} canary sessions)`);
  }
  let low = high / 2;
  while (high - low > Math.max(1, high * 1e-3)) {
    const mid = (low + high) / 2;
    if (verdictAt(mid) === plan.outcome) high = mid;
    else low = mid;
  }
  const canarySessions = Math.ceil(high);
  const hours = canarySessions / traffic.canaryPerHour;
  return { gate: gate.name, outcome: plan.outcome, canarySessions, hours, reason: `about ${canarySessions} canary sessions, ${hours.toFixed(1)} h at ${traffic.canaryPerHour.toFixed(1)} canary sessions/h` };
}
