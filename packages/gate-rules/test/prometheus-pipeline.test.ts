// The whole generated rule chain, in-process: the agents' raw counters of several
// rollouts (two pods each, plus series the gates must never read) go through the
// input layer and every gate group of recordingRules() (helpers/promql-subset.ts
// evaluates each rule in order, as Prometheus runs the groups), then the alerts and
// the controller's reading query run over what was recorded. Each rollout's
// verdicts must be what judgeGate() says for its own split sessions: a rule that
// reads the wrong outcome, quantity, arm, deployment or assignment, or mixes two
// rollouts, changes them. Real Prometheus runs the same chain over time in
// promtool-rules.test.ts and differential.test.ts (slowly, not under mutation).
import fc from "fast-check";
import type { VersionGroup } from "@agent-canary/conventions";
import { describe, expect, it } from "vitest";
import {
  blindAlertExpr,
  failedAlertExpr,
  gateReadingQuery,
  judgeGate,
  notComparableExpr,
  parseGatesConfig,
  readGateVerdicts,
  seededRandom,
  sessionModel,
  type Gate,
  type GateJudgement,
  type SessionModelParams,
} from "../src/index.js";
import { RECORDED } from "../src/prometheus/names.js";
import { evaluatePromql, type Labels, type Sample } from "./helpers/promql-subset.js";
import { evaluateRecordingRules, rawCounters, strataOf, type RawArm } from "./helpers/raw-counters.js";

// A rate range of 4 evaluation intervals: the increments are increase × 1/4 (a factor
// of 1 would hide a wrong one), exact in binary floating point. The recommended
// preset's gates read every input (outcomes both ways, looping and unsafe sessions,
// each quantity), and one more counts two outcomes as its events; promql-render.test.ts
// covers every test, comparison and method.
const STEPS = 4;
const config = parseGatesConfig(`deployments: [a, b.c]
matchers: ['namespace="x"']
by: [cluster]
rateRange: ${STEPS}m
gates:
  - { kind: error_rate, name: unfinished, outcomes: [error, failed], comparison: delta, threshold: 0.02 }
`);
const NOW = 1_800_000_000;

/** Two rollouts with the same rollout_id in two clusters (kept apart by `by`), and one whose sessions were never split. */
const EU = { cluster: "eu", deployment: "b.c", rollout_id: "r1" };
const US = { cluster: "us", deployment: "b.c", rollout_id: "r1" };
const UNSPLIT = { cluster: "eu", deployment: "a", rollout_id: "r7" };
const ns = (rollout: Labels) => ({ ...rollout, namespace: "x" });
const CANARY_HASH = "c0ffee00c0ffee00";

interface Traffic {
  seed: number;
  canary: Partial<SessionModelParams>;
  /** Sessions per stratum and arm: canary at 5% and 25%, baseline at 5% and 25%. */
  sizes: readonly [number, number, number, number];
}

/** A rollout's split arms at 5% and 25%, canary and baseline, on two pods. */
function rolloutArms(rollout: Labels, t: Traffic, baseline: Partial<SessionModelParams> = {}): RawArm[] {
  const rng = seededRandom(t.seed);
  const draw = (group: VersionGroup, n: number) => {
    const sampler = sessionModel(group === "canary" ? t.canary : baseline);
    return Array.from({ length: n }, () => sampler(rng, group));
  };
  const [c5, c25, b5, b25] = t.sizes;
  const arm = (percent: string, group: VersionGroup, n: number): RawArm => ({
    rollout: ns(rollout),
    percent,
    group,
    versionHash: group === "canary" ? CANARY_HASH : "b0b0b0b0b0b0b0b0",
    sessions: draw(group, n),
    pods: 2,
  });
  return [arm("5", "canary", c5), arm("25", "canary", c25), arm("5", "baseline", b5), arm("25", "baseline", b25)];
}

/** Series the gates must never count: other deployments and namespaces, sessions not split, sessions of no rollout. */
function strangers(): RawArm[] {
  const loud = sessionModel({ errorRate: 0.6, completionRate: 0.1, loopRate: 0.2, unsafeRate: 0.5, costMedianUsd: 9, turnsMedian: 40, qualityMean: 0.1 });
  const rng = seededRandom(99);
  const arm = (rollout: Labels, group: VersionGroup, extra: Partial<RawArm> = {}): RawArm => ({
    rollout,
    percent: "5",
    group,
    versionHash: group === "canary" ? "badbadbadbadbad0" : "b0b0b0b0b0b0b0b0",
    sessions: Array.from({ length: 400 }, () => loud(rng, group)),
    pods: 1,
    ...extra,
  });
  return [
    // "b.c" is a dot, not any character: bxc is another deployment.
    arm({ ...ns(EU), deployment: "bxc" }, "canary"),
    arm({ ...EU, namespace: "y" }, "canary"),
    arm(ns(EU), "canary", { assignment: "tenant_override" }),
    arm(ns(EU), "baseline", { assignment: "fail_closed" }),
    arm({ ...ns(EU), rollout_id: "" }, "baseline", { assignment: "no_rollout" }),
    arm(ns(UNSPLIT), "canary", { assignment: "routing_key" }),
    arm(ns(UNSPLIT), "baseline", { assignment: "routing_key" }),
  ];
}

function scenario(eu: Traffic, us: Traffic) {
  const euArms = rolloutArms(EU, eu);
  // In the US cluster no session is scored by a judge: the quality gates have no quantity.
  const usArms = rolloutArms(US, us, { scoredShare: 0 }).map((a) => ({ ...a, sessions: a.sessions.map((s) => ({ ...s, qualityScore: undefined })) }));
  const store = evaluateRecordingRules(config, rawCounters(config, [...euArms, ...usArms, ...strangers()], STEPS), NOW);
  const judged = (arms: RawArm[]) => new Map(config.gates.map((g) => [g.name, judgeGate(g, strataOf(arms), 1)]));
  return { store, expected: new Map([[EU, judged(euArms)], [US, judged(usArms)]]) };
}

/** What an alert expression returns over the recorded series: its samples' labels. */
function firing(expr: string, store: Map<string, Sample[]>): Labels[] {
  const v = evaluatePromql(expr, store, NOW);
  if (v.kind !== "vector") throw new Error("an alert expression must give a vector");
  return v.samples.map((s) => s.labels);
}

const near = (actual: number, expected: number, label: string) => {
  if (Number.isNaN(expected)) return expect(actual, label).toBeNaN();
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
};

/** The controller's reading of one rollout, through gateReadingQuery and readGateVerdicts, against judgeGate. */
function expectReadingsMatch(store: Map<string, Sample[]>, rollout: Labels, expected: Map<string, GateJudgement>): void {
  const query = gateReadingQuery(config, { deployment: rollout.deployment ?? "", rolloutId: rollout.rollout_id ?? "", environment: { cluster: rollout.cluster ?? "" } });
  const v = evaluatePromql(query, store, NOW);
  if (v.kind !== "vector") throw new Error("the reading query must give a vector");
  const readings = readGateVerdicts(config, v.samples.map((s) => ({ metric: s.labels, value: [NOW, String(s.value)] })));
  for (const r of readings) {
    const want = expected.get(r.gate);
    if (!want) throw new Error(`no judgement for ${r.gate}`);
    const at = `${rollout.cluster} ${r.gate}`;
    expect(r.verdict, `${at}: ${want.reason}`).toBe(want.verdict);
    // No sample in an arm: the rules record no series (NaN to the controller), judgeGate counts 0.
    near(r.samples.canary, want.samples.canary || Number.NaN, `${at} canary samples`);
    near(r.samples.baseline, want.samples.baseline || Number.NaN, `${at} baseline samples`);
    near(r.value, want.value, `${at} value`);
    near(r.fail.statistic, want.fail.statistic, `${at} fail statistic`);
    near(r.fail.boundary, want.fail.boundary, `${at} fail boundary`);
    near(r.pass.statistic, want.pass.statistic, `${at} pass statistic`);
    near(r.pass.boundary, want.pass.boundary, `${at} pass boundary`);
    near(r.information, want.information, `${at} information`);
    expect(r.span, at).toBe(1);
  }
}

/** The rollout and gate of each firing alert, as "cluster/gate". */
const keys = (labels: Labels[]) => labels.map((l) => `${l.cluster}/${l.gate ?? ""}`).sort();

const traffic = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  canary: fc.record({
    completionRate: fc.constantFrom(0.8, 0.88),
    errorRate: fc.constantFrom(0.01, 0.03, 0.08),
    loopRate: fc.constantFrom(0.005, 0.04),
    costMedianUsd: fc.constantFrom(0.03, 0.04, 0.07),
    turnsMedian: fc.constantFrom(5, 6, 9),
    qualityMean: fc.constantFrom(0.6, 0.8, 0.85),
  }),
  sizes: fc.tuple(fc.integer({ min: 150, max: 400 }), fc.integer({ min: 150, max: 400 }), fc.integer({ min: 300, max: 900 }), fc.integer({ min: 300, max: 900 })),
});

describe("the generated rules, from the agents' raw counters to the verdicts", () => {
  it("give each rollout the verdicts, statistics and boundaries judgeGate gives its own split sessions, and page for exactly the failing gates", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(traffic, traffic, (eu, us) => {
        const { store, expected } = scenario(eu, us);
        for (const [rollout, judged] of expected) {
          expectReadingsMatch(store, rollout, judged);
          for (const j of judged.values()) seen.add(j.verdict);
        }
        const failing = [...expected].flatMap(([rollout, judged]) => [...judged.values()].filter((j) => j.verdict === "failing").map((j) => `${rollout.cluster}/${j.gate}`));
        const fired = config.gates.flatMap((g) => firing(failedAlertExpr(g, config), store));
        expect(keys(fired)).toEqual(failing.sort());
        // Labelled with the canary's version (never the strangers' badbad... canary).
        for (const labels of fired) expect(labels.version_hash).toBe(CANARY_HASH);
      }),
      // Fewer cases under a mutation run (scripts/mutation.sh sets the variable), where this file runs per mutant.
      { numRuns: process.env.AGENT_CANARY_MUTATION_PACKAGE ? 2 : 5, seed: 14 },
    );
    // The cases reach every verdict, so the comparison above is not between two "undecided"s.
    expect([...seen].sort()).toEqual(["failing", "passing", "undecided"]);
  });

  it("around the verdicts: warn where a gate is blind or a rollout unsplit, keep unsplit rollouts undecided, label alerts with the canary version", () => {
    const base: Traffic = { seed: 7, canary: { costMedianUsd: 0.05 }, sizes: [300, 300, 800, 800] };
    const { store, expected } = scenario(base, { ...base, seed: 8 });

    // Blind: the US quality gate (no session scored), and nothing else.
    const blind = config.gates.flatMap((g: Gate) => firing(blindAlertExpr(g, config), store).map((l) => ({ ...l, gate: g.name })));
    expect(keys(blind)).toEqual(["us/quality"]);
    expect(expected.get(US)?.get("quality")?.verdict).toBe("undecided");
    expect(firing(notComparableExpr(config), store)).toEqual([{ ...UNSPLIT, assignment: "routing_key" }]);

    // Verdicts for the rollouts the gates see (sessions of no rollout belong to none); the unsplit one undecided on every gate.
    const verdicts = store.get(RECORDED.verdict) ?? [];
    expect([...new Set(verdicts.map((s) => `${s.labels.cluster}/${s.labels.deployment}/${s.labels.rollout_id}`))].sort()).toEqual(["eu/a/r7", "eu/b.c/r1", "us/b.c/r1"]);
    const unsplit = verdicts.filter((s) => s.labels.rollout_id === "r7");
    expect(unsplit.map((s) => s.labels.gate).sort()).toEqual(config.gates.map((g) => g.name).sort());
    for (const s of unsplit) expect(s).toEqual({ labels: { ...UNSPLIT, gate: s.labels.gate }, value: 0 });
    const query = gateReadingQuery(config, { deployment: "a", rolloutId: "r7", environment: { cluster: "eu" } });
    const v = evaluatePromql(query, store, NOW);
    const readings = readGateVerdicts(config, v.kind === "vector" ? v.samples.map((s) => ({ metric: s.labels, value: [NOW, String(s.value)] })) : []);
    for (const r of readings) {
      expect(r.verdict, r.gate).toBe("undecided");
      expect(r.fail.statistic, r.gate).toBeNaN();
      expect(r.samples.canary, r.gate).toBeNaN();
      expect(r.span, r.gate).toBe(1);
    }

    // One canary version per split rollout: its canary arm's hash, never a stranger's.
    expect((store.get(RECORDED.canaryVersion) ?? []).map((s) => s.labels)).toEqual([
      { ...EU, version_hash: CANARY_HASH },
      { ...US, version_hash: CANARY_HASH },
    ]);
    // The threshold each dashboard draws next to the value: one constant per gate.
    expect(store.get(RECORDED.threshold)).toEqual(config.gates.map((g) => ({ labels: { gate: g.name, comparison: g.comparison }, value: g.threshold })));
  });
});
