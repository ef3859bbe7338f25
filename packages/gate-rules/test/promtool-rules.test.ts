import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  alertingRules,
  alertName,
  shadowAnnotations,
  SHADOW_ALERT,
  blindAlertName,
  gateAnnotations,
  generateRuleFiles,
  parseGatesConfig,
  recordingRules,
  RULE_FILES,
  type Gate,
  type GateKind,
} from "../src/index.js";
import { counterSeries, promtoolSeries } from "./helpers/series.js";
import {
  binsOf,
  blindAt,
  CASES,
  CHECKS,
  END,
  firesAt,
  KINDS,
  SCENARIO_GATES_YAML,
  SHADOW_CASES,
  SHADOW_MIN_REQUESTS,
  SHADOW_MIN_SIMILARITY,
  shadowCounters,
  shadowFires,
  stateAt,
  verdictAt,
  WINDOW,
  type Case,
} from "./helpers/gate-scenarios.js";
import { ruleFilesDir, runTool } from "./helpers/promtool.js";

const config = parseGatesConfig(SCENARIO_GATES_YAML, "promtool-test.yaml");
const gateOf = (kind: GateKind): Gate => {
  const gate = config.gates.find((g) => g.kind === kind);
  if (!gate) throw new Error(`no ${kind} gate`);
  return gate;
};


const withDeployment = (annotations: Record<string, string>, deployment: string) =>
  Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, v.replace("{{ $labels.deployment }}", deployment)]));

function failedAlert(gate: Gate, c: Case, t: number) {
  const r = verdictAt(gate, c, t);
  const deployment = c.scenario.deployment;
  const slots = { value: r.value.toFixed(4), z: r.statistic.toFixed(2), boundary: r.boundary.toFixed(2) };
  return {
    exp_labels: { deployment, gate: gate.name, action: gate.action, severity: gate.severity },
    exp_annotations: withDeployment(gateAnnotations(gate, config, slots), deployment),
  };
}

function blindAlert(gate: Gate, c: Case) {
  const rule = alertingRules(config).groups[0]?.rules.find((r) => r.alert === blindAlertName(gate));
  return { exp_labels: { deployment: c.scenario.deployment, gate: gate.name, severity: "warning" }, exp_annotations: withDeployment(rule?.annotations ?? {}, c.scenario.deployment) };
}

/** What every alert of every gate should be at time t, over all deployments, as the evaluator decides it. */
function alertTests(t: number) {
  return config.gates.flatMap((gate) => [
    { eval_time: `${t}m`, alertname: alertName(gate), exp_alerts: CASES.filter((c) => firesAt(gate, c, t)).map((c) => failedAlert(gate, c, t)) },
    { eval_time: `${t}m`, alertname: blindAlertName(gate), exp_alerts: CASES.filter((c) => blindAt(gate, c, t)).map((c) => blindAlert(gate, c)) },
  ]);
}

/** Per-arm sample counts of every gate at END must be the evaluator's inputs. */
function sampleTests() {
  return config.gates.map((gate) => ({
    expr: `deployment_version_group:agent_canary_gate_samples:increase{gate="${gate.name}"}`,
    eval_time: `${END}m`,
    exp_samples: CASES.filter((c) => !c.unseen(gate)).flatMap((c) => {
      const samples = verdictAt(gate, c, END).samples;
      return (["baseline", "canary"] as const).map((g) => ({
        labels: `deployment_version_group:agent_canary_gate_samples:increase{deployment="${c.scenario.deployment}",gate="${gate.name}",version_group="${g}"}`,
        value: samples[g],
      }));
    }),
  }));
}


function shadowAlertTests(t: number) {
  const shadow = config.shadow;
  if (!shadow) throw new Error("the test config has no shadow section");
  const exp_alerts = SHADOW_CASES.filter(shadowFires).map((c) => ({
    exp_labels: { deployment: c.deployment, version_hash: `cand-${c.deployment}`, gate: "shadow_similarity", action: "hold", severity: "warning" },
    exp_annotations: Object.fromEntries(
      Object.entries(shadowAnnotations(config, shadow, c.similarity.toFixed(3))).map(([k, v]) =>
        [k, v.replace("{{ $labels.deployment }}", c.deployment).replace("{{ $labels.version_hash }}", `cand-${c.deployment}`)],
      ),
    ),
  }));
  return { eval_time: `${t}m`, alertname: SHADOW_ALERT, exp_alerts };
}

let dir: string;
beforeAll(async () => {
  dir = await ruleFilesDir("promtool", config);
});
afterAll(async () => {
  if (!process.env.KEEP) await rm(dir, { recursive: true, force: true });
});

describe("generated rule files", () => {
  it("pass promtool check rules (example config, both export modes)", async () => {
    for (const mode of ["prometheus", "otlp"] as const) {
      const files = generateRuleFiles(parseGatesConfig(`deployments: [support-agent, billing.bot]\nexport: ${mode}\nshadow: {}\n`));
      const paths: string[] = [];
      for (const f of files.filter((x) => x.path.startsWith("prometheus/"))) {
        const path = join(dir, `${mode}-${f.path.replace(/\//g, "_")}`);
        await writeFile(path, f.content);
        paths.push(path);
      }
      const result = await runTool("promtool", ["check", "rules", ...paths]);
      expect(result.output).not.toContain("FAILED");
      expect(result.code).toBe(0);
    }
    expect(RULE_FILES.recording).toMatch(/^prometheus\//);
  });
});

describe("promtool test rules, every gate kind and scenario in one run", () => {
  it("the scenarios mean what they say to the evaluator", () => {
    const find = (deployment: string) => {
      const c = CASES.find((x) => x.scenario.deployment === deployment);
      if (!c) throw new Error(`no case ${deployment}`);
      return c;
    };
    for (const kind of KINDS) {
      const gate = gateOf(kind);
      // A clear failure for the whole `for` period, and nothing at all with too few canary sessions.
      expect(firesAt(gate, find(`regressed-${kind}`), END)).toBe(true);
      for (const t of CHECKS) expect(stateAt(gate, find(`few-${kind}`), t)).toEqual({ fails: false, blind: false });
      for (const t of CHECKS) expect(verdictAt(gate, find("identical"), t).verdict).not.toBe("fail");
    }
    // Zero variance: the mean gates have no statistic (so they are blind), the canary is still twice as bad.
    const zero = find("zero-variance");
    for (const kind of ["p95_turns", "cost_per_session", "p95_latency", "judge_quality"] as const) {
      expect(verdictAt(gateOf(kind), zero, END).reason).toMatch(/zero variance/);
      expect(blindAt(gateOf(kind), zero, END)).toBe(true);
    }
    expect(blindAt(gateOf("p95_latency"), find("otlp-names"), END)).toBe(true);
    // Shadow: low similarity with enough requests fires; too few requests or high similarity stay silent.
    expect(SHADOW_CASES.map(shadowFires)).toEqual([true, false, false]);
    expect(config.shadow).toEqual({ minSimilarity: SHADOW_MIN_SIMILARITY, minRequests: SHADOW_MIN_REQUESTS, window: `${WINDOW}m` });
  });

  it("alerts and per-arm samples match the evaluator for every gate, deployment and check time", async () => {
    const inputSeries = [...CASES.flatMap((c) => promtoolSeries(counterSeries(c.scenario, binsOf(c), c.mode))), ...SHADOW_CASES.flatMap((c) => promtoolSeries(shadowCounters(c)))];
    const alertRuleTests = [...CHECKS.flatMap(alertTests), ...CHECKS.map(shadowAlertTests)];
    const test = { name: "all scenarios", interval: "1m", input_series: inputSeries, alert_rule_test: alertRuleTests, promql_expr_test: sampleTests() };
    const groupOrder = [...recordingRules(config).groups.map((g) => g.name), ...alertingRules(config).groups.map((g) => g.name)];
    const file = join(dir, "scenarios.test.yaml");
    await writeFile(file, stringify({ rule_files: ["recording.yaml", "alerts.yaml"], evaluation_interval: "1m", group_eval_order: groupOrder, tests: [test] }, { lineWidth: 0 }));
    const result = await runTool("promtool", ["test", "rules", file]);
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });
});
