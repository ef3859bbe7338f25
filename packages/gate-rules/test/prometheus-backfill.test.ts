import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startPrometheus, type PrometheusHandle } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  gateExpressions,
  histogramQuantile,
  KIND_SPECS,
  MOMENT_FIELD,
  parseGatesConfig,
  rateEvents,
  RECORDED,
  sessionModel,
  type ArmStats,
  type Gate,
} from "../src/index.js";
import { counterSeries, minuteBins, windowArms, type Scenario } from "./helpers/series.js";
import { runTool, tempDir, testGatesYaml } from "./helpers/promtool.js";

/**
 * The per-arm layer of the recording rules through a real Prometheus: counter
 * series are backfilled into a TSDB with promtool, Prometheus serves it, and
 * each raw-series expression is queried over the HTTP API at a past instant
 * and compared with the evaluator's arm inputs for the same window.
 */
const WINDOW = 30;
const AT = 60;
const config = parseGatesConfig(testGatesYaml(["support-agent"], `window: ${WINDOW}m`));
const scenario: Scenario = {
  deployment: "support-agent",
  minutes: AT,
  seed: 31,
  baseline: { model: sessionModel(), perMinute: 15 },
  canary: { model: sessionModel({ costMedianUsd: 0.06, loopRate: 0.02, turnsMedian: 9 }), perMinute: 5 },
};
const bins = minuteBins(scenario);
// Whole minutes, three hours back: old enough to be blocks, young enough for retention.
const start = Math.floor(Date.now() / 60_000) * 60 - 3 * 3600;

let dir: string;
let prometheus: PrometheusHandle;

beforeAll(async () => {
  dir = await tempDir("backfill");
  const series = counterSeries(scenario, bins, config.export);
  const lines: string[] = [];
  for (let m = 0; m <= AT; m++) for (const [sel, values] of series) lines.push(`${sel} ${values[m]} ${start + 60 * m}`);
  await writeFile(join(dir, "series.om"), `${lines.join("\n")}\n# EOF\n`);
  const created = await runTool("promtool", ["tsdb", "create-blocks-from", "openmetrics", join(dir, "series.om"), join(dir, "data")]);
  expect(created.code, created.output).toBe(0);
  prometheus = await startPrometheus({ storagePath: join(dir, "data") });
});
afterAll(async () => {
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What the evaluator holds for one per-arm recording. */
function expected(gate: Gate, record: string, arm: ArmStats): number | undefined {
  const spec = KIND_SPECS[gate.kind];
  if (spec.family === "rate") {
    if (record === RECORDED.samples) return arm.sessions;
    return record === RECORDED.events ? rateEvents(gate, spec, arm) : undefined;
  }
  const field = MOMENT_FIELD[spec.histogram];
  const moments = field ? arm[field] : undefined;
  if (record === RECORDED.samples) return moments?.count;
  if (record === RECORDED.sum) return moments?.sum;
  if (record === RECORDED.sumSquares) return moments?.sumSquares;
  if (record === RECORDED.p95) return moments?.buckets ? histogramQuantile(0.95, moments.buckets) : undefined;
  return undefined;
}

describe("recording rules on a real Prometheus", () => {
  for (const gate of config.gates) {
    it(`${gate.name}: per-arm sums over the window equal the evaluator's inputs`, async () => {
      const arms = windowArms(bins, AT, WINDOW);
      let compared = 0;
      for (const { record, expr } of gateExpressions(gate, config).arms) {
        const samples = await prometheus.query(expr, (start + 60 * AT) * 1000);
        for (const group of ["baseline", "canary"] as const) {
          const got = samples.find((s) => s.metric.version_group === group)?.value;
          const want = expected(gate, record, arms[group]);
          if (want === undefined) continue;
          expect(got, `${record} ${group}`).toBeDefined();
          expect(Math.abs((got ?? Number.NaN) - want), `${record} ${group}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
          compared++;
        }
      }
      expect(compared).toBeGreaterThanOrEqual(4);
    });
  }
});
