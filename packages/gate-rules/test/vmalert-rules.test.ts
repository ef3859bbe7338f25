import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAlertmanager, startVictoriaMetrics, startVmalert, victoriaMetricsBinaries, waitFor, type ExportedSeries, type VictoriaMetricsHandle } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertingRules, alertmanagerConfig, alertName, blindAlertName, NOT_COMPARABLE_ALERT, parseGatesConfig, PRESETS, RECORDED, recordingRules, SHADOW_ALERT, toYaml, VERDICT_VALUE, type Gate } from "../src/index.js";
import { cases, scenarioGatesYaml, SHADOW_CASES, shadowCounters, shadowFiresAt } from "./helpers/cases.js";
import { clean, Expectations } from "./helpers/expectations.js";
import { captureHooks } from "./helpers/hook-capture.js";
import { runTool } from "./helpers/promtool.js";
import { counterSeries } from "./helpers/scenario.js";
import { PrometheusTwin } from "./helpers/twin.js";
import { replayInVmalert } from "./helpers/vmalert-replay.js";

/**
 * The generated rules evaluated by vmalert against VictoriaMetrics (the Debian
 * package victoria-metrics, 1.79) on the scenarios of promtool-rules.test.ts,
 * held to the same twin of the rules: where both pass, Prometheus and
 * VictoriaMetrics reach the same verdicts and fire the same alerts. Two limits,
 * by design of the comparison: vmalert's replay evaluates one rule over the
 * whole range before the next, so the two rules that read their own previous
 * value (rollout start, canary version) start afresh at every step; and
 * MetricsQL's increase() does not extrapolate across a scrape gap as Prometheus
 * does. So the replay covers the first hour (every rollout in its first
 * look-back span) and leaves out the outage scenario. VictoriaMetrics also
 * stores floats to about 15 significant digits, so the zero-variance scenario
 * (whose "no spread" is a difference of two nearly equal sums) is left out, and
 * a decision the twin changes within a minute of a check time (evidence right at
 * its boundary) may land a minute earlier or later: those are counted, not
 * compared. Skipped, with the reason, where the binaries are not installed.
 */
let binaries: string | undefined;
try {
  victoriaMetricsBinaries();
} catch (error) {
  binaries = (error as Error).message;
}

const HOUR = 60;
const CHECKS = [35, 45, 50, 55, HOUR];
const CASES = cases(PRESETS.recommended.map((g) => g.name)).filter((c) => !c.scenario.gaps?.length && c.scenario.deployment !== "zero-variance");
const config = parseGatesConfig(scenarioGatesYaml([...new Set(CASES.map((c) => c.scenario.deployment))]), "vmalert-test.yaml");
const series = new Map([...CASES.flatMap((c) => [...counterSeries(c.scenario, config.export)]), ...SHADOW_CASES.flatMap((c) => [...shadowCounters(c)])]);
const expectations = new Expectations(config, new PrometheusTwin(config, series, HOUR));

/* The scenario's minute 0, at a fixed date (VictoriaMetrics keeps it with 100 years of retention). */
const BASE_MS = Date.UTC(2025, 0, 1);
const at = (minute: number) => BASE_MS + minute * 60_000;

/** The scenarios' counters as Prometheus exposition lines with timestamps (no line where there was no scrape). */
function importLines(): string {
  const lines: string[] = [];
  for (const [selector, values] of series) values.forEach((v, minute) => v !== undefined && minute <= HOUR && lines.push(`${selector} ${v} ${at(minute)}`));
  return `${lines.join("\n")}\n`;
}

/** A firing alert's identity: its name and the labels that say which rollout (or candidate) it is about. */
const identity = (alertname: string, labels: Record<string, string>) =>
  JSON.stringify([alertname, labels.deployment ?? "", labels.cluster ?? "", labels.rollout_id ?? labels.version_hash ?? "", labels.gate ?? "", labels.assignment ?? ""]);

/** Alerts firing at minute t, from the ALERTS series vmalert wrote. */
function firingAt(alerts: ExportedSeries[], t: number): string[] {
  return alerts
    .filter((s) => s.metric.alertstate === "firing" && s.timestamps.includes(at(t)))
    .map((s) => identity(s.metric.alertname ?? "", s.metric))
    .sort();
}

/** Alerts the twin says fire at minute t. */
function expectedAt(t: number): string[] {
  const out: string[] = [];
  for (const [key, e] of expectations.at(t)) {
    for (const gate of config.gates) {
      if (expectations.fires(gate, key, t)) out.push(identity(alertName(gate), { ...e.rollout.labels, gate: gate.name }));
      if (expectations.blindFires(gate, key, t)) out.push(identity(blindAlertName(gate), { ...e.rollout.labels, gate: gate.name }));
    }
    const assignment = expectations.notComparableFires(key, t);
    if (assignment) out.push(identity(NOT_COMPARABLE_ALERT, { ...e.rollout.labels, assignment }));
  }
  for (const c of SHADOW_CASES.filter((x) => shadowFiresAt(x, t))) out.push(identity(SHADOW_ALERT, { deployment: c.deployment, version_hash: `cand-${c.deployment}`, gate: "shadow_similarity" }));
  return out.sort();
}

/** Alerts whose twin state is the same a minute before and after t: compared exactly; the rest are at their onset. */
function settled(t: number): { want: string[]; edge: Set<string> } {
  const [before, now, after] = [expectedAt(t - 1), expectedAt(t), expectedAt(t + 1)];
  const changing = new Set([...before, ...now, ...after].filter((a) => before.includes(a) !== now.includes(a) || now.includes(a) !== after.includes(a)));
  return { want: now, edge: changing };
}

describe.skipIf(binaries !== undefined)("vmalert + VictoriaMetrics on the promtool scenarios", () => {
  let vm: VictoriaMetricsHandle;
  let dir: string;
  let alerts: ExportedSeries[];
  let verdicts: ExportedSeries[];
  beforeAll(async () => {
    vm = await startVictoriaMetrics();
    dir = await mkdtemp(join(tmpdir(), "agent-canary-vmalert-"));
    await vm.importPrometheus(importLines());
    await vm.flush();
    await replayInVmalert(vm, dir, [...recordingRules(config).groups, ...alertingRules(config).groups], new Date(at(0)), new Date(at(HOUR)));
    alerts = await vm.exportSeries('{__name__="ALERTS"}', at(0), at(HOUR));
    verdicts = await vm.exportSeries(`{__name__="${RECORDED.verdict}"}`, at(HOUR), at(HOUR));
  }, 900_000);
  afterAll(async () => {
    await vm?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("every gate's alert, blind warning, not-comparable warning and the shadow gate fire for exactly the rollouts expected, at every check time", () => {
    let compared = 0;
    const mismatches = CHECKS.flatMap((t) => {
      const { want, edge } = settled(t);
      const got = firingAt(alerts, t).filter((a) => !edge.has(a));
      const stable = want.filter((a) => !edge.has(a));
      compared += stable.length;
      return JSON.stringify(got) === JSON.stringify(stable) ? [] : [`at ${t}m: vmalert only ${JSON.stringify(got.filter((x) => !stable.includes(x)))}, twin only ${JSON.stringify(stable.filter((x) => !got.includes(x)))}`];
    });
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(50);
    // The scenarios decide something: the regressed canary is caught by every gate within the hour.
    expect(firingAt(alerts, HOUR).filter((a) => a.includes('"regressed"') && a.includes("GateFailed")).length).toBe(config.gates.length);
  });

  it("the verdict of every gate of every rollout after an hour is the twin's, where the twin's verdict is settled", () => {
    const verdictAt = (t: number) =>
      new Map([...expectations.at(t).values()].flatMap((e) => config.gates.map((g) => [JSON.stringify([e.rollout.labels.deployment, e.rollout.labels.cluster ?? "", e.rollout.labels.rollout_id, g.name]), VERDICT_VALUE[e.gates.get(g.name)?.verdict ?? "undecided"]] as const)));
    const [before, now] = [verdictAt(HOUR - 1), verdictAt(HOUR)];
    const settledKeys = [...now.keys()].filter((k) => before.get(k) === now.get(k));
    const got = new Map(verdicts.map((s) => [JSON.stringify([clean(s.metric).deployment, s.metric.cluster ?? "", s.metric.rollout_id, s.metric.gate]), s.values[0]]));
    expect(got.size).toBe(now.size);
    const want = settledKeys.map((k) => `${k} ${now.get(k)}`);
    expect(settledKeys.map((k) => `${k} ${got.get(k)}`)).toEqual(want);
    expect(settledKeys.length).toBeGreaterThan(now.size * 0.9);
    expect(["1", "0", "-1"].every((v) => want.some((w) => w.endsWith(` ${v}`)))).toBe(true);
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
      const recorded = { [RECORDED.verdict]: 1, [RECORDED.statistic]: 9, [RECORDED.boundary]: 4, [RECORDED.value]: 2.5 };
      const lines = Object.entries(recorded).flatMap(([name, value]) =>
        Array.from({ length: 31 }, (_, i) => `${name}{gate="loops",deployment="live-agent",rollout_id="r-live"} ${value} ${now - (30 - i) * 10_000}`),
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
      expect(delivered.labels).toMatchObject({ deployment: "live-agent", rollout_id: "r-live", gate: "loops", action: "rollback" });
      expect(delivered.status).toBe("firing");
      expect(delivered.annotations.description).toContain("ratio 2.5000 against a tolerance");
      expect(delivered.annotations.description).toContain("9.00 above its always-valid boundary 4.00");
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
