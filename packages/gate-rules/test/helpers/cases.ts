import type { GateKind, SessionModelParams, SessionSampler } from "../../src/index.js";
import { sessionModel } from "../../src/index.js";
import { testGatesYaml } from "./promtool.js";
import type { Phase, Scenario } from "./scenario.js";

/**
 * The promtool scenarios of issue 10, each its own deployment so that one
 * promtool run covers them all. `expect` says what each scenario must decide;
 * the test checks the evaluator agrees, then that Prometheus does.
 */
export const END = 150;

export const healthy = sessionModel();
export const model = (p: Partial<SessionModelParams>): SessionSampler => sessionModel(p);

/** A regression each gate kind must catch. */
export const REGRESSION: Record<GateKind, Partial<SessionModelParams>> = {
  cost_per_session: { costMedianUsd: 0.08 },
  cost_geometric_mean: { costMedianUsd: 0.08 },
  loop_rate: { loopRate: 0.1, completionRate: 0.84 },
  task_completion_rate: { completionRate: 0.7 },
  turns_per_session: { turnsMedian: 12 },
  error_rate: { errorRate: 0.12, completionRate: 0.85 },
  session_duration: { durationMedianSeconds: 80 },
  judge_quality: { qualityMean: 0.6 },
  safety_violations: { unsafeRate: 0.06 },
};

const phase = (rolloutId: string, from: number, to: number, percent: number, canary: SessionSampler, rest: Partial<Phase> = {}): Phase => ({
  rolloutId,
  from,
  to,
  percent,
  perMinute: 40,
  baseline: healthy,
  canary,
  ...rest,
});

/** Exactly representable per-session values, the same in every session. */
const constant: SessionSampler = (_rng, group) => ({ group, outcome: "completed", costUsd: 0.25, turns: 6, durationSeconds: 32, looped: false, unsafe: false, qualityScore: 0.75 });

/** A canary whose n-th session (1-based) loops, and no other: the first event of a new series. */
function loopsOnce(at: number): SessionSampler {
  let calls = 0;
  const quiet = sessionModel({ loopRate: 0 });
  return (rng, group, context) => {
    calls += 1;
    const s = quiet(rng, group, context);
    return calls === at ? { ...s, outcome: "loop_detected", looped: true } : s;
  };
}

export interface Case {
  scenario: Scenario;
  /** Gates that must fail (alert firing) at the given minutes; every other gate must not fail then. */
  fails?: Record<string, readonly number[]>;
  /** Gates that must never fail in this scenario. */
  neverFails?: "all" | readonly string[];
  /** Gates that must be passing (verdict -1) at the end. */
  passesAtEnd?: readonly string[];
  /** Every gate's verdict must be 0 (undecided) at the end. */
  undecidedAtEnd?: boolean;
  /** Gates whose blind warning must be firing at the end. */
  blindAtEnd?: readonly string[];
}

const RID = (n: number) => `20261129T16${String(n).padStart(2, "0")}00Z-c0ffee0${n}`;

/** Every regression of REGRESSION at once (they fit: loops 10% + errors 12% + completion 70% <= 1). */
const EVERYTHING_WORSE: Partial<SessionModelParams> = Object.assign({}, ...Object.values(REGRESSION), { completionRate: 0.7 });

export function cases(gateNames: readonly string[]): Case[] {
  const cost2x = model({ costMedianUsd: 0.08 });
  const oldCanary = model({ costMedianUsd: 0.08, loopRate: 0.1, completionRate: 0.84 });
  return [
    // Every gate kind catches its regression.
    { scenario: { deployment: "regressed", minutes: END, seed: 11, phases: [phase(RID(1), 0, 100, 25, model(EVERYTHING_WORSE))] }, fails: Object.fromEntries(gateNames.map((g) => [g, [100]])) },
    // Half an hour of production before the canary (no rollout: the agents label it no_rollout, without rollout_id), then an identical canary.
    {
      scenario: {
        deployment: "before-rollout",
        minutes: END,
        seed: 20,
        phases: [phase("", 0, 30, 0, healthy, { assignment: "no_rollout" }), phase(RID(1) + "b", 30, END, 25, healthy)],
      },
      neverFails: "all",
    },
    // A rolled-back canary (2x cost, 10% loops) and a healthy one started 10 minutes later: only the old one's gates fail,
    // and the receiver's info series mutes them once the old rollout is rolled back.
    {
      scenario: {
        deployment: "old-canary",
        minutes: END,
        seed: 21,
        phases: [phase(RID(2), 0, 40, 25, oldCanary), phase(RID(3), 50, END, 25, healthy)],
        info: [
          { from: 0, to: 40, rolloutId: RID(2), phase: "progressing" },
          { from: 40, to: 50, rolloutId: RID(2), phase: "rolled_back" },
          { from: 50, rolloutId: RID(3), phase: "progressing" },
        ],
      },
      fails: { cost: [35] },
    },
    // The same without the receiver's info series: the old rollout's alerts keep firing, labelled with its own rollout_id.
    { scenario: { deployment: "old-canary-no-receiver", minutes: END, seed: 21, phases: [phase(RID(2), 0, 40, 25, oldCanary), phase(RID(3), 50, END, 25, healthy)] }, fails: { cost: [35, 90] } },
    // A healthy canary promoted at 40 (its hash becomes the baseline), then a 2x-cost canary: caught on its own sessions.
    {
      scenario: {
        deployment: "promotion",
        minutes: END,
        seed: 22,
        phases: [phase(RID(4), 0, 40, 25, healthy, { canaryHash: "a1a1a1a1a1a1a1a1" }), phase(RID(5), 40, END, 25, cost2x, { baselineHash: "a1a1a1a1a1a1a1a1" })],
      },
      fails: { cost: [80] },
    },
    // Identical versions; cost and latency double and errors jump tenfold for everyone for 40 minutes from the 5% -> 25% stage change.
    {
      scenario: {
        deployment: "incident",
        minutes: END,
        seed: 23,
        phases: [phase(RID(6), 0, 40, 5, healthy), phase(RID(6), 40, END, 25, healthy, { effects: (m) => (m >= 40 && m < 80 ? { costFactor: 2, durationFactor: 2, errorFactor: 10 } : undefined) })],
      },
      neverFails: "all",
    },
    // The same incident with a canary that really costs 2x: still caught.
    {
      scenario: {
        deployment: "incident-regressed",
        minutes: END,
        seed: 23,
        phases: [phase(RID(7), 0, 40, 5, cost2x), phase(RID(7), 40, END, 25, cost2x, { effects: (m) => (m >= 40 && m < 80 ? { costFactor: 2, durationFactor: 2 } : undefined) })],
      },
      fails: { cost: [100] },
    },
    // Identical versions under a compressed daily cycle: latency and cost up to 50% higher at the peak.
    {
      scenario: {
        deployment: "diurnal",
        minutes: END,
        seed: 24,
        phases: [phase(RID(8), 0, END, 25, healthy, { effects: (m) => ({ durationFactor: 1.25 + 0.25 * Math.cos((2 * Math.PI * m) / 60), costFactor: 1.25 + 0.25 * Math.cos((2 * Math.PI * m) / 60) }) })],
      },
      neverFails: "all",
    },
    // A 2x-cost canary and a 12-minute Prometheus outage after its alert fired: the alert keeps firing through and after it.
    { scenario: { deployment: "outage", minutes: END, seed: 25, gaps: [[50, 62]], phases: [phase(RID(9), 0, END, 25, cost2x)] }, fails: { cost: [45, 55, 60, 70, 100] } },
    // A canary whose 5th session is the first loop of its series: counted (the series exist from 0).
    { scenario: { deployment: "first-event", minutes: END, seed: 27, phases: [phase(RID(11), 0, 40, 25, loopsOnce(5), { baseline: model({ loopRate: 0 }) })] }, neverFails: "all" },
    // One deployment name in two clusters: a 2x-cost canary in eu, a healthy one in us; and a 2x canary in a staging namespace the matchers leave out.
    { scenario: { deployment: "shared", labels: { cluster: "eu", namespace: "prod" }, minutes: END, seed: 28, phases: [phase(RID(12), 0, 100, 25, cost2x)] }, fails: { cost: [100] } },
    { scenario: { deployment: "shared", labels: { cluster: "us", namespace: "prod" }, minutes: END, seed: 29, pods: 2, phases: [phase(RID(12), 0, 100, 25, healthy)] }, neverFails: "all" },
    { scenario: { deployment: "shared", labels: { cluster: "us", namespace: "staging" }, minutes: END, seed: 30, phases: [phase(RID(13), 0, 100, 25, cost2x)] }, neverFails: "all" },
    // Identical versions; a tenant with 30% of the sessions, three times as costly, forced to the canary by an override.
    { scenario: { deployment: "tenant-override", minutes: END, seed: 31, phases: [phase(RID(14), 0, 100, 25, healthy, { override: { share: 0.3, group: "canary", sampler: model({ costMedianUsd: 0.12 }) } })] }, neverFails: "all" },
    // Every session routed by a shared key: the gates cannot compare (undecided) and the rollout says so.
    { scenario: { deployment: "routing-key", minutes: END, seed: 32, phases: [phase(RID(15), 0, 100, 25, cost2x, { assignment: "routing_key" })] }, neverFails: "all", undecidedAtEnd: true },
    // Three outcomes: plenty of identical sessions pass, a trickle stays undecided, a regression fails (above).
    { scenario: { deployment: "plenty", minutes: END, seed: 33, phases: [phase(RID(16), 0, END, 50, healthy, { perMinute: 60 })] }, neverFails: "all", passesAtEnd: ["cost", "typical_cost", "turns"] },
    { scenario: { deployment: "trickle", minutes: END, seed: 34, phases: [phase(RID(17), 0, END, 1, cost2x, { perMinute: 20 })] }, neverFails: "all", undecidedAtEnd: true },
    // No judge scores: the quality gate sees split sessions but no quantity, and says it is blind.
    { scenario: { deployment: "no-judge", minutes: END, seed: 37, phases: [phase(RID(20), 0, END, 25, model({ scoredShare: 0 }), { baseline: model({ scoredShare: 0 }) })] }, neverFails: "all", blindAtEnd: ["quality"] },
    // Every session alike in both arms (turns, cost, duration, score): zero variance, no evidence either way, blind.
    { scenario: { deployment: "zero-variance", minutes: END, seed: 38, phases: [phase(RID(21), 0, END, 25, constant, { baseline: constant })] }, neverFails: "all", blindAtEnd: ["cost", "typical_cost", "turns", "latency", "quality"] },
    // Rare events: unsafe sessions 0.3% vs 5% in the canary (about thirty events in the first hour) fails.
    { scenario: { deployment: "rare-events", minutes: END, seed: 35, phases: [phase(RID(18), 0, 100, 25, model({ unsafeRate: 0.05 }), { baseline: model({ unsafeRate: 0.003 }) })] }, fails: { safety: [60] } },
  ];
}

/** Shadow mode: comparisons per minute and their (constant) similarity, for one candidate per deployment. */
export interface ShadowCase {
  deployment: string;
  perMinute: number;
  similarity: number;
}

export const SHADOW_MIN_REQUESTS = 100;
export const SHADOW_MIN_SIMILARITY = 0.9;
export const SHADOW_WINDOW = 30;
export const SHADOW_CASES: ShadowCase[] = [
  { deployment: "shadow-low", perMinute: 20, similarity: 0.5 },
  // As dissimilar, but 2 a minute: 60 comparisons in the window, below the minimum.
  { deployment: "shadow-few", perMinute: 2, similarity: 0.5 },
  { deployment: "shadow-high", perMinute: 20, similarity: 0.96875 },
];

/**
 * The shadow metrics of one case: counters rising by the same amount every minute, 0..END.
 * Beside the live series, a replay of recorded inputs at the same rate with similarity 0:
 * the gate reads live comparisons only, so a replay never makes shadow-high fire (added in,
 * its mean would be half of 0.97, far below the minimum).
 */
export function shadowCounters(c: ShadowCase): Map<string, (number | undefined)[]> {
  const rising = (perMinute: number) => Array.from({ length: END + 1 }, (_, m) => m * perMinute);
  const series = (source: "live" | "replay", similarity: number): [string, (number | undefined)[]][] => {
    const labels = `deployment="${c.deployment}",version_hash="cand-${c.deployment}",production_version_hash="prod",source="${source}"`;
    return [
      [`agent_canary_shadow_similarity_sum{${labels},method="lexical"}`, rising(c.perMinute * similarity)],
      [`agent_canary_shadow_similarity_count{${labels},method="lexical"}`, rising(c.perMinute)],
      [`agent_canary_shadow_comparisons_total{${labels},decision="agree",band="similar"}`, rising(c.perMinute)],
    ];
  };
  return new Map([...series("live", c.similarity), ...series("replay", 0)]);
}

/** Fires once the window holds the minimum comparisons and the mean similarity is below the minimum. */
export const shadowFiresAt = (c: ShadowCase, t: number): boolean => c.perMinute * Math.min(t, SHADOW_WINDOW) >= SHADOW_MIN_REQUESTS && c.similarity < SHADOW_MIN_SIMILARITY;

/** The gates config every engine runs the scenarios with: all recommended gates, test-sized, two environments, and the shadow gate. */
export function scenarioGatesYaml(deployments: readonly string[]): string {
  return testGatesYaml(
    [...deployments, ...SHADOW_CASES.map((c) => c.deployment)],
    `minSamples: 30, for: ${FOR}m`,
    `by: [cluster]\nmatchers: ['namespace!="staging"']\nshadow: {minSimilarity: ${SHADOW_MIN_SIMILARITY}, minRequests: ${SHADOW_MIN_REQUESTS}, window: ${SHADOW_WINDOW}m}\n`,
  );
}

export const FOR = 2;
