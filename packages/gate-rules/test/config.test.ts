import { describe, expect, it } from "vitest";
import { problems } from "./helpers/config-problems.js";
import { alertingRules, parseGatesConfig, PRESETS, recordingRules, ROLLOUT_PLANS } from "../src/index.js";


describe("gates config", () => {
  it("a five-line config gets the recommended gates, plan and receiver defaults", () => {
    const config = parseGatesConfig("deployments: [support-agent]\nreceiver:\n  url: http://receiver:8080\n");
    expect(config.gates.map((g) => g.kind).sort()).toEqual(PRESETS.recommended.map((g) => g.kind).sort());
    expect(config.export).toBe("prometheus");
    expect(config.rollout.stages.map((s) => s.percent)).toEqual([1, 5, 25, 50, 100]);
    expect(config.lookbackSeconds).toBe(7 * 86_400);
    expect(config.environment).toEqual({ matchers: [], by: [] });
    // The false-alarm budget is shared: the gates' alphas add up to the config's.
    expect(config.gates.reduce((sum, g) => sum + g.alpha, 0)).toBeCloseTo(0.01, 12);
  });

  it("the shadow gate is off unless configured, and `shadow: {}` takes the defaults", () => {
    const off = parseGatesConfig("deployments: [a]\n");
    expect(off.shadow).toBeUndefined();
    expect(recordingRules(off).groups.map((g) => g.name)).not.toContain("agent-canary-shadow");
    expect(alertingRules(off).groups.flatMap((g) => g.rules.map((r) => r.alert))).not.toContain("AgentCanaryShadowSimilarityLow");
    const on = parseGatesConfig("deployments: [a]\nshadow: {}\n");
    expect(on.shadow).toEqual({ minSimilarity: 0.9, minRequests: 5000, window: "7d" });
    const alert = alertingRules(on).groups.flatMap((g) => g.rules).find((r) => r.alert === "AgentCanaryShadowSimilarityLow");
    expect(alert?.labels).toEqual({ gate: "shadow_similarity", action: "hold", severity: "warning" });
    expect(alert?.expr).toContain("< 0.9 and on (deployment, version_hash)");
    expect(alert?.expr).toContain(">= 5000");
  });

  it("rejects a shadow similarity above 1, a fractional request count and a zero window, with their lines", () => {
    const found = problems("deployments: [a]\nshadow:\n  minSimilarity: 1.5\n  minRequests: 2.5\n  window: 0s\n");
    expect(found.map((p) => [p.field, p.line])).toEqual([
      ["shadow.minSimilarity", 3],
      ["shadow.minRequests", 4],
      ["shadow.window", 5],
    ]);
    expect(problems("deployments: [a]\nshadow: {minSimilarity: 0.9, window: 7d, extra: 1}\n")[0]?.message).toMatch(/unknown field extra/);
  });

  it("accepts JSON as well as YAML", () => {
    const config = parseGatesConfig('{"deployments": ["a"], "export": "otlp", "preset": "early-ratio-rollback"}', "gates.json");
    expect(config.export).toBe("otlp");
    expect(config.gates.map((g) => g.name)).toEqual(["cost", "loops", "completion", "turns"]);
    expect(config.gates.every((g) => g.method === "threshold_only" && g.minSamples === 50)).toBe(true);
  });

  it("user gates override preset gates of the same name field by field", () => {
    const config = parseGatesConfig("deployments: [a]\ngates:\n  - kind: cost_per_session\n    name: cost\n    threshold: 1.1\n");
    const cost = config.gates.find((g) => g.name === "cost");
    expect(cost?.threshold).toBe(1.1);
    expect(cost?.minSamples).toBe(PRESETS.recommended.find((g) => g.name === "cost")?.minSamples);
    expect(config.gates).toHaveLength(PRESETS.recommended.length);
  });

  it("refuses two user gates of one name, naming the second, instead of merging them into one", () => {
    const named = problems("deployments: [a]\ngates:\n  - kind: cost_per_session\n    name: cost\n    threshold: 1.1\n  - kind: cost_per_session\n    name: cost\n    threshold: 2\n");
    expect(named).toEqual([
      { file: "gates.yaml", line: 7, field: "gates[1].name", message: 'two gates are named "cost"; give each gate its own name (a gate without one is named after its kind)' },
    ]);
    // Unnamed gates take their kind as their name: two loops gates clash the same way.
    const unnamed = problems("deployments: [a]\npreset: point-thresholds\ngates:\n  - kind: loop_rate\n  - kind: loop_rate\n    threshold: 3\n");
    expect(unnamed.map((p) => p.field)).toEqual(["gates[1].name"]);
    // Of different kinds too: a loops gate named "mine" is not replaced by an errors gate named "mine".
    const mixed = problems("deployments: [a]\ngates:\n  - kind: loop_rate\n    name: mine\n  - kind: error_rate\n    name: mine\n");
    expect(mixed.map((p) => p.field)).toEqual(["gates[1].name"]);
  });

  it("names the file, line and field of a wrong value, and says what is allowed", () => {
    const [p] = problems("deployments: [a]\ngates:\n  - kind: loop_rate\n    for: 2 hours\n");
    expect(p).toMatchObject({ file: "gates.yaml", line: 4, field: "gates[0].for" });
    expect(p?.message).toMatch(/"30s", "5m", "2h"/);
  });

  it("points at an unknown key and lists the allowed kinds for a bad kind", () => {
    const found = problems("deployments: [a]\ngates:\n  - kind: cost\n    treshold: 2\n");
    expect(found.map((p) => [p.line, p.field])).toEqual(
      expect.arrayContaining([
        [3, "gates[0].kind"],
        [4, "gates[0].treshold"],
      ]),
    );
    expect(found.find((p) => p.field === "gates[0].kind")?.message).toContain("cost_per_session");
  });

  it("rejects a ratio threshold on the wrong side of 1 for the gate's harmful direction", () => {
    const [p] = problems("deployments: [a]\ngates:\n  - kind: task_completion_rate\n    name: completion\n    threshold: 1.2\n");
    expect(p).toMatchObject({ line: 5, field: "gates[0].threshold" });
    expect(p?.message).toMatch(/\(0, 1\]/);
  });

  it("rejects outcomes on a gate that does not count outcomes, and unknown outcomes", () => {
    const found = problems("deployments: [a]\ngates:\n  - kind: loop_rate\n    name: loops\n    outcomes: [error]\n  - kind: error_rate\n    name: errors\n    outcomes: [crashed]\n");
    expect(found.map((p) => p.field)).toEqual(["gates[0].outcomes", "gates[1].outcomes"]);
    expect(found[1]?.message).toContain("drain_timeout");
  });

  it("reports YAML syntax errors with their line", () => {
    const [p] = problems("deployments: [a\nexport: otlp\n");
    expect(p?.line).toBeGreaterThanOrEqual(1);
    expect(p?.message).toMatch(/^not valid YAML\/JSON: .*; fix the syntax on this line/);
    expect(p?.message).not.toMatch(/at line \d+, column/);
  });

  it("requires a deployment, and gate alphas that leave budget for the others", () => {
    expect(problems("export: otlp\n")[0]).toMatchObject({ field: "deployments" });
    const [p] = problems("deployments: [a]\nalpha: 0.01\ngates:\n  - kind: loop_rate\n    name: loops\n    alpha: 0.02\n");
    expect(p).toMatchObject({ field: "alpha", line: 2 });
  });

  it("an empty file names line 1 and says deployments is required", () => {
    const [p] = problems("", "empty.yaml");
    expect(p).toMatchObject({ file: "empty.yaml", line: 1, field: "deployments" });
    expect(p?.message).toMatch(/^required: .*deployments: \[support-agent\]/);
  });

  it("rejects zero-length intervals and look-backs as config problems, and a bad duration without throwing", () => {
    const found = problems("deployments: [a]\nevaluationInterval: 0s\nlookback: 1x\nrateRange: 0m\n");
    expect(found.map((p) => [p.line, p.field])).toEqual([
      [2, "evaluationInterval"],
      [3, "lookback"],
      [4, "rateRange"],
    ]);
    expect(found[0]?.message).toMatch(/longer than 0s/);
    expect(found[1]?.message).toMatch(/Prometheus duration/);
  });

  it("rejects a rate range shorter than the evaluation interval and a look-back under an hour", () => {
    const found = problems("deployments: [a]\nevaluationInterval: 5m\nrateRange: 2m\nlookback: 30m\n");
    expect(found.map((p) => p.field)).toEqual(["rateRange", "lookback"]);
    expect(found[0]?.message).toMatch(/sessions between evaluations would be lost/);
  });

  it("says what replaced a removed field (window, horizon) and a renamed kind, instead of 'unknown field'", () => {
    const found = [...problems("deployments: [a]\nhorizon: 60h\ngates:\n  - kind: loop_rate\n    window: 24h\n  - kind: p95_turns\n")].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    expect(found.map((p) => [p.line, p.field])).toEqual([
      [2, "horizon"],
      [5, "gates[0].window"],
      [6, "gates[1].kind"],
    ]);
    expect(found[0]?.message).toMatch(/^horizon was removed: .*however long a rollout runs/);
    expect(found[1]?.message).toMatch(/^window was removed: .*lookback/);
    expect(found[2]?.message).toMatch(/^kind p95_turns was renamed turns_per_session: it tests the mean/);
    expect(problems("deployments: [a]\ngates:\n  - kind: p95_latency\n")[0]?.message).toMatch(/write kind: session_duration/);
  });

  it("names the new preset when a config uses a preset's old name, and builds nothing from it", () => {
    const found = problems("deployments: [a]\npreset: second-source\n");
    expect(found.map((p) => [p.line, p.field])).toEqual([[2, "preset"]]);
    expect(found[0]?.message).toBe("preset second-source was renamed early-ratio-rollback (the same gates, named for what they do); write preset: early-ratio-rollback");
    expect(problems("deployments: [a]\npreset: first-source\n")[0]?.message).toMatch(/write preset: point-thresholds$/);
    expect(problems("deployments: [a]\npreset: cautious\n")[0]?.message).toBe("preset must be one of recommended, point-thresholds, early-ratio-rollback");
  });

  it("validates environment matchers and by labels, and puts them into every raw selector and aggregation", () => {
    const found = problems("deployments: [a]\nmatchers: ['namespace=prod', 'rollout_id=\"x\"']\nby: [cluster, deployment, 9lives]\n");
    expect(found.map((p) => p.field)).toEqual(["matchers[0]", "matchers[1]", "by[1]", "by[2]"]);
    expect(found[0]?.message).toMatch(/not a label matcher; write name="value"/);
    expect(found[1]?.message).toMatch(/"rollout_id" is a label agent-canary sets itself/);
    const config = parseGatesConfig("deployments: [a]\nmatchers: ['namespace=\"prod\"', 'cluster=~\"eu-.*\"']\nby: [cluster]\n");
    expect(config.environment).toEqual({ matchers: ['namespace="prod"', 'cluster=~"eu-.*"'], by: ["cluster"] });
    const rules = recordingRules(config).groups.flatMap((g) => g.rules);
    for (const r of rules.filter((x) => x.expr.includes("increase("))) expect(r.expr).toContain('namespace="prod",cluster=~"eu-.*"');
    for (const r of rules.filter((x) => /sum by|count by|topk by/.test(x.expr))) expect(r.expr).toMatch(/by \(cluster, deployment, rollout_id/);
    const alerts = alertingRules(config).groups[0]?.rules ?? [];
    for (const a of alerts.filter((x) => x.alert.endsWith("GateFailed"))) expect(a.expr).toContain("on (cluster, deployment, rollout_id)");
  });

  it("requires passBeforePercent to be a percent, and refuses it on a gate whose tolerance is zero", () => {
    const [range] = problems("deployments: [a]\ngates:\n  - kind: loop_rate\n    name: loops\n    passBeforePercent: 100\n");
    expect(range).toMatchObject({ line: 5, field: "gates[0].passBeforePercent" });
    expect(range?.message).toMatch(/above 0 and below 100/);
    const [zero] = problems("deployments: [a]\ngates:\n  - kind: safety_violations\n    name: safety\n    passBeforePercent: 25\n");
    expect(zero).toMatchObject({ line: 5, field: "gates[0].passBeforePercent" });
    expect(zero?.message).toMatch(/can never be shown "not worse".*passBeforePercent: null/);
    const config = parseGatesConfig("deployments: [a]\ngates:\n  - kind: loop_rate\n    name: loops\n    passBeforePercent: null\n");
    expect(config.gates.find((g) => g.name === "loops")?.passBeforePercent).toBeUndefined();
    // The preset's safety gate (tolerance 0) and judge gate (needs a judge) are fail-only guards; the others must pass.
    const preset = parseGatesConfig("deployments: [a]\n").gates;
    expect(preset.filter((g) => g.passBeforePercent === undefined).map((g) => g.name).sort()).toEqual(["quality", "safety"]);
  });

  it("gives each gate the test its kind and comparison call for", () => {
    const tests = Object.fromEntries(parseGatesConfig("deployments: [a]\n").gates.map((g) => [g.name, g.test]));
    expect(tests).toEqual({ cost: "mean", typical_cost: "mean", loops: "count", completion: "score", turns: "mean", errors: "score", latency: "mean", quality: "mean", safety: "count" });
    expect(problems("deployments: [a]\ngates:\n  - kind: cost_geometric_mean\n    comparison: delta\n    threshold: 0.2\n")[0]?.message).toMatch(/compares geometric means: its comparison is ratio/);
  });

  it("a gate that switches comparison must give its own threshold (a delta default is no ratio)", () => {
    const [p] = problems("deployments: [a]\ngates:\n  - kind: judge_quality\n    name: quality\n    comparison: ratio\n");
    expect(p).toMatchObject({ line: 5, field: "gates[0].comparison" });
    expect(p?.message).toMatch(/needs its own threshold \(the default 0.05 is a delta\)/);
    const ok = parseGatesConfig("deployments: [a]\ngates:\n  - kind: judge_quality\n    comparison: ratio\n    threshold: 0.95\n");
    expect(ok.gates.find((g) => g.name === "judge_quality")).toMatchObject({ comparison: "ratio", threshold: 0.95 });
  });

  it("rollout plans end at 100% and grow with the risk tier", () => {
    const hours = (tier: keyof typeof ROLLOUT_PLANS) => ROLLOUT_PLANS[tier].reduce((s, st) => s + st.minDurationSeconds, 0) / 3600;
    for (const plan of Object.values(ROLLOUT_PLANS)) expect(plan.at(-1)?.percent).toBe(100);
    expect(hours("low")).toBeLessThan(hours("medium"));
    expect(hours("medium")).toBeLessThan(hours("high"));
    expect(hours("high")).toBeLessThan(hours("critical"));
  });
});
