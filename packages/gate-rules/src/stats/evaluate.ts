import type { SessionOutcome } from "@agent-canary/conventions";
import type { Gate, GatesConfig } from "../config/resolve.js";
import { KIND_SPECS, type KindSpec, type MeanKind } from "../gates/kinds.js";
import type { ArmPair, ArmStats, MomentField, Moments } from "./arms.js";
import { alwaysValidBoundary, information } from "./boundary.js";
import { meanStatistic, rateStatistic, type Comparison, type Statistic } from "./comparison.js";
import { histogramQuantile } from "./quantile.js";

export type Verdict = "pass" | "fail" | "insufficient_data";

export interface GateResult {
  gate: string;
  kind: Gate["kind"];
  action: Gate["action"];
  severity: Gate["severity"];
  verdict: Verdict;
  comparison: Gate["comparison"];
  /** canary / baseline (ratio gates) or canary − baseline (delta gates). */
  value: number;
  threshold: number;
  estimates: { canary: number; baseline: number };
  /** z distance past the tolerance; NaN when there is not enough data. */
  statistic: number;
  /** The z the statistic must exceed to fail (always-valid boundary, or 0 for threshold_only). */
  boundary: number;
  /** Effective sample size 1/(1/n_c + 1/n_b), in sessions. */
  information: number;
  samples: { canary: number; baseline: number };
  minSamples: number;
  /** p95 of each arm and their ratio, for p95 gates when bucket counts were given. */
  p95?: { canary: number; baseline: number; ratio: number };
  reason: string;
}

/** The histogram of a mean kind, as an ArmStats field. */
export const MOMENT_FIELD: Partial<Record<MeanKind["histogram"], MomentField>> = {
  sessionCost: "cost",
  sessionTurns: "turns",
  sessionDuration: "duration",
  qualityScore: "quality",
};

function momentsOf(spec: MeanKind, arm: ArmStats): Moments {
  const field = MOMENT_FIELD[spec.histogram];
  if (!field) throw new Error(`internal: no arm field for histogram ${String(spec.histogram)}`);
  return arm[field];
}

/** Events counted by a rate gate in one arm. */
export function rateEvents(gate: Gate, spec: KindSpec, arm: ArmStats): number {
  if (spec.family !== "rate") throw new Error(`internal: ${gate.kind} is not a rate gate`);
  if ("metric" in spec.events) return spec.events.metric === "loopingSessions" ? arm.loopingSessions : arm.unsafeSessions;
  const outcomes: readonly SessionOutcome[] = gate.outcomes ?? spec.events.outcomes;
  return outcomes.reduce((sum, o) => sum + (arm.outcomes[o] ?? 0), 0);
}

/** Sessions that count as samples of a gate in one arm. */
export function gateSamples(gate: Gate, arm: ArmStats): number {
  const spec = KIND_SPECS[gate.kind];
  return spec.family === "rate" ? arm.sessions : momentsOf(spec, arm).count;
}

function statisticOf(gate: Gate, arms: ArmPair): Statistic {
  const spec = KIND_SPECS[gate.kind];
  const c: Comparison = { comparison: gate.comparison, threshold: gate.threshold, harm: spec.harm };
  if (spec.family === "rate") {
    return rateStatistic(
      c,
      { events: rateEvents(gate, spec, arms.canary), n: arms.canary.sessions },
      { events: rateEvents(gate, spec, arms.baseline), n: arms.baseline.sessions },
    );
  }
  return meanStatistic(c, momentsOf(spec, arms.canary), momentsOf(spec, arms.baseline));
}

function p95Of(gate: Gate, arms: ArmPair): GateResult["p95"] {
  const spec = KIND_SPECS[gate.kind];
  if (spec.family !== "mean" || !spec.reportsP95) return undefined;
  const c = momentsOf(spec, arms.canary).buckets;
  const b = momentsOf(spec, arms.baseline).buckets;
  if (!c || !b) return undefined;
  const canary = histogramQuantile(0.95, c);
  const baseline = histogramQuantile(0.95, b);
  return { canary, baseline, ratio: canary / baseline };
}

/** The z a gate's statistic must exceed, given the information in the window. */
export function gateBoundary(gate: Gate, v: number): number {
  return gate.method === "threshold_only" ? 0 : alwaysValidBoundary(v, gate.windowAlpha, gate.rho);
}

/** One gate over one window of both arms. */
export function evaluateGate(gate: Gate, arms: ArmPair): GateResult {
  const samples = { canary: gateSamples(gate, arms.canary), baseline: gateSamples(gate, arms.baseline) };
  const v = information(samples.canary, samples.baseline);
  const base = {
    gate: gate.name,
    kind: gate.kind,
    action: gate.action,
    severity: gate.severity,
    comparison: gate.comparison,
    threshold: gate.threshold,
    information: v,
    samples,
    minSamples: gate.minSamples,
    boundary: gateBoundary(gate, v),
  };
  const noStatistic = (reason: string): GateResult => ({
    ...base,
    verdict: "insufficient_data",
    value: Number.NaN,
    estimates: { canary: Number.NaN, baseline: Number.NaN },
    statistic: Number.NaN,
    reason,
  });
  if (samples.canary < gate.minSamples || samples.baseline < gate.minSamples) {
    return noStatistic(`needs ${gate.minSamples} sessions per arm, has canary ${samples.canary}, baseline ${samples.baseline}`);
  }
  const s = statisticOf(gate, arms);
  // Zero variance in both arms makes z ±Inf or NaN: that is no evidence, and Prometheus drops it the same way.
  if (!Number.isFinite(s.z)) return noStatistic(`no finite statistic (z = ${s.z}): both arms have zero variance`);
  const p95 = p95Of(gate, arms);
  const failed = s.z > base.boundary;
  const shown = `${gate.comparison} ${s.value.toPrecision(4)} vs threshold ${gate.threshold}, z ${s.z.toFixed(2)} vs boundary ${base.boundary.toFixed(2)}`;
  return {
    ...base,
    verdict: failed ? "fail" : "pass",
    value: s.value,
    estimates: s.estimates,
    statistic: s.z,
    ...(p95 ? { p95 } : {}),
    reason: failed ? `canary worse than allowed: ${shown}` : `within tolerance: ${shown}`,
  };
}

/**
 * Every gate of a config. `arms` is one window for all gates, or a function
 * giving the window of each gate (gates may have different windows).
 */
export function evaluateGates(config: GatesConfig, arms: ArmPair | ((gate: Gate) => ArmPair)): GateResult[] {
  return config.gates.map((gate) => evaluateGate(gate, typeof arms === "function" ? arms(gate) : arms));
}
