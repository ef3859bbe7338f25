// Config validation rules a user relies on, one per test, each with the field and
// line it names. Written against the survivors of mutation testing (issue 14;
// scripts/mutation.sh gate-rules-config).
import { describe, expect, it } from "vitest";
import { problems } from "./helpers/config-problems.js";
import { durationSeconds, formatDuration } from "../src/config/duration.js";
import { formatProblem, GatesConfigError, loadGatesConfig, parseGatesConfig, planSeconds } from "../src/index.js";


const gate = (lines: string) => `deployments: [a]\ngates:\n${lines}`;
const stage = (percent: number) => `    - { percent: ${percent}, minDurationSeconds: 3600, minSessionsPerArm: 10 }\n`;

describe("rollout stages", () => {
  it("refuse a plan whose last stage is not 100%, at the stages' line", () => {
    const [p, ...rest] = problems(`deployments: [a]\nrollout:\n  stages:\n${stage(5)}${stage(50)}`);
    expect(rest).toEqual([]);
    expect(p).toEqual({ file: "gates.yaml", line: 4, field: "rollout.stages", message: "the last stage must be percent: 100 (promotion)" });
  });

  it("take a plan that ends at 100%, and count only the time below 100% as gated time", () => {
    const config = parseGatesConfig(`deployments: [a]\nrollout:\n  stages:\n${stage(5)}${stage(50)}${stage(100)}`);
    expect(config.rollout.stages.map((s) => s.percent)).toEqual([5, 50, 100]);
    expect(planSeconds(config.rollout.stages)).toBe(7200);
  });

  it("use the tier's plan when no stages are given", () => {
    const config = parseGatesConfig("deployments: [a]\nrollout:\n  tier: low\n");
    expect(config.rollout).toEqual({ tier: "low", stages: expect.arrayContaining([expect.objectContaining({ percent: 100 })]) });
    expect(config.rollout.stages.map((s) => s.percent)).toEqual([1, 25, 100]);
  });
});

describe("ratio thresholds", () => {
  it("refuse a ratio below 1 for a gate where higher is worse, naming the gate's field and line", () => {
    const [p, ...rest] = problems(gate("  - kind: cost_per_session\n    name: spend\n    threshold: 0.9\n"));
    expect(rest).toEqual([]);
    expect(p).toEqual({
      file: "gates.yaml",
      line: 5,
      field: "gates[0].threshold",
      message: "a ratio threshold for cost_per_session (higher is worse) is at least 1, e.g. 1.2 allows 20% more",
    });
  });

  it("take exactly 1 for higher-is-worse, and exactly 1 but not 0 for lower-is-worse", () => {
    expect(parseGatesConfig(gate("  - kind: cost_per_session\n    name: spend\n    threshold: 1\n    passBeforePercent: null\n")).gates.find((g) => g.name === "spend")?.threshold).toBe(1);
    expect(parseGatesConfig(gate("  - kind: task_completion_rate\n    name: done\n    threshold: 1\n    passBeforePercent: null\n")).gates.find((g) => g.name === "done")?.threshold).toBe(1);
    const [zero] = problems(gate("  - kind: task_completion_rate\n    name: done\n    threshold: 0\n"));
    expect(zero).toMatchObject({ field: "gates[0].threshold", message: "a ratio threshold for task_completion_rate (lower is worse) is in (0, 1], e.g. 0.95 allows 5% less" });
  });

  it("do not apply to delta comparisons", () => {
    const config = parseGatesConfig(gate("  - kind: error_rate\n    name: errs\n    comparison: delta\n    threshold: 0.02\n"));
    expect(config.gates.find((g) => g.name === "errs")).toMatchObject({ comparison: "delta", threshold: 0.02 });
  });

  it("refuse a geometric-mean gate compared by delta", () => {
    const [p] = problems(gate("  - kind: cost_geometric_mean\n    name: typical\n    comparison: delta\n    threshold: 0.1\n"));
    expect(p).toMatchObject({ field: "gates[0].comparison", message: "cost_geometric_mean compares geometric means: its comparison is ratio (e.g. threshold 1.25), not delta" });
  });

  it("take a delta for an arithmetic mean and a ratio for a geometric mean", () => {
    const spend = parseGatesConfig(gate("  - kind: cost_per_session\n    name: spend\n    comparison: delta\n    threshold: 0.05\n"));
    expect(spend.gates.find((g) => g.name === "spend")).toMatchObject({ comparison: "delta", threshold: 0.05, test: "mean" });
    const typical = parseGatesConfig(gate("  - kind: cost_geometric_mean\n    name: typical_cost\n    threshold: 1.3\n"));
    expect(typical.gates.find((g) => g.name === "typical_cost")).toMatchObject({ comparison: "ratio", threshold: 1.3 });
  });

  it("name the inherited threshold's scale when a gate switches comparison without one", () => {
    const p = problems(gate("  - kind: error_rate\n    name: errors\n    comparison: ratio\n")).find((x) => x.field === "gates[0].comparison");
    expect(p).toMatchObject({ field: "gates[0].comparison", message: "comparison: ratio needs its own threshold (the default 0.01 is a delta); e.g. 1.2 for a ratio" });
    const q = problems(gate("  - kind: cost_per_session\n    name: cost\n    comparison: delta\n")).find((x) => x.field === "gates[0].comparison");
    expect(q?.message).toMatch(/is a ratio\); e\.g\. 0\.01 for a delta$/);
  });

  it("take a comparison without a threshold when it is the one the replaced gate already uses", () => {
    // Restating the preset gate's own comparison inherits a threshold on the right scale.
    const same = parseGatesConfig(gate("  - kind: error_rate\n    name: errors\n    comparison: delta\n"));
    expect(same.gates.find((g) => g.name === "errors")).toMatchObject({ comparison: "delta", threshold: 0.01 });
    // The scale is the replaced preset gate's (found by name), not the kind's: a loop_rate gate
    // named "errors" replaces the delta errors gate, so delta inherits 0.01, a delta (the
    // loop_rate defaults are a ratio of 1.5), and ratio does not.
    const renamed = parseGatesConfig(gate("  - kind: loop_rate\n    name: errors\n    comparison: delta\n"));
    expect(renamed.gates.find((g) => g.name === "errors")).toMatchObject({ kind: "loop_rate", comparison: "delta", threshold: 0.01 });
    expect(renamed.gates).toHaveLength(parseGatesConfig("deployments: [a]\n").gates.length);
    expect(problems(gate("  - kind: loop_rate\n    name: errors\n    comparison: ratio\n")).find((p) => p.field === "gates[0].comparison")).toEqual(
      {
        file: "gates.yaml",
        line: 5,
        field: "gates[0].comparison",
        message: "comparison: ratio needs its own threshold (the default 0.01 is a delta); e.g. 1.2 for a ratio",
      },
    );
  });
});

describe("gates", () => {
  it("refuse a tolerance of zero on a gate that must pass, by its comparison's zero", () => {
    const [ratio] = problems(gate("  - kind: cost_per_session\n    name: spend\n    threshold: 1\n    passBeforePercent: 25\n"));
    expect(ratio).toMatchObject({ field: "gates[0].passBeforePercent" });
    expect(ratio?.message).toContain("a gate with a tolerance of 1 (ratio) can never be shown");
    const [delta] = problems(gate("  - kind: error_rate\n    name: errs\n    threshold: 0\n    passBeforePercent: 25\n"));
    expect(delta?.message).toContain("a tolerance of 0 (delta)");
    // A small but non-zero tolerance may be required to pass.
    expect(parseGatesConfig(gate("  - kind: error_rate\n    name: errs\n    threshold: 0.001\n    passBeforePercent: 25\n")).gates.find((g) => g.name === "errs")?.passBeforePercent).toBe(25);
  });

  it("refuse outcomes on gates that do not count them, and list the allowed outcomes", () => {
    const [p] = problems(gate("  - kind: cost_per_session\n    name: spend\n    outcomes: [error]\n"));
    expect(p).toMatchObject({ field: "gates[0].outcomes", message: "outcomes applies only to error_rate and task_completion_rate, not cost_per_session" });
    const config = parseGatesConfig(gate("  - kind: error_rate\n    name: errs\n    outcomes: [error, drain_timeout]\n"));
    expect(config.gates.find((g) => g.name === "errs")?.outcomes).toEqual(["error", "drain_timeout"]);
  });

  it("a user gate replaces the preset gate of its name field by field and keeps the preset's rho for the same test", () => {
    const config = parseGatesConfig(gate("  - kind: cost_per_session\n    name: cost\n    threshold: 1.5\n    severity: warning\n"));
    const cost = config.gates.filter((g) => g.name === "cost");
    expect(cost).toHaveLength(1);
    expect(cost[0]).toMatchObject({ threshold: 1.5, severity: "warning", action: "rollback", comparison: "ratio", test: "mean", method: "always_valid", forSeconds: 180 });
    expect(cost[0]?.rho).toBe(parseGatesConfig("deployments: [a]\n").gates.find((g) => g.name === "cost")?.rho);
  });

  it("a new gate takes its kind's defaults, the default rho of its test, and its own fields", () => {
    const config = parseGatesConfig(gate("  - kind: loop_rate\n    name: loops_two\n    rho: 7\n    minSamples: 3\n    for: 1h30m\n    passAlpha: 0.1\n    description: more loops\n"));
    expect(config.gates.at(-1)).toMatchObject({ name: "loops_two", kind: "loop_rate", rho: 7, minSamples: 3, for: "1h30m", forSeconds: 5400, passAlpha: 0.1, description: "more loops" });
    expect(config.gates.find((g) => g.name === "cost")?.passAlpha).toBe(0.05);
    const unnamed = parseGatesConfig(gate("  - kind: turns_per_session\n    name: turns_b\n    method: threshold_only\n")).gates.at(-1);
    expect(unnamed).toMatchObject({ method: "threshold_only", name: "turns_b" });
  });

  it("split the alpha left by gates with their own evenly over the others", () => {
    const base = parseGatesConfig("deployments: [a]\nalpha: 0.02\n");
    const n = base.gates.length;
    for (const g of base.gates) expect(g.alpha).toBeCloseTo(0.02 / n, 12);
    const own = parseGatesConfig("deployments: [a]\nalpha: 0.02\ngates:\n  - kind: cost_per_session\n    name: cost\n    alpha: 0.011\n");
    expect(own.gates.find((g) => g.name === "cost")?.alpha).toBe(0.011);
    for (const g of own.gates.filter((x) => x.name !== "cost")) expect(g.alpha).toBeCloseTo(0.009 / (n - 1), 12);
    const [p] = problems("deployments: [a]\nalpha: 0.02\ngates:\n  - kind: cost_per_session\n    name: cost\n    alpha: 0.02\n");
    expect(p?.message).toBe("the gates' own alpha values add up to 0.02, leaving nothing of alpha 0.02 for the others; raise alpha or lower the gates' values");
  });
});

describe("gate defaults", () => {
  it("a new gate of a preset kind keeps that kind's rho for the same test, and takes its test's default rho for another test", () => {
    const config = parseGatesConfig(gate("  - kind: loop_rate\n    name: loops_two\n  - kind: loop_rate\n    name: loops_delta\n    comparison: delta\n    threshold: 0.01\n"));
    expect(config.gates.find((g) => g.name === "loops_two")).toMatchObject({ test: "count", rho: 4 });
    expect(config.gates.find((g) => g.name === "loops_delta")).toMatchObject({ test: "score", rho: 20 });
    const mean = parseGatesConfig(gate("  - kind: cost_per_session\n    name: spend\n    method: threshold_only\n")).gates.find((g) => g.name === "spend");
    expect(mean).toMatchObject({ test: "mean", rho: 10 });
  });

  it("a new gate takes its kind's passBeforePercent unless it gives one, and its own action", () => {
    const config = parseGatesConfig(gate("  - kind: error_rate\n    name: errs_two\n  - kind: turns_per_session\n    name: turns_two\n    action: rollback\n    passBeforePercent: null\n"));
    expect(config.gates.find((g) => g.name === "errs_two")).toMatchObject({ passBeforePercent: 25, action: "rollback" });
    expect(config.gates.find((g) => g.name === "turns_two")).toMatchObject({ passBeforePercent: undefined, action: "rollback" });
    expect(parseGatesConfig(gate("  - kind: cost_per_session\n    name: cost\n    action: hold\n")).gates.find((g) => g.name === "cost")?.action).toBe("hold");
  });

  it("lists every unknown outcome, comma-separated, with the allowed ones", () => {
    const [p] = problems(gate("  - kind: error_rate\n    name: errs\n    outcomes: [crashed, exploded]\n"));
    expect(p?.message).toMatch(/^unknown outcome crashed, exploded; allowed: completed, failed, /);
  });
});

describe("ranges", () => {
  it("take a rate range equal to the evaluation interval and a look-back of exactly 1h above it", () => {
    const config = parseGatesConfig("deployments: [a]\nevaluationInterval: 5m\nrateRange: 5m\nlookback: 1h\n");
    expect(config).toMatchObject({ evaluationSeconds: 300, rateRangeSeconds: 300, lookbackSeconds: 3600, lookback: "1h", rateRange: "5m", evaluationInterval: "5m" });
  });

  it("refuse a look-back under 1h or not longer than the rate range", () => {
    expect(problems("deployments: [a]\nlookback: 59m\n").map((p) => [p.field, p.message])).toEqual([
      ["lookback", "lookback 59m must be at least 1h and longer than rateRange; e.g. 7d (keep it within the Prometheus retention)"],
    ]);
    expect(problems("deployments: [a]\nrateRange: 2h\nlookback: 2h\n").map((p) => p.field)).toEqual(["lookback"]);
    expect(problems("deployments: [a]\nevaluationInterval: 2m\nrateRange: 1m\n")[0]?.message).toBe(
      "rateRange 1m is shorter than evaluationInterval 2m: sessions between evaluations would be lost; use at least 4 scrape intervals, e.g. 5m",
    );
  });

  it("durations add their units, and format back to the shortest text", () => {
    expect(durationSeconds("1w2d3h4m5s")).toBe(604_800 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5);
    expect(durationSeconds("1500ms")).toBe(1.5);
    expect(() => durationSeconds("5 m")).toThrow('"5 m" is not a duration; write e.g. "30s", "5m", "2h", "1d"');
    expect(() => durationSeconds("5m ")).toThrow();
    expect(() => durationSeconds("m")).toThrow();
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(90_061)).toBe("1d1h1m1s");
    expect(formatDuration(3600)).toBe("1h");
    expect(formatDuration(59.6)).toBe("1m");
  });

  it("refuse a zero duration where an interval is needed, and a malformed one, with the fix", () => {
    const [zero] = problems("deployments: [a]\nevaluationInterval: 0s\n");
    expect(zero).toMatchObject({ field: "evaluationInterval", line: 2, message: 'must be longer than 0s, e.g. "1m" or "12h"' });
    const [bad] = problems("deployments: [a]\nevaluationInterval: 1 minute\n");
    expect(bad).toMatchObject({ field: "evaluationInterval", message: 'write a Prometheus duration such as "30s", "5m", "2h" or "1d"' });
  });
});

describe("environment labels", () => {
  it("trim matchers and take every operator", () => {
    const config = parseGatesConfig('deployments: [a]\nmatchers: [\' namespace="prod" \', \'cluster=~"eu-.*"\', \'job!="x"\', \'zone!~"a\\"b"\']\nby: [cluster, _zone2]\n');
    expect(config.environment).toEqual({ matchers: ['namespace="prod"', 'cluster=~"eu-.*"', 'job!="x"', 'zone!~"a\\"b"'], by: ["cluster", "_zone2"] });
  });

  it("refuse labels agent-canary sets, Prometheus-internal labels and non-matchers, each with its reason", () => {
    const found = problems('deployments: [a]\nmatchers: [\'version_group="canary"\', \'__name__="x"\', \'namespace=prod\', \'namespace == "x"\']\nby: [le, 2cluster, __meta]\n');
    expect(found.map((p) => [p.field, p.message])).toEqual([
      ["matchers[0]", '"version_group" is a label agent-canary sets itself; choose an environment label such as cluster, namespace or job'],
      ["matchers[1]", '"__name__": labels starting with __ are internal to Prometheus'],
      ["matchers[2]", '"namespace=prod" is not a label matcher; write name="value", name!="value", name=~"regex" or name!~"regex", e.g. namespace="prod"'],
      ["matchers[3]", expect.stringContaining("is not a label matcher")],
      ["by[0]", '"le" is a label agent-canary sets itself; choose an environment label such as cluster, namespace or job'],
      ["by[1]", "a label name is letters, digits and '_', not starting with a digit, e.g. cluster"],
      ["by[2]", '"__meta": labels starting with __ are internal to Prometheus'],
    ]);
  });
});

describe("problems", () => {
  it("are formatted as file:line: field: message, and a top-level one says so", () => {
    expect(formatProblem({ file: "g.yaml", line: 3, field: "alpha", message: "m" })).toBe("g.yaml:3: alpha: m");
    expect(formatProblem({ file: "g.yaml", line: undefined, field: "", message: "m" })).toBe("g.yaml: (top level): m");
    const error = new GatesConfigError([
      { file: "g.yaml", line: 1, field: "a", message: "x" },
      { file: "g.yaml", line: 2, field: "b", message: "y" },
    ]);
    expect(error.message).toBe("g.yaml:1: a: x\ng.yaml:2: b: y");
    expect(error.name).toBe("GatesConfigError");
  });

  it("point at an unknown key's own line, and name several unknown keys at once", () => {
    const [one] = problems("deployments: [a]\nalpah: 0.01\n");
    expect(one).toEqual({ file: "gates.yaml", line: 2, field: "alpah", message: "unknown field alpah; check the spelling against the config reference in README.md" });
    const [two] = problems("deployments: [a]\nfoo: 1\nbar: 2\n");
    expect(two?.message).toBe("unknown fields foo, bar; check the spelling against the config reference in README.md");
    const [nested] = problems(gate("  - kind: loop_rate\n    name: l\n    colour: red\n"));
    expect(nested).toMatchObject({ field: "gates[0].colour", line: 5 });
  });

  it("give the removed field's replacement only where it was a field (top level horizon, a gate's window)", () => {
    expect(problems("deployments: [a]\nhorizon: 7d\n")[0]?.message).toMatch(/^horizon was removed/);
    expect(problems(gate("  - kind: loop_rate\n    window: 1h\n"))[0]?.message).toMatch(/^window was removed/);
    expect(problems("deployments: [a]\nwindow: 1h\n")[0]?.message).toMatch(/^unknown field window/);
    expect(problems("deployments: [a]\nreceiver:\n  horizon: 1h\n")[0]?.message).toMatch(/^unknown field horizon/);
  });

  it("name a YAML syntax error's line and column-free message, and an empty document's line 1", () => {
    const [p] = problems("deployments: [a]\nalpha: [\n");
    expect(p?.field).toBe("");
    expect(p?.message).toMatch(/^not valid YAML\/JSON: .*; fix the syntax on this line \(gates\.yaml is a YAML mapping such as "deployments: \[support-agent\]"\)$/);
    const dup = problems("deployments: [a]\ndeployments: [b]\n");
    expect(dup[0]?.line).toBe(2);
  });

  it("a missing file is an I/O error naming the path, not a config problem", async () => {
    await expect(loadGatesConfig("/nonexistent/gates.yaml")).rejects.toThrow("/nonexistent/gates.yaml: file not found; pass the path of your gates.yaml");
    await expect(loadGatesConfig("/")).rejects.toThrow(/^\/: Error: EISDIR/);
  });
});
