import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startPrometheus, type PrometheusHandle } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inputRules, parseGatesConfig, RECORDED, sessionModel } from "../src/index.js";
import { runTool, tempDir, testGatesYaml } from "./helpers/promtool.js";
import { counterSeries, type Scenario } from "./helpers/scenario.js";
import { PrometheusTwin } from "./helpers/twin.js";

/**
 * The input layer of the recording rules on a real Prometheus: the agents'
 * counter series (two pods, two canary percents, a scrape outage) are
 * backfilled into a TSDB with promtool, Prometheus serves it, and each
 * increment rule's expression is queried at past instants and compared with the
 * twin's increase() — extrapolation around the outage and new series included.
 */
const AT = [3, 20, 41, 50, 57, 70];
const config = parseGatesConfig(testGatesYaml(["support-agent"], "minSamples: 30", "by: [cluster]\n"));
const scenario: Scenario = {
  deployment: "support-agent",
  labels: { cluster: "eu" },
  minutes: 80,
  seed: 31,
  pods: 2,
  gaps: [[45, 53]],
  phases: [
    { rolloutId: "r1", from: 0, to: 40, percent: 5, perMinute: 30, baseline: sessionModel(), canary: sessionModel({ costMedianUsd: 0.06, loopRate: 0.02 }) },
    { rolloutId: "r1", from: 40, to: 80, percent: 25, perMinute: 30, baseline: sessionModel(), canary: sessionModel({ costMedianUsd: 0.06, loopRate: 0.02 }) },
  ],
};
const series = counterSeries(scenario, config.export);
const twin = new PrometheusTwin(config, series, scenario.minutes);
// Whole minutes, three hours back: old enough to be blocks, young enough for retention.
const start = Math.floor(Date.now() / 60_000) * 60 - 3 * 3600;

let dir: string;
let prometheus: PrometheusHandle;

beforeAll(async () => {
  dir = await tempDir("backfill");
  const lines: string[] = [];
  for (const [sel, values] of series) values.forEach((v, m) => v !== undefined && lines.push(`${sel} ${v} ${start + 60 * m}`));
  await writeFile(join(dir, "series.om"), `${lines.join("\n")}\n# EOF\n`);
  const created = await runTool("promtool", ["tsdb", "create-blocks-from", "openmetrics", join(dir, "series.om"), join(dir, "data")]);
  expect(created.code, created.output).toBe(0);
  prometheus = await startPrometheus({ storagePath: join(dir, "data") });
});
afterAll(async () => {
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const FAMILY: Record<string, string> = {
  [RECORDED.sessionsIncrement]: "sessions",
  [RECORDED.loopingIncrement]: "loopingSessions",
  [RECORDED.unsafeIncrement]: "unsafeSessions",
  [RECORDED.observationsIncrement]: "gateObservations",
  [RECORDED.valueIncrement]: "gateValue",
  [RECORDED.valueSquaredIncrement]: "gateValueSquared",
};

describe("the input layer on a real Prometheus", () => {
  for (const rule of inputRules(config).filter((r) => FAMILY[r.record])) {
    it(`${rule.record}: the increments equal the twin's increase() at every instant`, async () => {
      let compared = 0;
      for (const t of AT) {
        const got = await prometheus.query(rule.expr, (start + 60 * t) * 1000);
        const want = twin.incrementsAt(t).filter((w) => w.metric === FAMILY[rule.record]);
        expect(got.length, `${rule.record} at ${t}m`).toBe(want.length);
        for (const w of want) {
          const match = got.find((g) => Object.entries(w.labels).every(([k, v]) => g.metric[k] === v));
          expect(match, `${JSON.stringify(w.labels)} at ${t}m`).toBeDefined();
          expect(Math.abs((match?.value ?? Number.NaN) - w.value)).toBeLessThanOrEqual(1e-9 * Math.max(1, w.value));
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(0);
    });
  }
});
