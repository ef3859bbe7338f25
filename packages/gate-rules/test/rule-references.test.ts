// Referential integrity of the generated Prometheus rules, checked in-process (no
// Prometheus): every series a rule or an alert reads is an input metric the agents
// (or the receiver) export, or is recorded by a rule that Prometheus evaluates
// before it; recorded names follow `level:metric:operation`; a name keeps one label
// set. A rule that reads a series nobody records yields nothing, forever, without
// an error anywhere: the gate stays undecided and its alert can never fire.
// Written for the mutation survivors of issue 14 (the names of the formulas'
// intermediate values), which only the real-Prometheus suites used to notice.
import { METRICS, prometheusName, RECEIVER_METRICS, SHADOW_METRICS, type ExportMode } from "@agent-canary/conventions";
import { describe, expect, it } from "vitest";
import { alertingRules, parseGatesConfig, recordingRules, type GatesConfig } from "../src/index.js";
import { EVERY_TEST_GATES } from "./helpers/every-test-gates.js";
import { parse } from "yaml";
import { gateGroupName, toYaml } from "../src/prometheus/rules.js";
import { INPUT_GROUP } from "../src/prometheus/inputs.js";
import { SHADOW_GROUP } from "../src/prometheus/shadow.js";
import { NAMED_SERIES, RECORDED } from "../src/prometheus/names.js";

/** Every gate kind and test, both comparisons, both methods, environment labels and the shadow gate. */
const EVERY_KIND = `deployments: [a, b.c]
matchers: ['namespace="x"']
by: [cluster]
shadow: { minSimilarity: 0.9, minRequests: 100 }
${EVERY_TEST_GATES}`;

const CONFIGS: [string, GatesConfig][] = [
  ["the recommended preset", parseGatesConfig("deployments: [a]\n")],
  ["every kind, prometheus export", parseGatesConfig(EVERY_KIND)],
  ["every kind, otlp export", parseGatesConfig(`export: otlp\n${EVERY_KIND}`)],
  ["point thresholds", parseGatesConfig("deployments: [a]\npreset: point-thresholds\n")],
];

const AGGREGATIONS = ["sum", "count", "min", "max", "avg", "topk", "bottomk", "group"];
const KEYWORDS = new Set([...AGGREGATIONS, "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "Inf", "NaN"]);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions,
 * keywords, label names (inside `{}` or a `by (...)` list) or parts of numbers and
 * durations.
 */
export function seriesRead(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " $1 ");
  const names = [...bare.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)].map((m) => m[1] ?? "");
  return [...new Set(names.filter((n) => !KEYWORDS.has(n)))];
}

/** The raw series the rules may read: what the agents export in the config's mode, and the receiver's rollout info. */
function inputSeries(mode: ExportMode): Set<string> {
  const names = [...Object.values(METRICS), ...Object.values(SHADOW_METRICS)].flatMap((m) => {
    const base = prometheusName(m, mode);
    return [base, `${base}_sum`, `${base}_count`, `${base}_bucket`];
  });
  return new Set([...names, RECEIVER_METRICS.rolloutInfo]);
}

/** The formulas' named values each test records (STATISTICS.md; names.ts gives their series). */
const SHARED = ["canarySamples", "baselineSamples", "baselineWeight", "canaryTotal", "baselineTotal", "information"] as const;
const INTERMEDIATES = {
  mean: [...SHARED, "canaryWithin", "baselineWithin", "strata", "margin", "standardError"],
  score: [...SHARED, "margin", "standardError"],
  count: [...SHARED, "expectedEvents", "logEvidence"],
} as const satisfies Record<GatesConfig["gates"][number]["test"], readonly (keyof typeof RECORDED)[]>;

const LEVELS = ["rollout_stratum", "rollout_group", "rollout_assignment", "rollout", "deployment_version_hash", "agent_canary"];

describe("seriesRead", () => {
  it("finds the series of an expression and nothing else", () => {
    const expr = `sum by (cluster, deployment) (increase(x_total{deployment=~"a|b",outcome="completed"}[5m])) * 0.2 > 0
  and on (deployment) last_over_time(a:b:c[7d] offset 1m) or (y:z:w{gate="g"} > bool 1e-9) * -Inf or clamp(q, 1, 2) unless topk by (d) (1, t)`;
    expect(seriesRead(expr).sort()).toEqual(["a:b:c", "q", "t", "x_total", "y:z:w"]);
  });
});

// Generated inside each test, never while the file is collected: a mutation run then
// knows which tests reach which code (code run at collection counts for every test).
function generated(config: GatesConfig) {
  const groups = recordingRules(config).groups;
  const rules = groups.flatMap((g) => g.rules);
  return { groups, rules, recorded: new Set(rules.map((r) => r.record)), inputs: inputSeries(config.export) };
}

describe.each(CONFIGS)("generated rules of %s", (_label, config) => {

  it("record only `level:metric:operation` names of agent-canary", () => {
    const { rules } = generated(config);
    for (const { record } of rules) {
      expect(record, String(record)).toMatch(/^[a-z_]+:[a-z_]+:[a-z_]+$/);
      expect(LEVELS, record).toContain(record.split(":")[0]);
      expect(record).toContain("agent_canary");
    }
  });

  it("read, in every recording rule, only input metrics and series recorded before it (or its own previous value)", () => {
    const { groups, inputs } = generated(config);
    const before = new Set<string>();
    for (const group of groups) {
      for (const rule of group.rules) {
        for (const name of seriesRead(rule.expr)) {
          const known = inputs.has(name) || before.has(name) || name === rule.record;
          expect(known, `${group.name}: ${rule.record} reads ${name}, which no earlier rule records and no agent exports`).toBe(true);
        }
        // Rules of a group run in order, each seeing what the ones before it recorded in the same evaluation.
        before.add(rule.record);
      }
    }
  });

  it("read, in every rule of a gate group, its own gate's series", () => {
    const { groups } = generated(config);
    for (const { name: gate } of config.gates) {
      const group = groups.find((g) => g.name === gateGroupName(config.gates.find((c) => c.name === gate)!));
      if (!group) throw new Error(`no recording group for gate ${gate}`);
      const gateLevel = new Set(group.rules.map((r) => r.record));
      for (const rule of group.rules) {
        expect(rule.labels?.gate, rule.record).toBe(gate);
        for (const m of rule.expr.matchAll(/([a-z_]+:[a-z_]+:[a-z_]+)\{([^}]*)\}/g)) {
          if (gateLevel.has(m[1] ?? "")) expect(m[2], `${rule.record} reads ${m[1]}`).toContain(`gate="${gate}"`);
        }
      }
    }
  });

  it("record each name with one set of labels, and each series once per group", () => {
    const { groups } = generated(config);
    const labelKeys = new Map<string, string>();
    for (const group of groups) {
      const seen = new Set<string>();
      for (const rule of group.rules) {
        const keys = Object.keys(rule.labels ?? {}).sort().join(",");
        expect(labelKeys.get(rule.record) ?? keys, `${rule.record} is recorded with labels {${keys}} and {${labelKeys.get(rule.record)}}`).toBe(keys);
        labelKeys.set(rule.record, keys);
        const series = `${rule.record}${JSON.stringify(rule.labels ?? {})}`;
        expect(seen.has(series), `${group.name} records ${series} twice`).toBe(false);
        seen.add(series);
      }
    }
  });

  it("alert only on recorded series and the receiver's rollout info", () => {
    const { recorded } = generated(config);
    for (const rule of alertingRules(config).groups.flatMap((g) => g.rules)) {
      for (const name of seriesRead(rule.expr)) expect(recorded.has(name) || name === RECEIVER_METRICS.rolloutInfo, `${rule.alert} reads ${name}`).toBe(true);
    }
  });

  it("record, per gate, the intermediate series of its test that dashboards and runbooks query, each under its own name", () => {
    const { groups } = generated(config);
    const named = new Set<string>(Object.values(NAMED_SERIES));
    expect(named.size, "two named values share a series").toBe(Object.keys(NAMED_SERIES).length);
    for (const gate of config.gates) {
      const own = new Set(groups.find((g) => g.name === gateGroupName(gate))?.rules.map((r) => r.record));
      const want = INTERMEDIATES[gate.test].map((n) => RECORDED[n]);
      expect([...own].filter((r) => named.has(r)).sort(), `${gate.name} (${gate.test})`).toEqual([...want].sort());
    }
  });
});

describe("the rule files", () => {
  it("evaluate every group at the config's interval (the increments are scaled by it), gate groups after the input layer", () => {
    const config = parseGatesConfig("deployments: [a]\nevaluationInterval: 30s\nshadow: {}\n");
    const groups: { name: string; interval: string }[] = [...recordingRules(config).groups, ...alertingRules(config).groups];
    for (const group of groups) expect(group.interval, group.name).toBe("30s");
    expect(recordingRules(config).groups.map((g) => g.name)).toEqual([INPUT_GROUP, ...config.gates.map(gateGroupName), SHADOW_GROUP]);
    expect(gateGroupName(config.gates[0]!)).toBe(`agent-canary-gate-${config.gates[0]!.name}`);
    // Prometheus refuses a file with an empty or repeated group name; the prefix finds them in its UI.
    const names = groups.map((g) => g.name);
    for (const name of names) expect(name).toMatch(/^agent-canary-[a-z]/);
    expect(new Set(names).size).toBe(names.length);
  });

  it("are written as YAML that reads back to the same rules, long expressions on one line, headed by what they are and where they come from", () => {
    const config = parseGatesConfig("deployments: [a]\nshadow: {}\n");
    const rules = recordingRules(config);
    const text = toYaml(rules, "Prometheus recording rules.");
    expect(text.split("\n").slice(0, 2)).toEqual(["# Prometheus recording rules.", "# Generated by @agent-canary/gate-rules; edit gates.yaml and regenerate instead of editing this file."]);
    expect(parse(text)).toEqual(rules);
    // No YAML anchors or aliases (the shadow rules share one labels object): each rule reads on its own.
    expect(text).not.toMatch(/[&*]a\d/);
    const longest = Math.max(...rules.groups.flatMap((g) => g.rules.map((r) => r.expr.split("\n").reduce((a, l) => Math.max(a, l.length), 0))));
    expect(longest).toBeGreaterThan(80);
    expect(text).toContain(rules.groups[1]!.rules.find((r) => r.expr.length > 80 && !r.expr.includes("\n"))!.expr);
  });
});
