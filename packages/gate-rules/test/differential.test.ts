import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { judgeGate, parseGatesConfig, RECORDED, RolloutLedger, sessionModel, VERDICT_VALUE, type GateJudgement, type SessionModelParams } from "../src/index.js";
import { groupOrder, ruleFilesDir, runTool, testGatesYaml } from "./helpers/promtool.js";
import { counterSeries, promtoolSeries, scenarioSessions, type Phase, type Scenario } from "./helpers/scenario.js";
import { PrometheusTwin, type TwinRollout } from "./helpers/twin.js";

/**
 * The evaluator (TypeScript, the same formula trees compiled to JavaScript) and
 * the recording rules (the trees written as PromQL, run by promtool's real
 * Prometheus engine) give the same numbers on the same random series: random
 * rollouts, strata, traffic, pods, regressions and scrape gaps, drawn by
 * fast-check from a fixed seed. Each check is `abs(recorded - expected) <= bool
 * tolerance` (relative 1e-9), so no float printing is involved.
 */
const MINUTES = 90;
const CHECKS = [20, 45, 70, MINUTES];
const EXAMPLES = 8;

const params = fc.record({
  costMedianUsd: fc.double({ min: 0.01, max: 0.2, noNaN: true }),
  costSigma: fc.double({ min: 0.2, max: 2, noNaN: true }),
  loopRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  errorRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  completionRate: fc.double({ min: 0.6, max: 0.8, noNaN: true }),
  unsafeRate: fc.double({ min: 0, max: 0.05, noNaN: true }),
  turnsMedian: fc.integer({ min: 2, max: 12 }),
  durationMedianSeconds: fc.double({ min: 10, max: 100, noNaN: true }),
  qualityMean: fc.double({ min: 0.4, max: 0.9, noNaN: true }),
  scoredShare: fc.double({ min: 0, max: 1, noNaN: true }),
}) satisfies fc.Arbitrary<Partial<SessionModelParams>>;

const stage = fc.record({ minutes: fc.integer({ min: 5, max: 60 }), percent: fc.constantFrom(1, 5, 25, 50), perMinute: fc.integer({ min: 1, max: 30 }) });

const example = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  baseline: params,
  canary: params,
  stages: fc.array(stage, { minLength: 1, maxLength: 3 }),
  secondRollout: fc.option(fc.integer({ min: 10, max: 60 }), { nil: undefined }),
  pods: fc.integer({ min: 1, max: 2 }),
  gap: fc.option(fc.tuple(fc.integer({ min: 10, max: 70 }), fc.integer({ min: 3, max: 12 })), { nil: undefined }),
});

type Example = typeof example extends fc.Arbitrary<infer T> ? T : never;

function scenarioOf(e: Example, index: number): Scenario {
  const phases: Phase[] = [];
  let from = 0;
  for (const s of e.stages) {
    const to = Math.min(MINUTES, from + s.minutes);
    if (to > from) phases.push({ rolloutId: `r${index}-a`, from, to, percent: s.percent, perMinute: s.perMinute, baseline: sessionModel(e.baseline), canary: sessionModel(e.canary) });
    from = to;
  }
  if (e.secondRollout !== undefined && from < MINUTES) {
    phases.push({ rolloutId: `r${index}-b`, from: Math.min(MINUTES - 1, from + e.secondRollout), to: MINUTES, percent: 25, perMinute: 20, baseline: sessionModel(e.canary), canary: sessionModel(e.baseline) });
  }
  return { deployment: `random-${index}`, minutes: MINUTES, seed: e.seed, pods: e.pods, phases, ...(e.gap ? { gaps: [[e.gap[0], e.gap[0] + e.gap[1]]] } : {}) };
}

const examples = fc.sample(example, { seed: 20261129, numRuns: EXAMPLES });
const scenarios = examples.map(scenarioOf);
const config = parseGatesConfig(testGatesYaml(scenarios.map((s) => s.deployment), "minSamples: 20"), "differential.yaml");
const series = new Map(scenarios.flatMap((s) => [...counterSeries(s, config.export)]));
const twin = new PrometheusTwin(config, series, MINUTES);

const selector = (labels: Record<string, string>) => `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",")}}`;

function near(record: string, labels: Record<string, string>, expected: number, t: number) {
  const tolerance = 1e-9 * Math.max(1, Math.abs(expected));
  return { expr: `abs(${record}${selector(labels)} - (${expected})) <= bool ${tolerance}`, eval_time: `${t}m`, exp_samples: [{ labels: selector(labels), value: 1 }] };
}

const absent = (record: string, labels: Record<string, string>, t: number) => ({ expr: `${record}${selector(labels)}`, eval_time: `${t}m`, exp_samples: [] });

/** Every recorded output of a gate for one rollout at t, against the evaluator's judgement. */
function checks(r: TwinRollout, j: GateJudgement, t: number) {
  const labels = { ...r.labels, gate: j.gate };
  const out = [
    { expr: `${RECORDED.verdict}${selector(labels)}`, eval_time: `${t}m`, exp_samples: [{ labels: `${RECORDED.verdict}${selector(labels)}`, value: VERDICT_VALUE[j.verdict] }] },
    near(RECORDED.span, labels, r.span, t),
  ];
  if (!(j.samples.canary > 0)) return [...out, absent(RECORDED.value, labels, t), absent(RECORDED.statistic, labels, t)];
  const numbers: [string, number][] = [
    [RECORDED.canarySamples, j.samples.canary],
    [RECORDED.baselineSamples, j.samples.baseline],
    [RECORDED.value, j.value],
    [RECORDED.information, j.information],
    [RECORDED.boundary, j.fail.boundary],
    [RECORDED.passBoundary, j.pass.boundary],
  ];
  for (const [record, value] of numbers) if (Number.isFinite(value)) out.push(near(record, labels, value, t));
  for (const [record, value] of [[RECORDED.statistic, j.fail.statistic], [RECORDED.passStatistic, j.pass.statistic]] as const) {
    out.push(Number.isNaN(value) ? absent(record, labels, t) : near(record, labels, value, t));
  }
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = await ruleFilesDir("differential", config);
});
afterAll(async () => {
  if (!process.env.KEEP) await rm(dir, { recursive: true, force: true });
});

describe("evaluator and PromQL agree on random rollouts", () => {
  it("the simulation's ledger computes what the rules compute (scrapes aligned, no gaps)", () => {
    let compared = 0;
    fc.assert(
      fc.property(example, (e) => {
        const s: Scenario = { ...scenarioOf(e, 0), pods: 1 };
        delete (s as { gaps?: unknown }).gaps;
        const only = parseGatesConfig(testGatesYaml([s.deployment], "minSamples: 20"));
        const rules = new PrometheusTwin(only, counterSeries(s, only.export), MINUTES);
        // The same sessions into one ledger per rollout, minute by minute, from the minute its series appear.
        const sessions = scenarioSessions(s);
        const first = new Map<string, number>();
        for (const p of s.phases) first.set(p.rolloutId, Math.min(first.get(p.rolloutId) ?? p.from, p.from));
        const ledgers = new Map([...first.keys()].map((id) => [id, new RolloutLedger(only.rateRangeSeconds / 60, only.lookbackSeconds / 60)]));
        const checked = new Set(CHECKS);
        for (let minute = 0; minute < MINUTES; minute++) {
          for (const x of sessions.filter((y) => y.minute === minute)) ledgers.get(x.phase.rolloutId)?.add(x.record, x.phase.percent, x.assignment);
          for (const [id, ledger] of ledgers) if (minute >= (first.get(id) ?? 0)) ledger.evaluate();
          if (!checked.has(minute + 1)) continue;
          for (const r of rules.at(minute + 1)) {
            const ledger = ledgers.get(r.labels.rollout_id ?? "");
            if (!ledger) return false;
            expect(ledger.span).toBe(r.span);
            for (const gate of only.gates) {
              const a = judgeGate(gate, r.strata, r.span);
              const b = judgeGate(gate, ledger.current(), ledger.span);
              expect(b.verdict).toBe(a.verdict);
              if (a.samples.canary > 0) compared += 1;
              for (const [x, y] of [[a.samples.canary, b.samples.canary], [a.samples.baseline, b.samples.baseline], [a.value, b.value], [a.fail.statistic, b.fail.statistic]] as const) {
                if (Number.isNaN(x)) expect(y).toBeNaN();
                else expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(x)));
              }
            }
          }
        }
        return true;
      }),
      { numRuns: 6, seed: 7 },
    );
    expect(compared).toBeGreaterThan(50);
  });

  it("on every recorded output, for every gate, rollout and check time", async () => {
    const tests = CHECKS.flatMap((t) => twin.at(t).flatMap((r) => config.gates.flatMap((g) => checks(r, judgeGate(g, r.strata, r.span), t))));
    expect(tests.length).toBeGreaterThan(200);
    const verdicts = new Set(CHECKS.flatMap((t) => twin.at(t).flatMap((r) => config.gates.map((g) => judgeGate(g, r.strata, r.span).verdict))));
    // The random rollouts reach every outcome, so the verdict rule is exercised on all three.
    expect([...verdicts].sort()).toEqual(["failing", "passing", "undecided"]);
    const test = { name: "random rollouts", interval: "1m", input_series: promtoolSeries(series), promql_expr_test: tests };
    const file = join(dir, "differential.test.yaml");
    await writeFile(file, stringify({ rule_files: ["recording.yaml"], evaluation_interval: "1m", group_eval_order: groupOrder(config).filter((g) => g !== "agent-canary-gates"), tests: [test] }, { lineWidth: 0 }));
    const result = await runTool("promtool", ["test", "rules", file]);
    expect(result.output.slice(0, 4000), JSON.stringify(examples.map((e, i) => ({ i, ...e })))).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });
});
