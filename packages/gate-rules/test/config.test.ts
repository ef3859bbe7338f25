import { describe, expect, it } from "vitest";
import { alertingRules, GatesConfigError, parseGatesConfig, PRESETS, recordingRules, ROLLOUT_PLANS, type ConfigProblem } from "../src/index.js";

function problems(text: string, file = "gates.yaml"): readonly ConfigProblem[] {
  try {
    parseGatesConfig(text, file);
  } catch (error) {
    if (error instanceof GatesConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be rejected");
}

describe("gates config", () => {
  it("a five-line config gets the recommended gates, plan and receiver defaults", () => {
    const config = parseGatesConfig("deployments: [support-agent]\nreceiver:\n  url: http://receiver:8080\n");
    expect(config.gates.map((g) => g.kind).sort()).toEqual(PRESETS.recommended.map((g) => g.kind).sort());
    expect(config.export).toBe("prometheus");
    expect(config.rollout.stages.map((s) => s.percent)).toEqual([1, 5, 25, 50, 100]);
    expect(config.horizonSeconds).toBe(60 * 3600);
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
    const config = parseGatesConfig('{"deployments": ["a"], "export": "otlp", "preset": "second-source"}', "gates.json");
    expect(config.export).toBe("otlp");
    expect(config.gates.map((g) => g.name)).toEqual(["cost", "loops", "completion", "turns"]);
    expect(config.gates.every((g) => g.method === "threshold_only" && g.minSamples === 50)).toBe(true);
  });

  it("user gates override preset gates of the same name field by field", () => {
    const config = parseGatesConfig("deployments: [a]\ngates:\n  - kind: cost_per_session\n    name: cost\n    threshold: 1.1\n");
    const cost = config.gates.find((g) => g.name === "cost");
    expect(cost?.threshold).toBe(1.1);
    expect(cost?.window).toBe(PRESETS.recommended.find((g) => g.name === "cost")?.window);
    expect(config.gates).toHaveLength(PRESETS.recommended.length);
  });

  it("names the file, line and field of a wrong value, and says what is allowed", () => {
    const [p] = problems("deployments: [a]\ngates:\n  - kind: loop_rate\n    window: 2 hours\n");
    expect(p).toMatchObject({ file: "gates.yaml", line: 4, field: "gates[0].window" });
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

  it("rejects zero-length windows, intervals and horizons as config problems, and a bad horizon without throwing", () => {
    const found = problems("deployments: [a]\nevaluationInterval: 0s\nhorizon: 1x\ngates:\n  - kind: loop_rate\n    window: 0m\n");
    expect(found.map((p) => [p.line, p.field])).toEqual([
      [2, "evaluationInterval"],
      [3, "horizon"],
      [6, "gates[0].window"],
    ]);
    expect(found[0]?.message).toMatch(/longer than 0s/);
    expect(found[1]?.message).toMatch(/Prometheus duration/);
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
    expect(parseGatesConfig("deployments: [a]\nrollout: {tier: low}\n").horizonSeconds).toBe(8 * 3600);
  });
});
