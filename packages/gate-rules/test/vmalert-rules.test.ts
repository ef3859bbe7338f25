import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAlertmanager, startVictoriaMetrics, startVmalert, victoriaMetricsBinaries, waitFor, type ExportedSeries, type VictoriaMetricsHandle } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertingRules, alertmanagerConfig, alertName, blindAlertName, parseGatesConfig, RECORDED, recordingRules, SHADOW_ALERT, toYaml, type Gate } from "../src/index.js";
import { binsOf, blindAt, CASES, CHECKS, END, firesAt, KINDS, SCENARIO_GATES_YAML, SHADOW_CASES, shadowCounters, shadowFires, verdictAt } from "./helpers/gate-scenarios.js";
import { captureHooks } from "./helpers/hook-capture.js";
import { runTool } from "./helpers/promtool.js";
import { counterSeries } from "./helpers/series.js";
import { replayInVmalert } from "./helpers/vmalert-replay.js";

/**
 * The generated rules evaluated by vmalert against VictoriaMetrics (the Debian
 * package victoria-metrics, 1.79) on the scenarios of promtool-rules.test.ts
 * (helpers/gate-scenarios.ts), held
 * to the same in-process evaluator the promtool run is held to: where both pass,
 * Prometheus and VictoriaMetrics reach the same verdicts. Skipped, with the reason,
 * where the binaries are not installed.
 */
let binaries: string | undefined;
try {
  victoriaMetricsBinaries();
} catch (error) {
  binaries = (error as Error).message;
}

const config = parseGatesConfig(SCENARIO_GATES_YAML, "vmalert-test.yaml");

/* The scenario's minute 0, at a fixed date (VictoriaMetrics keeps it with 100 years of retention). */
const BASE_MS = Date.UTC(2025, 0, 1);
const at = (minute: number) => BASE_MS + minute * 60_000;

/** The scenarios' counters as Prometheus exposition lines with timestamps. */
function importLines(): string {
  const lines: string[] = [];
  for (const series of [...CASES.map((c) => counterSeries(c.scenario, binsOf(c), c.mode)), ...SHADOW_CASES.map(shadowCounters)]) {
    for (const [selector, values] of series) values.forEach((v, minute) => lines.push(`${selector} ${v} ${at(minute)}`));
  }
  return `${lines.join("\n")}\n`;
}

/** Deployments an alert is firing for at minute t, from the ALERTS series vmalert wrote. */
function firingAt(alerts: ExportedSeries[], alertname: string, t: number): string[] {
  return alerts
    .filter((s) => s.metric.alertname === alertname && s.metric.alertstate === "firing" && s.timestamps.includes(at(t)))
    .map((s) => s.metric.deployment ?? "")
    .sort();
}

/** The value a recorded series of one gate, deployment (and arm) has at minute t, or undefined. */
function valueAt(series: ExportedSeries[], labels: Record<string, string>, t: number): number | undefined {
  const s = series.find((x) => Object.entries(labels).every(([k, v]) => x.metric[k] === v));
  const i = s?.timestamps.indexOf(at(t)) ?? -1;
  return i >= 0 ? s?.values[i] : undefined;
}

describe.skipIf(binaries !== undefined)("vmalert + VictoriaMetrics on the promtool scenarios", () => {
  let vm: VictoriaMetricsHandle;
  let dir: string;
  let alerts: ExportedSeries[];
  beforeAll(async () => {
    vm = await startVictoriaMetrics();
    dir = await mkdtemp(join(tmpdir(), "agent-canary-vmalert-"));
    await vm.importPrometheus(importLines());
    await vm.flush();
    await replayInVmalert(vm, dir, [...recordingRules(config).groups, ...alertingRules(config).groups], new Date(at(0)), new Date(at(END)));
    alerts = await vm.exportSeries('{__name__="ALERTS"}', at(0), at(END));
  }, 600_000);
  afterAll(async () => {
    await vm?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("every gate's alert and blind warning, and the shadow gate, fire for exactly the deployments expected, at every check time", () => {
    const mismatches: string[] = [];
    for (const gate of config.gates) {
      for (const t of CHECKS) {
        const failed = CASES.filter((c) => firesAt(gate, c, t)).map((c) => c.scenario.deployment).sort();
        const blind = CASES.filter((c) => blindAt(gate, c, t)).map((c) => c.scenario.deployment).sort();
        const got = { failed: firingAt(alerts, alertName(gate), t), blind: firingAt(alerts, blindAlertName(gate), t) };
        if (JSON.stringify(got) !== JSON.stringify({ failed, blind })) mismatches.push(`${gate.name} at ${t}m: vmalert ${JSON.stringify(got)}, evaluator ${JSON.stringify({ failed, blind })}`);
      }
    }
    const shadow = SHADOW_CASES.filter(shadowFires).map((c) => c.deployment).sort();
    for (const t of CHECKS) if (JSON.stringify(firingAt(alerts, SHADOW_ALERT, t)) !== JSON.stringify(shadow)) mismatches.push(`shadow at ${t}m: vmalert ${JSON.stringify(firingAt(alerts, SHADOW_ALERT, t))}, expected ${JSON.stringify(shadow)}`);
    expect(mismatches).toEqual([]);
    // The scenarios decide something: every regressed canary is caught by its gate at the end.
    for (const kind of KINDS) {
      const gate = config.gates.find((g) => g.kind === kind);
      expect(firingAt(alerts, alertName(gate as Gate), END)).toContain(`regressed-${kind}`);
    }
  });

  it("per-arm samples and z statistics at the end are the evaluator's (increase() needs no extrapolation on aligned minute samples)", async () => {
    const samples = await vm.exportSeries(`{__name__="${RECORDED.samples}"}`, at(END), at(END));
    const statistics = await vm.exportSeries(`{__name__="${RECORDED.statistic}"}`, at(END), at(END));
    let compared = 0;
    for (const gate of config.gates) {
      for (const c of CASES.filter((x) => !x.unseen(gate))) {
        const r = verdictAt(gate, c, END);
        for (const arm of ["baseline", "canary"] as const) {
          expect(valueAt(samples, { gate: gate.name, deployment: c.scenario.deployment, version_group: arm }, END)).toBe(r.samples[arm]);
        }
        const z = valueAt(statistics, { gate: gate.name, deployment: c.scenario.deployment }, END);
        if (r.verdict === "insufficient_data") expect(z).toBeUndefined();
        else {
          expect(z).toBeCloseTo(r.statistic, 6);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(20);
  });
});

/**
 * increase() over a 10m window at minute 20 of three counters sampled every minute:
 * aligned from 0, a series first seen at minute 15 with value 5 (its first events
 * happened before the first scrape), and a reset at minute 15. Prometheus
 * extrapolates the new series' increase from its samples (5 over 5m, stretched by
 * half an interval: 5.5); MetricsQL counts the first sample from zero (10).
 */
const INCREASE_CASES = [
  { name: "aligned", values: Array.from({ length: 21 }, (_, m) => m), prometheus: 10, victoria: 10 },
  { name: "new_series", values: Array.from({ length: 21 }, (_, m) => (m < 15 ? undefined : m - 10)), prometheus: 5.5, victoria: 10 },
  { name: "reset", values: Array.from({ length: 21 }, (_, m) => (m < 15 ? m : m - 15)), prometheus: 9, victoria: 9 },
];

describe.skipIf(binaries !== undefined)("where increase() differs between Prometheus and MetricsQL", () => {
  it("same counters, both engines: equal on counters that exist from 0, not on a series first seen above 0", async () => {
    const series = (c: (typeof INCREASE_CASES)[number]) => `increase_case_${c.name}`;
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-increase-"));
    const vm = await startVictoriaMetrics();
    try {
      const input = INCREASE_CASES.map((c) => ({ series: series(c), values: c.values.map((v) => (v === undefined ? "_" : String(v))).join(" ") }));
      const tests = INCREASE_CASES.map((c) => ({ expr: `increase(${series(c)}[10m])`, eval_time: "20m", exp_samples: [{ labels: "{}", value: c.prometheus }] }));
      await writeFile(join(dir, "increase.test.yaml"), JSON.stringify({ rule_files: [], evaluation_interval: "1m", tests: [{ interval: "1m", input_series: input, promql_expr_test: tests }] }));
      const promtool = await runTool("promtool", ["test", "rules", join(dir, "increase.test.yaml")]);
      expect(promtool.output).toContain("SUCCESS");
      await vm.importPrometheus(INCREASE_CASES.flatMap((c) => c.values.flatMap((v, m) => (v === undefined ? [] : [`${series(c)} ${v} ${at(m)}`]))).join("\n"));
      await vm.flush();
      for (const c of INCREASE_CASES) expect((await vm.query(`increase(${series(c)}[10m])`, at(20)))[0]?.value, c.name).toBe(c.victoria);
    } finally {
      await vm.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(binaries !== undefined)("vmalert live, as in production", () => {
  it("a firing gate reaches Alertmanager and, routed by the generated config, the receiver, with its annotations rendered (query templates included)", async () => {
    const hooks = await captureHooks();
    const live = parseGatesConfig(`deployments: [live-agent]\nevaluationInterval: 5s\nreceiver: {url: '${hooks.url}', credentialsFile: token}\ngates:\n  - {kind: loop_rate, name: loops, for: 0s}\n`);
    const gate = live.gates.find((g) => g.name === "loops") as Gate;
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-vmalert-live-"));
    const vm = await startVictoriaMetrics();
    const alertmanager = await startAlertmanager(toYaml(alertmanagerConfig(live), "test"), { token: "t0ken-for-the-vmalert-test" });
    let vmalert: Awaited<ReturnType<typeof startVmalert>> | undefined;
    try {
      // The loops gate's recorded series over the last five minutes, as the recording rules would have left them.
      const now = Date.now();
      const recorded = { [RECORDED.statistic]: 9, [RECORDED.boundary]: 4, [RECORDED.value]: 2.5 };
      const lines = Object.entries(recorded).flatMap(([name, value]) =>
        Array.from({ length: 31 }, (_, i) => `${name}{gate="loops",deployment="live-agent"} ${value} ${now - (30 - i) * 10_000}`),
      );
      await vm.importPrometheus(`${lines.join("\n")}\n`);
      await vm.flush();
      const rules = join(dir, "alerts.yaml");
      await writeFile(rules, toYaml(alertingRules(live), "test"));
      vmalert = await startVmalert({ ruleFiles: [rules], datasourceUrl: vm.url, notifierUrl: alertmanager.url, extraArgs: ["-datasource.queryStep=1m"] });
      const delivered = await waitFor(() => hooks.deliveries.flatMap((d) => d.alerts).find((a) => a.labels.alertname === alertName(gate)), {
        timeoutMs: 60_000,
        what: "the loops alert at the receiver, through vmalert and Alertmanager",
      });
      expect(delivered.labels).toMatchObject({ deployment: "live-agent", gate: "loops", action: "rollback" });
      expect(delivered.status).toBe("firing");
      expect(delivered.annotations.description).toContain("ratio 2.5000 against a tolerance");
      expect(delivered.annotations.description).toContain("z = 9.00 above the boundary 4.00");
    } finally {
      await vmalert?.stop();
      await alertmanager.stop();
      await vm.stop();
      hooks.server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

if (binaries !== undefined) {
  describe("vmalert + VictoriaMetrics", () => {
    it.skip(`not run: ${binaries}`, () => undefined);
  });
}
