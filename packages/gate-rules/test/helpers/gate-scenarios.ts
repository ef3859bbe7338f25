import { evaluateGate, gateSources, PRESETS, sessionModel, type ArmPair, type Gate, type GateKind, type SessionModelParams, type SessionSampler } from "../../src/index.js";
import { testGatesYaml } from "./promtool.js";
import { minuteBins, windowArms, type CounterSeries, type Scenario } from "./series.js";

/**
 * The gate scenarios every rule engine is held to (promtool-rules.test.ts runs them in
 * Prometheus, vmalert-rules.test.ts in vmalert + VictoriaMetrics), with what the in-process
 * evaluator decides for each. Every scenario is its own deployment, so one run (one
 * engine evaluating the rules over one set of series) covers all of them: an engine's
 * cost is per rule evaluation, not per series.
 */
export const REGRESSION: Record<GateKind, Partial<SessionModelParams>> = {
  cost_per_session: { costMedianUsd: 0.08 },
  loop_rate: { loopRate: 0.1, completionRate: 0.84 },
  task_completion_rate: { completionRate: 0.78 },
  p95_turns: { turnsMedian: 12 },
  error_rate: { errorRate: 0.12, completionRate: 0.85 },
  p95_latency: { durationMedianSeconds: 80 },
  judge_quality: { qualityMean: 0.6 },
  safety_violations: { unsafeRate: 0.06 },
};

export const END = 90;
export const WINDOW = 30;
export const FOR = 2;
export const CHECKS = [40, 55, 70, END];

export interface Case {
  scenario: Scenario;
  /** How the agent of this deployment exports (the config says prometheus). */
  mode: "prometheus" | "otlp";
  /** Gates whose statistic cannot exist for this deployment whatever the evaluator says (misnamed series). */
  unseen: (gate: Gate) => boolean;
}

/** Exactly representable per-session values, identical in every session: both arms have zero variance. */
function constant(turns: number, costUsd: number, durationSeconds: number, qualityScore: number): SessionSampler {
  return (_rng, group) => ({ group, outcome: "completed", costUsd, turns, durationSeconds, looped: false, unsafe: false, qualityScore });
}

function scenario(deployment: string, seed: number, canary: SessionSampler, canaryPerMinute = 20, baseline = sessionModel()): Scenario {
  return { deployment, minutes: END, seed, baseline: { model: baseline, perMinute: 20 }, canary: { model: canary, perMinute: canaryPerMinute } };
}

export const KINDS = PRESETS.recommended.map((g) => g.kind);
const seen = () => false;
export const CASES: Case[] = [
  ...KINDS.map((kind) => ({ scenario: scenario(`regressed-${kind}`, 11, sessionModel(REGRESSION[kind])), mode: "prometheus" as const, unseen: seen })),
  ...KINDS.map((kind) => ({ scenario: scenario(`few-${kind}`, 13, sessionModel(REGRESSION[kind]), 3), mode: "prometheus" as const, unseen: seen })),
  { scenario: scenario("identical", 12, sessionModel()), mode: "prometheus", unseen: seen },
  // Twice as many turns, cost, duration and half a point less quality, all without any spread: z is ±Inf or NaN.
  { scenario: scenario("zero-variance", 13, constant(12, 0.5, 64, 0.5), 20, constant(6, 0.25, 32, 0.75)), mode: "prometheus", unseen: seen },
  // The agent exports OTLP names, the config says prometheus: the gates whose series differ are blind.
  {
    scenario: scenario("otlp-names", 14, sessionModel()),
    mode: "otlp",
    unseen: (gate) => JSON.stringify(gateSources(gate, "otlp")) !== JSON.stringify(gateSources(gate, "prometheus")),
  },
];

/** Shadow mode: comparisons per minute and their (constant) similarity, for one candidate per deployment. */
export interface ShadowCase {
  deployment: string;
  perMinute: number;
  similarity: number;
}

export const SHADOW_MIN_REQUESTS = 100;
export const SHADOW_MIN_SIMILARITY = 0.9;
export const SHADOW_CASES: ShadowCase[] = [
  { deployment: "shadow-low", perMinute: 20, similarity: 0.5 },
  // As dissimilar, but 2 a minute: 60 comparisons in the window, below the minimum.
  { deployment: "shadow-few", perMinute: 2, similarity: 0.5 },
  { deployment: "shadow-high", perMinute: 20, similarity: 0.96875 },
];

/** The shadow metrics of one case: counters rising by the same amount every minute, 0..END. */
export function shadowCounters(c: ShadowCase): CounterSeries {
  const labels = `deployment="${c.deployment}",version_hash="cand-${c.deployment}",production_version_hash="prod"`;
  const rising = (perMinute: number) => Array.from({ length: END + 1 }, (_, m) => m * perMinute);
  return new Map([
    [`agent_canary_shadow_similarity_sum{${labels},method="lexical"}`, rising(c.perMinute * c.similarity)],
    [`agent_canary_shadow_similarity_count{${labels},method="lexical"}`, rising(c.perMinute)],
    [`agent_canary_shadow_comparisons_total{${labels},decision="agree",band="similar"}`, rising(c.perMinute)],
  ]);
}

/** Fires for a case with at least the minimum comparisons in the window and a mean similarity below the minimum. */
export const shadowFires = (c: ShadowCase): boolean => c.perMinute * WINDOW >= SHADOW_MIN_REQUESTS && c.similarity < SHADOW_MIN_SIMILARITY;

/** The gates config every engine runs the scenarios with: all recommended gates, test-sized, and the shadow gate. */
export const SCENARIO_GATES_YAML =
  testGatesYaml([...CASES.map((c) => c.scenario.deployment), ...SHADOW_CASES.map((c) => c.deployment)], `window: ${WINDOW}m, for: ${FOR}m, minSamples: 100`) +
  `shadow: {minSimilarity: ${SHADOW_MIN_SIMILARITY}, minRequests: ${SHADOW_MIN_REQUESTS}, window: ${WINDOW}m}\n`;

const bins = new Map(CASES.map((c) => [c.scenario.deployment, minuteBins(c.scenario)]));
export const binsOf = (c: Case): ArmPair[] => bins.get(c.scenario.deployment) ?? [];
export const verdictAt = (gate: Gate, c: Case, t: number) => evaluateGate(gate, windowArms(binsOf(c), t, WINDOW));

/** The evaluator's view of a minute: does the gate fail, and would the engine see sessions but no statistic? */
export function stateAt(gate: Gate, c: Case, t: number): { fails: boolean; blind: boolean } {
  const arms = windowArms(binsOf(c), t, WINDOW);
  const r = evaluateGate(gate, arms);
  const flowing = arms.canary.sessions >= gate.minSamples && arms.baseline.sessions >= gate.minSamples;
  const noStatistic = c.unseen(gate) || r.verdict === "insufficient_data";
  return { fails: !c.unseen(gate) && r.verdict === "fail", blind: flowing && noStatistic };
}

/** An alert fires at t when its condition held at every evaluation of its `for` period, t included. */
export function holds(minutes: number, t: number, condition: (minute: number) => boolean): boolean {
  for (let m = t - minutes; m <= t; m++) if (m < 0 || !condition(m)) return false;
  return true;
}

export const firesAt = (gate: Gate, c: Case, t: number) => holds(FOR, t, (m) => stateAt(gate, c, m).fails);
export const blindAt = (gate: Gate, c: Case, t: number) => holds(WINDOW, t, (m) => stateAt(gate, c, m).blind);
