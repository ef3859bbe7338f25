// The controller's read path, in-process: gateReadingQuery selects one rollout's gate
// series (evaluated by helpers/promql-subset.ts against what the rules record for
// several rollouts, gates and environments), and readGateVerdicts turns the answer
// into one reading per gate. A wrong label, name or mapping here makes a controller
// act on another rollout's evidence, or on none.
import { describe, expect, it } from "vitest";
import { gateReadingQuery, parseGatesConfig, readGateVerdicts } from "../src/index.js";
import { RECORDED } from "../src/prometheus/names.js";
import { evaluatePromql, storeOf, type Labels, type Sample, type Series } from "./helpers/promql-subset.js";

const config = parseGatesConfig("deployments: [a, b]\nby: [cluster]\ngates:\n  - { kind: cost_per_session, name: cost, passBeforePercent: 25 }\n");
const OURS = { cluster: "eu", deployment: "a", rollout_id: "r1" };

/** One gate's recorded series for a rollout, with values that tell the fields apart. */
function gateSeries(labels: Labels, gate: string, base: number): Series[] {
  const at = (name: string, value: number): Series => [name, { ...labels, gate }, value];
  return [
    at(RECORDED.verdict, 1),
    at(RECORDED.value, base + 0.1),
    at(RECORDED.statistic, base + 0.2),
    at(RECORDED.boundary, base + 0.3),
    at(RECORDED.passStatistic, base + 0.4),
    at(RECORDED.passBoundary, base + 0.5),
    at(RECORDED.canarySamples, base + 0.6),
    at(RECORDED.baselineSamples, base + 0.7),
    at(RECORDED.information, base + 0.8),
    at(RECORDED.span, base + 0.9),
    // Recorded too, but not what a controller reads.
    at(RECORDED.margin, 99),
  ];
}

/** The query's answer as the HTTP API gives it: metric labels with __name__, and [time, "value"]. */
function answer(query: string, series: Map<string, Sample[]>): unknown {
  const v = evaluatePromql(query, series);
  if (v.kind !== "vector") throw new Error("the reading query must give a vector");
  return v.samples.map((s) => ({ metric: s.labels, value: [1_700_000_000, String(s.value)] }));
}

describe("reading a rollout's gates", () => {
  const series = storeOf([
    ...gateSeries(OURS, "cost", 10),
    ...gateSeries(OURS, "loops", 20),
    ...gateSeries({ ...OURS, rollout_id: "r0" }, "cost", 30),
    ...gateSeries({ ...OURS, deployment: "b" }, "cost", 40),
    ...gateSeries({ ...OURS, cluster: "us" }, "cost", 50),
  ]);

  it("selects exactly the rollout's series the controller uses, in its environment", () => {
    const query = gateReadingQuery(config, { deployment: "a", rolloutId: "r1", environment: { cluster: "eu" } });
    const got = answer(query, series) as { metric: Labels }[];
    expect(got.length).toBe(20);
    for (const { metric } of got) expect(metric).toMatchObject(OURS);
    expect(new Set(got.map((s) => s.metric.__name__))).not.toContain(RECORDED.margin);
  });

  it("reads each field from its own series", () => {
    const query = gateReadingQuery(config, { deployment: "a", rolloutId: "r1", environment: { cluster: "eu" } });
    const readings = readGateVerdicts(config, answer(query, series));
    const cost = readings.find((r) => r.gate === "cost");
    const close = (x: number) => expect.closeTo(x, 9);
    expect(cost).toEqual({
      gate: "cost",
      verdict: "failing",
      reason: "",
      value: close(10.1),
      fail: { statistic: close(10.2), boundary: close(10.3) },
      pass: { statistic: close(10.4), boundary: close(10.5) },
      samples: { canary: close(10.6), baseline: close(10.7) },
      information: close(10.8),
      span: close(10.9),
      passBeforePercent: 25,
    });
    expect(readings.find((r) => r.gate === "loops")?.value).toBeCloseTo(20.1, 9);
    expect(readings.map((r) => r.gate)).toEqual(config.gates.map((g) => g.name));
  });

  it("without the environment's labels, reads only series that lack them", () => {
    const query = gateReadingQuery(config, { deployment: "a", rolloutId: "r1" });
    expect(answer(query, series)).toEqual([]);
    const bare = storeOf(gateSeries({ deployment: "a", rollout_id: "r1" }, "cost", 60));
    expect(readGateVerdicts(config, answer(query, bare)).find((r) => r.gate === "cost")?.value).toBeCloseTo(60.1, 9);
  });

  it("maps 1, 0 and -1 to failing, undecided and passing; a gate without a verdict series is undecided with the reason", () => {
    const reply = (v: string) => [{ metric: { __name__: RECORDED.verdict, gate: "cost" }, value: [1, v] }];
    expect(readGateVerdicts(config, reply("1")).find((r) => r.gate === "cost")?.verdict).toBe("failing");
    expect(readGateVerdicts(config, reply("0")).find((r) => r.gate === "cost")).toMatchObject({ verdict: "undecided", reason: "" });
    expect(readGateVerdicts(config, reply("-1")).find((r) => r.gate === "cost")?.verdict).toBe("passing");
    const none = readGateVerdicts(config, []).find((r) => r.gate === "cost");
    expect(none).toMatchObject({ verdict: "undecided", reason: expect.stringContaining("no verdict series") });
    expect(none?.value).toBeNaN();
    expect(none?.fail.statistic).toBeNaN();
    expect(none?.span).toBeNaN();
  });

  it("ignores series of no gate or of unknown names, and names the field of a malformed reply", () => {
    const readings = readGateVerdicts(config, [
      { metric: { __name__: RECORDED.value, gate: "" }, value: [1, "5"] },
      { metric: { __name__: "up", gate: "cost" }, value: [1, "1"] },
      { metric: { gate: "cost" }, value: [1, "7"] },
    ]);
    expect(readings.find((r) => r.gate === "cost")?.value).toBeNaN();
    expect(() => readGateVerdicts(config, [{ metric: { gate: "cost" }, value: [1, 2] }])).toThrow(/^unexpected Prometheus reply at data\.result\.0\.value\.1: /);
    expect(() => readGateVerdicts(config, "nope")).toThrow(/^unexpected Prometheus reply at data\.result: /);
  });
});
