// The input layer the gates share, evaluated in-process (helpers/promql-subset.ts):
// which sessions count as compared, when a rollout started and which look-back span
// (share of the error budget) it is in. increase() and sum_over_time() are outside the
// subset; prometheus-backfill.test.ts checks the increments on a real Prometheus.
import { describe, expect, it } from "vitest";
import { parseGatesConfig, type GatesConfig } from "../src/index.js";
import { inputRules } from "../src/prometheus/inputs.js";
import { num, selector } from "../src/prometheus/selectors.js";
import { RECORDED } from "../src/prometheus/names.js";
import { evaluatePromql, storeOf, type Series } from "./helpers/promql-subset.js";

const config = parseGatesConfig("deployments: [a]\nby: [cluster]\n");
const ROLLOUT = { cluster: "eu", deployment: "a", rollout_id: "r1" };

describe("the input layer", () => {
  const rule = (record: string) => {
    const found = inputRules(config).find((r) => r.record === record);
    if (!found) throw new Error(`no input rule records ${record}`);
    return found.expr;
  };
  const stratum = (percent: string, group: string, outcome: string, value: number): Series => [RECORDED.sessionsLookback, { ...ROLLOUT, canary_percent: percent, version_group: group, outcome }, value];

  it("counts split sessions per arm over the strata both arms share", () => {
    const series = [
      stratum("1", "canary", "completed", 30),
      stratum("1", "canary", "error", 2),
      stratum("1", "baseline", "completed", 900),
      // Only the canary has sessions at 5%: that stratum is not compared.
      stratum("5", "canary", "completed", 40),
      stratum("25", "canary", "completed", 10),
      stratum("25", "baseline", "completed", 50),
      // Nor at 50%, where only the baseline has sessions.
      stratum("50", "baseline", "completed", 700),
    ];
    const got = evaluatePromql(rule(RECORDED.sharedSessions), storeOf(series));
    expect(got).toEqual({
      kind: "vector",
      samples: expect.arrayContaining([
        { labels: { ...ROLLOUT, version_group: "canary" }, value: 42 },
        { labels: { ...ROLLOUT, version_group: "baseline" }, value: 950 },
      ]),
    });
    expect(got.kind === "vector" && got.samples.length).toBe(2);
  });

  it("carries a rollout's start while it has sessions, starts a new one now, and lets an idle one lapse", () => {
    const now = 1_800_000_000;
    const active: Series = [RECORDED.assignmentLookback, { ...ROLLOUT, assignment: "split" }, 12];
    const started: Series = [RECORDED.rolloutStart, ROLLOUT, now - 3600];
    const start = (series: Series[]) => evaluatePromql(rule(RECORDED.rolloutStart), storeOf(series), now);
    expect(start([active, started])).toEqual({ kind: "vector", samples: [{ labels: ROLLOUT, value: now - 3600 }] });
    expect(start([active])).toEqual({ kind: "vector", samples: [{ labels: ROLLOUT, value: now }] });
    expect(start([started])).toEqual({ kind: "vector", samples: [] });
  });

  it("numbers the look-back spans of a rollout from 1: its share of the error budget", () => {
    const now = 1_800_000_000;
    const day = 86_400;
    expect(config.lookbackSeconds).toBe(7 * day);
    const span = (age: number) => evaluatePromql(rule(RECORDED.rolloutSpan), storeOf([[RECORDED.rolloutStart, ROLLOUT, now - age]]), now);
    for (const [age, want] of [[0, 1], [3 * day, 1], [7 * day - 1, 1], [7 * day, 2], [15 * day, 3]] as const) {
      expect(span(age), `age ${age / day} d`).toEqual({ kind: "vector", samples: [{ labels: ROLLOUT, value: want }] });
    }
  });
});

describe("the canary's version, for alert labels", () => {
  const rule = () => inputRules(config).find((r) => r.record === RECORDED.canaryVersion)?.expr ?? "";
  const active: Series = [RECORDED.assignmentLookback, { ...ROLLOUT, assignment: "split" }, 12];
  const sessions = (group: string, hash: string, assignment = "split"): Series => [
    "agent_canary_sessions_total",
    { ...ROLLOUT, version_group: group, version_hash: hash, assignment, canary_percent: "5", outcome: "completed", instance: "pod-0" },
    3,
  ];
  const version = (series: Series[]) => {
    const v = evaluatePromql(rule(), storeOf(series));
    return v.kind === "vector" ? v.samples : [];
  };

  it("is the split canary arm's hash, one per rollout", () => {
    const others = [sessions("baseline", "b1"), sessions("canary", "t1", "tenant_override")];
    // Whatever order Prometheus holds the series in (topk keeps one of equal values).
    for (const series of [[active, sessions("canary", "c1"), ...others], [active, ...others, sessions("canary", "c1")], [active, ...others.reverse(), sessions("canary", "c1")]]) {
      expect(version(series)).toEqual([{ labels: { ...ROLLOUT, version_hash: "c1" }, value: 1 }]);
    }
  });

  it("is carried over a scrape outage while the rollout is active, and lapses once it is not", () => {
    const carried: Series = [RECORDED.canaryVersion, { ...ROLLOUT, version_hash: "c1" }, 1];
    expect(version([active, carried])).toEqual([{ labels: { ...ROLLOUT, version_hash: "c1" }, value: 1 }]);
    expect(version([carried])).toEqual([]);
  });
});

describe("the input rules a config needs", () => {
  const records = (cfg: GatesConfig) => inputRules(cfg).map((r) => r.record);

  it("count looping and unsafe sessions only for the gates that read them", () => {
    const points = records(parseGatesConfig("deployments: [a]\npreset: point-thresholds\n"));
    expect(points).toContain(RECORDED.unsafeLookback);
    expect(points).not.toContain(RECORDED.loopingIncrement);
    const early = records(parseGatesConfig("deployments: [a]\npreset: early-ratio-rollback\n"));
    expect(early).toContain(RECORDED.loopingLookback);
    expect(early).not.toContain(RECORDED.unsafeIncrement);
  });

  it("read the quantities the mean gates use, each apart, and none without a mean gate", () => {
    const early = parseGatesConfig("deployments: [a]\npreset: early-ratio-rollback\n");
    const increment = inputRules(early).find((r) => r.record === RECORDED.observationsIncrement)?.expr ?? "";
    const raw = (quantity: string, value: number): Series => [
      "agent_canary_gate_observations_total",
      { deployment: "a", rollout_id: "r1", canary_percent: "5", version_group: "canary", assignment: "split", quantity, instance: "pod-0" },
      value,
    ];
    const got = evaluatePromql(increment, storeOf([raw("cost", 40), raw("turns", 80), raw("duration", 120), raw("log_cost", 8)]));
    const step = early.evaluationSeconds / early.rateRangeSeconds;
    expect(got.kind === "vector" && got.samples.map((s) => [s.labels.quantity, s.value])).toEqual([
      ["cost", 40 * step],
      ["turns", 80 * step],
    ]);
    const rateOnly = { ...early, gates: early.gates.filter((g) => g.kind === "loop_rate" || g.kind === "task_completion_rate") };
    expect(rateOnly.gates.length).toBe(2);
    const rules = records(rateOnly);
    for (const absent of [RECORDED.observationsIncrement, RECORDED.valueIncrement, RECORDED.valueSquaredIncrement]) expect(rules).not.toContain(absent);
  });
});

describe("the raw series the rules read", () => {
  it("are the configured deployments only (a dot in a name is a dot), in the environment's matchers, split or as asked", () => {
    const cfg = parseGatesConfig("deployments: [a, b.c]\nmatchers: ['namespace=\"x\"']\n");
    const raw = (deployment: string, namespace: string, assignment: string): Series => ["m", { deployment, namespace, assignment }, 1];
    const series = [raw("a", "x", "split"), raw("b.c", "x", "split"), raw("bxc", "x", "split"), raw("ab", "x", "split"), raw("a", "y", "split"), raw("a", "x", "sticky")];
    const read = (expr: string) => {
      const v = evaluatePromql(expr, storeOf(series));
      return v.kind === "vector" ? v.samples.map((s) => s.labels) : [];
    };
    expect(read(`m${selector(cfg, 'assignment="split"')}`)).toEqual([
      { deployment: "a", namespace: "x", assignment: "split" },
      { deployment: "b.c", namespace: "x", assignment: "split" },
    ]);
    expect(read(`m${selector(cfg)}`)).toHaveLength(3);
  });

  it("write numbers PromQL reads back exactly, and refuse what it cannot read", () => {
    for (const x of [0, 1.5, 1e-9, 0.1 + 0.2, 12345678.9, -2.5]) {
      const v = evaluatePromql(num(x), new Map());
      expect(v.kind === "scalar" && v.value).toBe(x);
    }
    expect(num(-2.5)).toBe("(-2.5)");
    for (const x of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) expect(() => num(x)).toThrow(`internal: ${x} cannot be written into PromQL`);
  });
});
