import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  alertingRules,
  alertName,
  blindAlertName,
  evaluateGate,
  gateAnnotations,
  PRESETS,
  generateRuleFiles,
  parseGatesConfig,
  recordingRules,
  RULE_FILES,
  sessionModel,
  toYaml,
  type Gate,
  type GateKind,
  type SessionModelParams,
} from "../dist/index.js";
import { counterSeries, minuteBins, promtoolSeries, windowArms, type Scenario } from "./helpers/series.js";
import { runTool, tempDir } from "./helpers/promtool.js";

/** Short windows so scenarios fit in an hour and a half of one-minute samples. */
const GATES_YAML = `deployments: [support-agent]
evaluationInterval: 1m
horizon: 6h
gates:
${PRESETS.recommended.map((g) => `  - {kind: ${g.kind}, name: ${g.name}, window: 30m, for: 2m, minSamples: 100}`).join("\n")}
`;
const config = parseGatesConfig(GATES_YAML, "promtool-test.yaml");

const REGRESSION: Record<GateKind, Partial<SessionModelParams>> = {
  cost_per_session: { costMedianUsd: 0.08 },
  loop_rate: { loopRate: 0.1, completionRate: 0.84 },
  task_completion_rate: { completionRate: 0.78 },
  p95_turns: { turnsMedian: 12 },
  error_rate: { errorRate: 0.12, completionRate: 0.85 },
  p95_latency: { durationMedianSeconds: 80 },
  judge_quality: { qualityMean: 0.6 },
  safety_violations: { unsafeRate: 0.06 },
};

const END = 90;
const WINDOW = 30;
const DEPLOYMENT = "support-agent";
let dir: string;

beforeAll(async () => {
  dir = await tempDir("promtool");
  await writeFile(join(dir, "recording.yaml"), toYaml(recordingRules(config), "test"));
  await writeFile(join(dir, "alerts.yaml"), toYaml(alertingRules(config), "test"));
});
afterAll(async () => {
  if (!process.env.KEEP) await rm(dir, { recursive: true, force: true });
});

function scenario(seed: number, canary: Partial<SessionModelParams>, canaryPerMinute = 20): Scenario {
  return { deployment: DEPLOYMENT, minutes: END, seed, baseline: { model: sessionModel(), perMinute: 20 }, canary: { model: sessionModel(canary), perMinute: canaryPerMinute } };
}

const verdictAt = (gate: Gate, s: ReturnType<typeof minuteBins>, t: number) => evaluateGate(gate, windowArms(s, t, WINDOW));

function expectedAlert(gate: Gate, bins: ReturnType<typeof minuteBins>) {
  const r = verdictAt(gate, bins, END);
  const slots = { value: r.value.toFixed(4), z: r.statistic.toFixed(2), boundary: r.boundary.toFixed(2) };
  const annotations = gateAnnotations(gate, config, slots);
  annotations.summary = annotations.summary?.replace("{{ $labels.deployment }}", DEPLOYMENT) ?? "";
  return { exp_labels: { deployment: DEPLOYMENT, gate: gate.name, action: gate.action, severity: gate.severity }, exp_annotations: annotations };
}

function unitTest(name: string, s: Scenario, body: Record<string, unknown>, mode = config.export) {
  return { name, interval: "1m", input_series: promtoolSeries(counterSeries(s, minuteBins(s), mode)), ...body };
}

async function promtoolTest(gate: Gate, tests: Record<string, unknown>[]): Promise<void> {
  const file = join(dir, `${gate.name}.test.yaml`);
  const groupOrder = [...recordingRules(config).groups.map((g) => g.name), ...alertingRules(config).groups.map((g) => g.name)];
  await writeFile(file, stringify({ rule_files: ["recording.yaml", "alerts.yaml"], evaluation_interval: "1m", group_eval_order: groupOrder, tests }, { lineWidth: 0 }));
  const result = await runTool("promtool", ["test", "rules", file]);
  expect(result.output).toContain("SUCCESS");
  expect(result.code).toBe(0);
}

describe("generated rule files", () => {
  it("pass promtool check rules (example config, both export modes)", async () => {
    for (const mode of ["prometheus", "otlp"] as const) {
      const files = generateRuleFiles(parseGatesConfig(`deployments: [support-agent, billing.bot]\nexport: ${mode}\n`));
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

describe("promtool test rules, per gate kind", () => {
  for (const gate of config.gates) {
    it(`${gate.kind}: fires on its regression, stays silent for A/A and below the minimum samples`, async () => {
      const regressed = scenario(11, REGRESSION[gate.kind]);
      const bad = minuteBins(regressed);
      // The scenario must be a clear failure for the evaluator too, for the whole `for` period.
      for (const t of [END - 3, END - 2, END - 1, END]) expect(verdictAt(gate, bad, t).verdict).toBe("fail");

      const same = scenario(12, {});
      const sameBins = minuteBins(same);
      const checks = [40, 55, 70, END];
      for (const t of checks) expect(verdictAt(gate, sameBins, t).verdict).not.toBe("fail");

      const few = scenario(13, REGRESSION[gate.kind], 3);
      const fewBins = minuteBins(few);
      expect(verdictAt(gate, fewBins, END).verdict).toBe("insufficient_data");

      const armSamples = verdictAt(gate, bad, END).samples;
      await promtoolTest(gate, [
        unitTest("regression", regressed, {
          alert_rule_test: [{ eval_time: `${END}m`, alertname: alertName(gate), exp_alerts: [expectedAlert(gate, bad)] }],
          promql_expr_test: [
            {
              expr: `deployment_version_group:agent_canary_gate_samples:increase{gate="${gate.name}"}`,
              eval_time: `${END}m`,
              exp_samples: (["baseline", "canary"] as const).map((g) => ({
                labels: `deployment_version_group:agent_canary_gate_samples:increase{deployment="${DEPLOYMENT}",gate="${gate.name}",version_group="${g}"}`,
                value: armSamples[g],
              })),
            },
          ],
        }),
        unitTest("identical versions", same, {
          alert_rule_test: checks.flatMap((t) => [alertName(gate), blindAlertName(gate)].map((alertname) => ({ eval_time: `${t}m`, alertname, exp_alerts: [] }))),
        }),
        unitTest("below minimum samples", few, {
          alert_rule_test: [
            { eval_time: `${END}m`, alertname: alertName(gate), exp_alerts: [] },
            { eval_time: `${END}m`, alertname: blindAlertName(gate), exp_alerts: [] },
          ],
        }),
      ]);
    });
  }
});

describe("a gate that cannot see its series", () => {
  it("raises its Blind alert when the agent exports OTLP names but the config says prometheus", async () => {
    const gate = config.gates.find((g) => g.kind === "p95_latency");
    if (!gate) throw new Error("no latency gate");
    const s = scenario(14, {});
    const blind = {
      exp_labels: { deployment: DEPLOYMENT, gate: gate.name, severity: "warning" },
      exp_annotations: Object.fromEntries(
        Object.entries(alertingRules(config).groups[0]?.rules.find((r) => r.alert === blindAlertName(gate))?.annotations ?? {}).map(([k, v]) => [
          k,
          v.replace("{{ $labels.deployment }}", DEPLOYMENT),
        ]),
      ),
    };
    await promtoolTest(gate, [
      unitTest(
        "otlp names",
        s,
        {
          alert_rule_test: [
            { eval_time: `${END}m`, alertname: blindAlertName(gate), exp_alerts: [blind] },
            { eval_time: `${END}m`, alertname: alertName(gate), exp_alerts: [] },
          ],
        },
        "otlp",
      ),
    ]);
  });
});
