import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  evaluateGate,
  parseGatesConfig,
  RECORDED,
  recordingRules,
  sessionModel,
  type GateResult,
  type SessionModelParams,
} from "../src/index.js";
import { counterSeries, minuteBins, promtoolSeries, windowArms, type Scenario } from "./helpers/series.js";
import { ruleFilesDir, runTool, testGatesYaml } from "./helpers/promtool.js";

/**
 * The evaluator (TypeScript) and the recording rules (PromQL, run by promtool's
 * real Prometheus engine) must give the same numbers on the same series. Each
 * check is `abs(recorded - expected) <= tolerance` evaluated in PromQL, so the
 * comparison is tight (relative 1e-9) without relying on exact float printing.
 */
const WINDOW = 30;
const MIN = 90;
const config = parseGatesConfig(testGatesYaml(["support-agent"], `window: ${WINDOW}m, minSamples: ${MIN}`));
const DEPLOYMENT = "support-agent";

let dir: string;
beforeAll(async () => {
  dir = await ruleFilesDir("differential", config);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function scenario(seed: number, baseline: Partial<SessionModelParams>, canary: Partial<SessionModelParams>, canaryPerMinute: number): Scenario {
  return { deployment: DEPLOYMENT, minutes: 60, seed, baseline: { model: sessionModel(baseline), perMinute: 20 }, canary: { model: sessionModel(canary), perMinute: canaryPerMinute } };
}

function near(record: string, gate: string, expected: number) {
  const tolerance = 1e-9 * Math.max(1, Math.abs(expected));
  return {
    expr: `abs(${record}{gate="${gate}"} - (${expected})) <= bool ${tolerance}`,
    labels: `{deployment="${DEPLOYMENT}",gate="${gate}"}`,
  };
}

function checks(result: GateResult, t: number) {
  const at = `${t}m`;
  if (result.verdict === "insufficient_data") {
    // Below the minimum samples the statistic does not exist, so no alert can fire.
    return [{ expr: `${RECORDED.statistic}{gate="${result.gate}"}`, eval_time: at, exp_samples: [] }];
  }
  const pairs: [string, number][] = [
    [RECORDED.value, result.value],
    [RECORDED.information, result.information],
    [RECORDED.statistic, result.statistic],
    [RECORDED.boundary, result.boundary],
  ];
  return pairs
    .filter(([, v]) => Number.isFinite(v))
    .map(([record, value]) => {
      const n = near(record, result.gate, value);
      return { expr: n.expr, eval_time: at, exp_samples: [{ labels: n.labels, value: 1 }] };
    });
}

async function agree(name: string, s: Scenario, times: number[]): Promise<GateResult[]> {
  const bins = minuteBins(s);
  const results = times.flatMap((t) => config.gates.map((g) => ({ t, r: evaluateGate(g, windowArms(bins, t, WINDOW)) })));
  const test = {
    name,
    interval: "1m",
    input_series: promtoolSeries(counterSeries(s, bins, config.export)),
    promql_expr_test: results.flatMap(({ t, r }) => checks(r, t)),
  };
  const file = join(dir, `${name}.test.yaml`);
  const order = recordingRules(config).groups.map((g) => g.name);
  await writeFile(file, stringify({ rule_files: ["recording.yaml"], evaluation_interval: "1m", group_eval_order: order, tests: [test] }, { lineWidth: 0 }));
  const out = await runTool("promtool", ["test", "rules", file]);
  expect(out.output).toContain("SUCCESS");
  expect(out.code).toBe(0);
  return results.map((x) => x.r);
}

describe("evaluator and PromQL agree", () => {
  it("on a cost, completion and turns regression with realistic noise", async () => {
    const results = await agree("regression", scenario(21, {}, { costMedianUsd: 0.1, completionRate: 0.75, turnsMedian: 14 }, 20), [35, 50, 60]);
    expect(results.some((r) => r.verdict === "fail")).toBe(true);
  });

  it("with zero baseline loops, errors and safety events", async () => {
    const results = await agree("zero-baseline", scenario(22, { loopRate: 0, errorRate: 0, unsafeRate: 0 }, { loopRate: 0.02 }, 10), [40, 60]);
    const loops = results.find((r) => r.gate === "loops" && r.verdict !== "insufficient_data");
    expect(loops?.estimates.baseline).toBe(0);
  });

  it("at the minimum-sample boundary: 87 canary sessions give no statistic, 90 give one", async () => {
    // 3 canary sessions a minute: 29 minutes hold 87, 30 minutes hold 90 (the minimum).
    const results = await agree("min-samples", scenario(23, {}, {}, 3), [29, 30]);
    const cost = results.filter((r) => r.gate === "cost");
    expect(cost.map((r) => r.verdict === "insufficient_data")).toEqual([true, false]);
  });
});
