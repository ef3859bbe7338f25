// The PromQL written for each gate computes what the TypeScript evaluator computes:
// every gate's recording rules (after its per-stratum arm totals) are evaluated
// in-process, rule by rule as Prometheus runs a group, by the PromQL-subset
// evaluator in helpers/promql-subset.ts, on random stratified rollouts, and each
// recorded output is compared with gateEvaluator(gate). The real-Prometheus
// version of this check (differential.test.ts) is slow; this one runs in seconds,
// so the mutation target of src/prometheus can use it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FormulaInput, StratumTotals } from "../src/stats/formula/compile.js";
import { gateEvaluator, statisticOf, VERDICT_VALUE, verdictOf } from "../src/stats/judge.js";
import { parseGatesConfig, type Gate, type GatesConfig } from "../src/index.js";
import { gateRecordingRules } from "../src/prometheus/gate-records.js";
import { FIELD_SERIES, RECORDED } from "../src/prometheus/names.js";
import { renderGate } from "../src/prometheus/render.js";
import { arm, literal, mul, sub, sum } from "../src/stats/formula/tree.js";
import { EVERY_TEST_GATES } from "./helpers/every-test-gates.js";
import { evaluatePromql, storeOf, type Labels, type Sample, type Value } from "./helpers/promql-subset.js";

const config = parseGatesConfig(`deployments: [a]\nby: [cluster]\n${EVERY_TEST_GATES}`);

const ROLLOUT = { cluster: "eu", deployment: "a", rollout_id: "r1" };
const PERCENTS = ["1", "5", "25", "50"];

/** What Prometheus holds before the gate's own rules run: its arm totals per stratum (only arms with sessions have series) and its span. */
function seriesOf(gate: Gate, input: FormulaInput): Map<string, Sample[]> {
  const store = new Map<string, Sample[]>();
  const add = (name: string, labels: Labels, value: number) => store.set(name, [...(store.get(name) ?? []), { labels, value }]);
  input.strata.forEach((stratum, i) => {
    for (const arm of ["canary", "baseline"] as const) {
      const totals = stratum[arm];
      if (!(totals.n > 0)) continue;
      const labels = { ...ROLLOUT, gate: gate.name, canary_percent: PERCENTS[i] ?? String(i), version_group: arm };
      for (const field of ["n", "x", "s", "q"] as const) add(FIELD_SERIES[field], labels, totals[field]);
    }
  });
  add(RECORDED.span, { ...ROLLOUT, gate: gate.name }, input.span);
  return store;
}

/** Runs the gate's rules after its arm totals in order, recording each result under the rule's name and labels. */
function runRules(gate: Gate, cfg: GatesConfig, input: FormulaInput): Map<string, Sample[]> {
  const store = seriesOf(gate, input);
  const inputs = new Set<string>([RECORDED.span, ...Object.values(FIELD_SERIES)]);
  for (const rule of gateRecordingRules(gate, cfg)) {
    if (inputs.has(rule.record)) continue;
    const value = evaluatePromql(rule.expr, store);
    if (value.kind !== "vector") throw new Error(`${rule.record} is a scalar: a recording rule must give a vector`);
    const recorded = value.samples.map((s) => ({ labels: { ...s.labels, ...rule.labels }, value: s.value }));
    store.set(rule.record, [...(store.get(rule.record) ?? []), ...recorded]);
  }
  return store;
}

/** The one value of a recorded gate series for the rollout (NaN when the rules left it out), with its labels checked. */
function single(store: Map<string, Sample[]>, gate: Gate, record: string, extra: Labels = {}): number {
  const want = { ...ROLLOUT, gate: gate.name, ...extra };
  const samples = (store.get(record) ?? []).filter((s) => Object.entries(extra).every(([k, v]) => s.labels[k] === v));
  expect(samples.length, `${record}: at most one series per rollout`).toBeLessThanOrEqual(1);
  if (samples[0]) expect(samples[0].labels, record).toEqual(want);
  return samples[0]?.value ?? Number.NaN;
}

function close(actual: number, expected: number, label: string, tolerance = 1e-9): void {
  if (Number.isNaN(expected)) return expect(actual, label).toBeNaN();
  if (!Number.isFinite(expected)) return expect(actual, label).toBe(expected);
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected)));
}

type Totals = StratumTotals["canary"];
const totals = (n: number, eventShare: number, mean: number, spread: number): Totals => ({ n, x: Math.round(eventShare * n), s: mean * n, q: n * (mean * mean + spread * spread) });
/** One arm as drawn: sessions, event share, mean and spread of the value (the arguments of totals). */
type ArmDraw = Parameters<typeof totals>;
const share = fc.double({ min: 0, max: 1, noNaN: true });
const mean = fc.double({ min: 0.01, max: 50, noNaN: true });
const spread = fc.double({ min: 0.1, max: 20, noNaN: true });
/** Arms drawn apart, or alike (the same event share and mean: evidence near zero, where clamps and sides matter). */
const pair = (minN: number) =>
  fc.oneof(
    fc.record({ canary: fc.tuple(fc.integer({ min: minN, max: 300 }), share, mean, spread), baseline: fc.tuple(fc.integer({ min: minN, max: 300 }), share, mean, spread) }),
    fc.tuple(fc.integer({ min: minN, max: 300 }), fc.integer({ min: minN, max: 300 }), share, mean, spread).map(([nc, nb, p, m, sd]): Record<"canary" | "baseline", ArmDraw> => ({ canary: [nc, p, m, sd], baseline: [nb, p, m, sd] })),
  ).map(({ canary, baseline }: Record<"canary" | "baseline", ArmDraw>): StratumTotals => ({ canary: totals(...canary), baseline: totals(...baseline) }));
/** At least one stratum both arms share, then up to three more, some missing an arm (they drop out). */
const inputs = fc.record({
  strata: fc.tuple(pair(1), fc.array(pair(0), { maxLength: 3 })).map(([first, rest]) => [first, ...rest]),
  span: fc.integer({ min: 1, max: 5 }),
});

describe("the rendered PromQL of each gate computes the evaluator's outputs", () => {
  // Every test, comparison and method: the user gates (errors_ratio repeats loops_strict's count test on a ratio), and of
  // the preset gates the count test on a delta and the score test on a ratio.
  for (const gate of config.gates.filter((g) => (g.name.includes("_") && g.name !== "errors_ratio") || g.name === "safety" || g.name === "completion")) {
    it(`${gate.name} (${gate.test}, ${gate.comparison}, ${gate.method})`, () => {
      const evaluate = gateEvaluator(gate);
      fc.assert(
        fc.property(inputs, (input) => {
          const out = evaluate(input);
          const store = runRules(gate, config, input);
          const read = (record: string, extra?: Labels) => single(store, gate, record, extra);
          close(read(RECORDED.canarySamples), out.canarySamples, "canary samples");
          close(read(RECORDED.baselineSamples), out.baselineSamples, "baseline samples");
          close(read(RECORDED.estimate, { version_group: "canary" }), out.canaryEstimate, "canary estimate");
          close(read(RECORDED.estimate, { version_group: "baseline" }), out.baselineEstimate, "baseline estimate");
          close(read(RECORDED.value), out.value, "value");
          close(read(RECORDED.information), out.information, "information");
          close(read(RECORDED.statistic), statisticOf(gate, out, "fail"), "fail statistic");
          close(read(RECORDED.boundary), out.failBoundary, "fail boundary");
          close(read(RECORDED.passStatistic), statisticOf(gate, out, "pass"), "pass statistic");
          close(read(RECORDED.passBoundary), out.passBoundary, "pass boundary");
          expect(read(RECORDED.verdict), "verdict").toBe(VERDICT_VALUE[verdictOf(gate, out).verdict]);
        }),
        // Fewer cases under a mutation run (scripts/mutation.sh sets the variable), where this file runs per mutant.
        { numRuns: process.env.AGENT_CANARY_MUTATION_PACKAGE ? 3 : 8, seed: 14 },
      );
    });
  }

  it("agree at the edges: every session an event (rates on their ceiling), identical arms (evidence near zero, clamped), a stratum one arm lacks", () => {
    const arm = (n: number, x: number, mean: number): StratumTotals["canary"] => ({ n, x, s: mean * n, q: n * (mean * mean + 4) });
    const edges: FormulaInput[] = [
      { strata: [{ canary: arm(300, 300, 2), baseline: arm(300, 300, 2) }], span: 1 },
      { strata: [{ canary: arm(120, 3, 5), baseline: arm(2400, 60, 5) }, { canary: arm(80, 2, 5), baseline: arm(800, 20, 5) }], span: 2 },
      { strata: [{ canary: arm(200, 20, 3), baseline: arm(900, 80, 2.5) }, { canary: arm(50, 40, 9), baseline: arm(0, 0, 0) }], span: 1 },
    ];
    for (const gate of config.gates) {
      for (const input of edges) {
        const out = gateEvaluator(gate)(input);
        const store = runRules(gate, config, input);
        const read = (record: string, extra?: Labels) => single(store, gate, record, extra);
        // Tight: on the rate ceiling, the clamp's side shows only in the 9th digit.
        close(read(RECORDED.canarySamples), out.canarySamples, `${gate.name} canary samples`, 1e-13);
        close(read(RECORDED.statistic), statisticOf(gate, out, "fail"), `${gate.name} fail statistic`, 1e-13);
        close(read(RECORDED.passStatistic), statisticOf(gate, out, "pass"), `${gate.name} pass statistic`, 1e-13);
        expect(read(RECORDED.verdict), `${gate.name} verdict`).toBe(VERDICT_VALUE[verdictOf(gate, out).verdict]);
      }
    }
  });

  it("a rollout below minSamples records no statistic and an undecided verdict", () => {
    const gate = config.gates.find((g) => g.name === "cost_fixed")!;
    const few = { n: 3, x: 0, s: 3, q: 5 };
    const store = runRules(gate, config, { strata: [{ canary: few, baseline: { n: 4, x: 0, s: 8, q: 20 } }], span: 1 });
    expect(store.get(RECORDED.statistic) ?? []).toEqual([]);
    expect(store.get(RECORDED.passStatistic) ?? []).toEqual([]);
    expect(single(store, gate, RECORDED.verdict)).toBe(0);
  });
});

describe("minSamples", () => {
  it("lets a gate decide once both arms have exactly minSamples, and not one sample before", () => {
    const gate = config.gates.find((g) => g.name === "cost_fixed")!;
    const m = gate.minSamples;
    // A canary that costs three times the baseline: failing as soon as the gate may judge.
    const judge = (canaryN: number, baselineN: number) => runRules(gate, config, { strata: [{ canary: totals(canaryN, 0, 3, 0.5), baseline: totals(baselineN, 0, 1, 0.5) }], span: 1 });
    const ready = judge(m, m);
    expect(single(ready, gate, RECORDED.verdict)).toBe(1);
    expect(single(ready, gate, RECORDED.statistic)).toBeGreaterThan(single(ready, gate, RECORDED.boundary));
    for (const [c, b] of [[m - 1, m], [m, m - 1]] as const) {
      const early = judge(c, b);
      expect(early.get(RECORDED.statistic) ?? [], `${c}/${b}`).toEqual([]);
      expect(early.get(RECORDED.passStatistic) ?? [], `${c}/${b}`).toEqual([]);
      expect(single(early, gate, RECORDED.verdict), `${c}/${b}`).toBe(0);
    }
  });
});

describe("renderGate", () => {
  const gate = config.gates[0]!;
  const ctx = { config, gate: gate.name };
  const value = (v: Value) => (v.kind === "scalar" ? v.value : v.samples[0]?.value);

  it("writes each clamp as Prometheus' clamp, clamp_min or clamp_max", () => {
    const total = sum(arm("canary", "x"));
    const store = storeOf([[FIELD_SERIES.x, { gate: gate.name, version_group: "canary" }, 5], [FIELD_SERIES.n, { gate: gate.name, version_group: "canary" }, 1], [FIELD_SERIES.n, { gate: gate.name, version_group: "baseline" }, 1]]);
    const at = (e: Parameters<typeof renderGate>[1]) => value(evaluatePromql(renderGate(ctx, e), store));
    expect(at(total)).toBe(5);
    expect(at({ kind: "clamp", arg: total, max: 2 })).toBe(2);
    expect(at({ kind: "clamp", arg: total, min: 7 })).toBe(7);
    expect(at({ kind: "clamp", arg: total, min: 1, max: 3 })).toBe(3);
    expect(at({ kind: "clamp", arg: total })).toBe(5);
  });

  it("folds constant subtrees to one number, negative ones in parentheses", () => {
    expect(renderGate(ctx, mul(literal(2), literal(3)))).toBe("6");
    expect(renderGate(ctx, sub(literal(1), literal(3)))).toBe("(-2)");
    expect(value(evaluatePromql(renderGate(ctx, sub(literal(1), literal(3))), new Map()))).toBe(-2);
  });
});
