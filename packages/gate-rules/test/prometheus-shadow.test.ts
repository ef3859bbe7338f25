// The shadow gate's recording rules and alert, evaluated in-process
// (helpers/promql-subset.ts; a raw series' value stands for its increase over the
// window): live comparisons and replays of recorded inputs are kept apart, each
// candidate of each deployment is judged on its own, and the alert holds a candidate
// only on live evidence.
import { prometheusName, SHADOW_METRICS } from "@agent-canary/conventions";
import { describe, expect, it } from "vitest";
import { DEFAULT_RUNBOOK_URL, parseGatesConfig } from "../src/index.js";
import { recordingRules } from "../src/prometheus/rules.js";
import { SHADOW_GATE, SHADOW_GROUP, SHADOW_RECORDED, shadowAlertExpr, shadowAlertRule, shadowRecordingRules } from "../src/prometheus/shadow.js";
import { evaluatePromql, storeOf, type Labels, type Sample, type Series } from "./helpers/promql-subset.js";

const config = parseGatesConfig(`deployments: [a, b.c]
matchers: ['namespace="x"']
evaluationInterval: 30s
shadow: { minSimilarity: 0.9, minRequests: 100, window: 3d }
`);
const shadow = config.shadow!;

interface Comparisons {
  /** Sum and count of the similarity histogram, and finished comparisons, over the window. */
  sum: number;
  count: number;
  comparisons: number;
}

/** The shadow series of one candidate and source, as @agent-canary/shadow exports them (two similarity methods). */
function shadowSeries(candidate: Labels, source: "live" | "replay", c: Comparisons): Series[] {
  const name = (key: keyof typeof SHADOW_METRICS) => prometheusName(SHADOW_METRICS[key], config.export);
  const labels = { namespace: "x", production_version_hash: "p0", ...candidate, source };
  const half = (x: number) => x / 2;
  return (["embedding", "lexical"] as const).flatMap((method): Series[] => [
    [`${name("similarity")}_sum`, { ...labels, method }, half(c.sum)],
    [`${name("similarity")}_count`, { ...labels, method }, half(c.count)],
    [name("comparisons"), { ...labels, method, decision: "agree" }, half(c.comparisons)],
  ]);
}

/** Runs the shadow group once over the raw series; the recorded series by name. */
function recorded(series: Series[]): Map<string, Sample[]> {
  const store = storeOf(series);
  const group = shadowRecordingRules(config, shadow);
  for (const rule of group.rules) {
    const v = evaluatePromql(rule.expr, store);
    if (v.kind !== "vector") throw new Error(`${rule.record} must give a vector`);
    store.set(rule.record, v.samples.map((s) => ({ labels: { ...s.labels, ...rule.labels }, value: s.value })));
  }
  return store;
}

const CANDIDATE = { deployment: "b.c", version_hash: "beef" };

describe("the shadow gate's recorded series", () => {
  it("are the live mean similarity and live comparisons per deployment and candidate; replays are never added in", () => {
    const store = recorded([
      ...shadowSeries(CANDIDATE, "live", { sum: 80, count: 100, comparisons: 100 }),
      // A replay of last month's inputs that went well: it must not lift the live mean.
      ...shadowSeries(CANDIDATE, "replay", { sum: 990, count: 1000, comparisons: 1000 }),
      ...shadowSeries({ deployment: "a", version_hash: "beef" }, "live", { sum: 180, count: 200, comparisons: 200 }),
      // Not configured ("b.c" is a dot), and another namespace.
      ...shadowSeries({ deployment: "bxc", version_hash: "beef" }, "live", { sum: 0, count: 500, comparisons: 500 }),
      ...shadowSeries({ ...CANDIDATE, namespace: "y" }, "live", { sum: 0, count: 500, comparisons: 500 }),
    ]);
    const gate = { gate: SHADOW_GATE };
    expect(store.get(SHADOW_RECORDED.similarity)).toEqual([
      { labels: { ...CANDIDATE, ...gate }, value: 0.8 },
      { labels: { deployment: "a", version_hash: "beef", ...gate }, value: 0.9 },
    ]);
    expect(store.get(SHADOW_RECORDED.comparisons)).toEqual([
      { labels: { ...CANDIDATE, ...gate }, value: 100 },
      { labels: { deployment: "a", version_hash: "beef", ...gate }, value: 200 },
    ]);
  });

  it("hold a candidate whose live answers differ once enough were compared, whatever its replays say", () => {
    const alerting = (series: Series[]) => {
      const v = evaluatePromql(shadowAlertExpr(shadow), recorded(series));
      return v.kind === "vector" ? v.samples.map((s) => s.labels) : [];
    };
    const low = { sum: 85, count: 100, comparisons: 100 };
    const high = { sum: 950, count: 1000, comparisons: 1000 };
    expect(alerting([...shadowSeries(CANDIDATE, "live", low), ...shadowSeries(CANDIDATE, "replay", high)])).toEqual([{ ...CANDIDATE, gate: SHADOW_GATE }]);
    expect(alerting([...shadowSeries(CANDIDATE, "live", high), ...shadowSeries(CANDIDATE, "replay", { sum: 10, count: 1000, comparisons: 1000 })])).toEqual([]);
    // Too few live comparisons, however many replays.
    expect(alerting([...shadowSeries(CANDIDATE, "live", { sum: 50, count: 99, comparisons: 99 }), ...shadowSeries(CANDIDATE, "replay", { sum: 10, count: 1000, comparisons: 1000 })])).toEqual([]);
  });

  it("run in their own group at the config's interval, after the gates, only when the shadow gate is configured", () => {
    const group = shadowRecordingRules(config, shadow);
    expect(group).toMatchObject({ name: SHADOW_GROUP, interval: "30s" });
    const names = recordingRules(config).groups.map((g) => g.name);
    expect(names.at(-1)).toBe(SHADOW_GROUP);
    expect(recordingRules(parseGatesConfig("deployments: [a]\n")).groups.map((g) => g.name)).not.toContain(SHADOW_GROUP);
  });

  it("alert with a summary, the window and thresholds in the description, and the similarity to three digits", () => {
    const rule = shadowAlertRule(config, shadow);
    expect(rule.annotations.summary).toBe("Shadow answers of candidate {{ $labels.version_hash }} of {{ $labels.deployment }} differ from production's: no canary may start (hold).");
    expect(rule.annotations.description).toBe(
      'Mean output similarity to production over 3d is {{ $value | printf "%.3f" }}, below the minimum 0.9, after at least 100 shadowed requests. Action: hold; a canary of this version must not start while this fires.',
    );
    expect(rule.annotations.runbook_url).toBe(`${DEFAULT_RUNBOOK_URL}#shadow-similarity`);
  });
});
