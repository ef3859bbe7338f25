// What the generated alerts fire on, evaluated in-process (helpers/promql-subset.ts)
// against the series Prometheus would hold: a failing gate pages for a live rollout
// only, labelled with the canary's version; a blind gate, a rollout without a random
// split and a shadow candidate that answers differently warn exactly when they should.
// The real-Prometheus suites (promtool-rules, vmalert-rules) check the same on whole
// scenarios, slowly; these run in milliseconds for the mutation target of src/prometheus.
import { RECEIVER_METRICS } from "@agent-canary/conventions";
import { describe, expect, it } from "vitest";
import { DEFAULT_RUNBOOK_URL, parseGatesConfig } from "../src/index.js";
import { alertName, blindAlertExpr, blindAlertName, failedAlertExpr, failedRule, blindRule, notComparableExpr, notComparableRule, LIVE_PHASES } from "../src/prometheus/alerts.js";
import { RECORDED } from "../src/prometheus/names.js";
import { SHADOW_ALERT, SHADOW_RECORDED, shadowAlertExpr, shadowAlertRule } from "../src/prometheus/shadow.js";
import { alertingRules } from "../src/prometheus/rules.js";
import { evaluatePromql, storeOf, type Labels, type Series } from "./helpers/promql-subset.js";

const config = parseGatesConfig(`deployments: [a]
by: [cluster]
gates:
  - { kind: error_rate, name: errors_ratio, comparison: ratio, threshold: 1.3, minSamples: 100, for: 5m, action: rollback, severity: critical }
  - { kind: cost_per_session, name: cost_per_session, threshold: 1.2, action: hold, severity: warning, for: 0s }
shadow: { minSimilarity: 0.9, minRequests: 100 }
`);
const gate = config.gates.find((g) => g.name === "errors_ratio")!;
const ROLLOUT = { cluster: "eu", deployment: "a", rollout_id: "r1" };

/** The alert's samples: labels of each element the expression returns. */
function firing(expr: string, series: readonly Series[]): Labels[] {
  const v = evaluatePromql(expr, storeOf(series));
  if (v.kind !== "vector") throw new Error("an alert expression must give a vector");
  return v.samples.map((s) => s.labels);
}

// Every expression is generated inside the test that uses it, never while the file is
// collected, so a mutation run knows which tests reach which code.
describe("a failing gate's alert", () => {
  const expr = () => failedAlertExpr(gate, config);
  const verdict = (value: number): Series => [RECORDED.verdict, { ...ROLLOUT, gate: gate.name }, value];
  const version: Series = [RECORDED.canaryVersion, { ...ROLLOUT, version_hash: "c0ffee" }, 1];
  const info = (phase: string, rolloutId = "r1"): Series => [RECEIVER_METRICS.rolloutInfo, { cluster: "eu", deployment: "a", rollout_id: rolloutId, phase }, 1];

  it("fires for a live rollout, progressing or paused, labelled with the canary's version", () => {
    expect(LIVE_PHASES).toEqual(["progressing", "paused"]);
    for (const phase of LIVE_PHASES) expect(firing(expr(), [verdict(1), version, info(phase)]), phase).toEqual([{ ...ROLLOUT, gate: gate.name, version_hash: "c0ffee" }]);
  });

  it("stays quiet for a gate that passes or is undecided", () => {
    for (const v of [0, -1]) expect(firing(expr(), [verdict(v), version, info("progressing")])).toEqual([]);
  });

  it("stops paging once the rollout is rolled back or promoted, and for any rollout but the deployment's current one", () => {
    for (const phase of ["rolled_back", "promoted", "aborted"]) expect(firing(expr(), [verdict(1), version, info(phase)]), phase).toEqual([]);
    expect(firing(expr(), [verdict(1), version, info("progressing", "r2")])).toEqual([]);
  });

  it("still fires when the receiver is not scraped (no rollout info), and without a known canary version", () => {
    expect(firing(expr(), [verdict(1), version])).toEqual([{ ...ROLLOUT, gate: gate.name, version_hash: "c0ffee" }]);
    expect(firing(expr(), [verdict(1), info("progressing")])).toEqual([{ ...ROLLOUT, gate: gate.name }]);
    expect(firing(expr(), [verdict(1)])).toEqual([{ ...ROLLOUT, gate: gate.name }]);
  });

  it("of another deployment's rollout info is not muted by it", () => {
    const other: Series = [RECEIVER_METRICS.rolloutInfo, { cluster: "eu", deployment: "b", rollout_id: "r9", phase: "rolled_back" }, 1];
    expect(firing(expr(), [verdict(1), other])).toEqual([{ ...ROLLOUT, gate: gate.name }]);
  });

  it("is named for the gate, carries its action, severity and for, and says what failed", () => {
    expect(alertName(gate)).toBe("AgentCanaryErrorsRatioGateFailed");
    expect(blindAlertName(gate)).toBe("AgentCanaryErrorsRatioGateBlind");
    const rule = failedRule(gate, config);
    expect(rule).toMatchObject({ alert: "AgentCanaryErrorsRatioGateFailed", expr: expr(), for: "5m", labels: { gate: "errors_ratio", action: "rollback", severity: "critical" } });
    expect(rule.annotations.summary).toContain("(rollback)");
    expect(rule.annotations.description).toMatch(/^Error rate \(higher is worse\).*: ratio .* against a tolerance of canary\/baseline ratio 1\.3\. log evidence .* above its always-valid boundary /s);
    // The gate's share of alpha (split between the gates), not the config's total.
    expect(rule.annotations.description).toContain(`(at least 100 samples per arm, false-alarm budget ${Number(gate.alpha.toPrecision(3))}). Action: rollback.`);
    // Three significant digits, not the float the alpha split leaves (0.0009090909090909091).
    expect(rule.annotations.description).toMatch(/false-alarm budget 0\.0*[1-9]\d{0,2}\)/);
    expect(gate.alpha).toBeLessThan(config.alpha);
    expect(rule.annotations.runbook_url).toBe(`${DEFAULT_RUNBOOK_URL}#gate-error-rate`);
    const cost = config.gates.find((g) => g.name === "cost_per_session")!;
    expect(failedRule(cost, config).for).toBeUndefined();
    expect(alertName(cost)).toBe("AgentCanaryCostPerSessionGateFailed");
    // A gate whose name says "failed" keeps it: only the suffix becomes Blind.
    const failed = parseGatesConfig("deployments: [a]\ngates:\n  - { kind: task_completion_rate, name: failed_checkouts }\n").gates.find((g) => g.name === "failed_checkouts")!;
    expect([alertName(failed), blindAlertName(failed)]).toEqual(["AgentCanaryFailedCheckoutsGateFailed", "AgentCanaryFailedCheckoutsGateBlind"]);
  });
});

describe("the numbers in a failing gate's description", () => {
  it("are queries that find this alert's own gate and rollout series", () => {
    const description = failedRule(gate, config).annotations.description ?? "";
    const lookups = [...description.matchAll(/printf `([^`]*)` ((?:\$labels\.\w+ ?)+)\| query/g)];
    expect(lookups.map((m) => m[1]?.split("{")[0])).toEqual([RECORDED.value, RECORDED.statistic, RECORDED.boundary]);
    const alertLabels: Labels = { ...ROLLOUT, gate: gate.name, version_hash: "c0ffee" };
    const other = { ...ROLLOUT, rollout_id: "r0" };
    for (const [, template = "", args = ""] of lookups) {
      const values = args.trim().split(" ").map((a) => alertLabels[a.replace("$labels.", "")] ?? "");
      let i = 0;
      const query = template.replace(/%s/g, () => values[i++] ?? "");
      const name = template.split("{")[0] ?? "";
      const store: Series[] = [
        [name, { ...ROLLOUT, gate: gate.name }, 2.5],
        [name, { ...other, gate: gate.name }, 9],
        [name, { ...ROLLOUT, gate: "cost_per_session" }, 7],
      ];
      expect(evaluatePromql(query, storeOf(store)), query).toEqual({ kind: "vector", samples: [{ labels: { ...ROLLOUT, gate: gate.name }, value: 2.5 }] });
    }
  });
});

/**
 * A rule's annotation as Alertmanager shows it: each `{{ with printf `query` $labels.x ... | query }}{{ . | first | value
 * | printf "%.Nf" }}{{ end }}` lookup evaluated against `series` (helpers/promql-subset.ts) and formatted.
 */
function rendered(text: string, labels: Labels, series: readonly Series[]): string {
  const lookup = /\{\{ with printf `([^`]*)` ((?:\$labels\.\w+ ?)+)\| query \}\}\{\{ \. \| first \| value \| printf "%\.(\d)f" \}\}\{\{ end \}\}/g;
  return text
    .replace(lookup, (_all, template: string, args: string, digits: string) => {
      const values = args.trim().split(" ").map((a) => labels[a.replace("$labels.", "")] ?? "");
      let i = 0;
      const v = evaluatePromql(template.replace(/%s/g, () => values[i++] ?? ""), storeOf(series));
      const first = v.kind === "vector" ? v.samples[0] : undefined;
      return first ? first.value.toFixed(Number(digits)) : "";
    })
    .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_all, name: string) => labels[name] ?? "");
}

describe("a failing gate's alert text, as a person reads it", () => {
  const at = (name: string, value: number): Series => [name, { ...ROLLOUT, gate: gate.name }, value];
  const series = [at(RECORDED.value, 1.234567), at(RECORDED.statistic, 3.14159), at(RECORDED.boundary, 2.5)];
  const labels: Labels = { ...ROLLOUT, gate: gate.name, version_hash: "c0ffee" };

  it("shows the value to 4 decimals and the evidence and its boundary to 2, with the rollout it is about", () => {
    const rule = failedRule(gate, config);
    expect(rendered(rule.annotations.summary ?? "", labels, series)).toBe("Error rate of the canary of a (rollout r1) is worse than its baseline beyond tolerance (rollback).");
    expect(rendered(rule.annotations.description ?? "", labels, series)).toBe(
      "Error rate (higher is worse), the rollout so far, time-matched per canary percent: ratio 1.2346 against a tolerance of canary/baseline ratio 1.3. " +
        `log evidence (gamma–Poisson mixture over the canary's share of events) 3.14 above its always-valid boundary 2.50 (at least 100 samples per arm, false-alarm budget ${Number(gate.alpha.toPrecision(3))}). Action: rollback.`,
    );
  });

  it("of a lower-is-worse gate on a difference says so, with a z statistic and the gate's own description", () => {
    const cfg = parseGatesConfig(`deployments: [a]
gates:
  - { kind: task_completion_rate, name: done, comparison: delta, threshold: 0.02, action: hold, description: "Checkout flow completions." }
`);
    const done = cfg.gates.find((g) => g.name === "done")!;
    const description = failedRule(done, cfg).annotations.description ?? "";
    expect(description).toMatch(/^Task completion rate \(lower is worse\), .*: delta .* against a tolerance of a difference of 0\.02\. z .* Action: hold\. Checkout flow completions\.$/s);
    expect(failedRule(done, cfg).annotations.runbook_url).toBe(`${DEFAULT_RUNBOOK_URL}#gate-task-completion-rate`);
  });
});

describe("a blind gate's warning", () => {
  const expr = () => blindAlertExpr(gate, config);
  const shared = (canary: number, baseline: number): Series[] => [
    [RECORDED.sharedSessions, { ...ROLLOUT, version_group: "canary" }, canary],
    [RECORDED.sharedSessions, { ...ROLLOUT, version_group: "baseline" }, baseline],
  ];
  const samples = (canary: number, baseline: number): Series[] => [
    [RECORDED.canarySamples, { ...ROLLOUT, gate: gate.name }, canary],
    [RECORDED.baselineSamples, { ...ROLLOUT, gate: gate.name }, baseline],
  ];
  const statistic: Series = [RECORDED.statistic, { ...ROLLOUT, gate: gate.name }, 0.3];

  it("fires when both arms have minSamples of split sessions but the gate has no statistic", () => {
    expect(firing(expr(), [...shared(150, 400), ...samples(150, 400)])).toEqual([ROLLOUT]);
    expect(firing(expr(), shared(100, 100))).toEqual([ROLLOUT]);
  });

  it("stays quiet while an arm is short of minSamples, or once the gate has a statistic", () => {
    expect(firing(expr(), [...shared(99, 400), ...samples(99, 400)])).toEqual([]);
    expect(firing(expr(), [...shared(150, 400), ...samples(150, 60)])).toEqual([]);
    expect(firing(expr(), [...shared(150, 400), ...samples(40, 400)])).toEqual([]);
    expect(firing(expr(), [...shared(150, 400), ...samples(150, 400), statistic])).toEqual([]);
  });

  it("warns (no action label), after 30 minutes, pointing at the export names", () => {
    const rule = blindRule(gate, config);
    expect(rule).toMatchObject({ alert: "AgentCanaryErrorsRatioGateBlind", expr: expr(), for: "30m", labels: { gate: "errors_ratio", severity: "warning" } });
    expect(rule.labels).not.toHaveProperty("action");
    expect(rendered(rule.annotations.summary ?? "", ROLLOUT, [])).toBe("The errors_ratio gate of a (rollout r1) has sessions in both arms but no statistic: it can neither fail nor pass.");
    expect(rule.annotations.description).toMatch(/^Error rate reads agent_canary_gate_\*_total or the session counters under the names export: prometheus produces .*check that the agent exports them with that mode.*vary between sessions\.$/s);
    expect(rule.annotations.description).toContain(`export: ${config.export}`);
    expect(rule.annotations.runbook_url).toBe(`${DEFAULT_RUNBOOK_URL}#blind-gates`);
  });
});

describe("a rollout without a random split", () => {
  const expr = () => notComparableExpr(config);
  const assigned = (assignment: string, value = 50): Series => [RECORDED.assignmentLookback, { ...ROLLOUT, assignment }, value];
  const shared: Series = [RECORDED.sharedSessions, { ...ROLLOUT, version_group: "canary" }, 10];

  it("warns, naming how its sessions were routed, when none were split between the arms", () => {
    expect(firing(expr(), [assigned("tenant_override")])).toEqual([{ ...ROLLOUT, assignment: "tenant_override" }]);
    expect(firing(expr(), [assigned("tenant_override", 5), assigned("fail_closed", 80)])).toEqual([{ ...ROLLOUT, assignment: "fail_closed" }]);
  });

  it("is quiet when sessions were split, or there is no rollout", () => {
    expect(firing(expr(), [assigned("tenant_override"), shared])).toEqual([]);
    expect(firing(expr(), [assigned("split"), assigned("no_rollout")])).toEqual([]);
    const rule = notComparableRule(config);
    expect(rule).toMatchObject({ alert: "AgentCanaryRolloutNotComparable", expr: expr(), for: "30m", labels: { severity: "warning" } });
    expect(rule.annotations.runbook_url).toBe(`${DEFAULT_RUNBOOK_URL}#not-comparable`);
    const labels = { ...ROLLOUT, assignment: "tenant_override" };
    expect(rendered(rule.annotations.summary ?? "", labels, [])).toBe("Rollout r1 of a has no sessions split at random between its arms: no gate can compare it.");
    expect(rendered(rule.annotations.description ?? "", labels, [])).toMatch(/^Its sessions were routed by tenant_override \(a tenant override, .*\. Every gate stays undecided\. Route by session id .*\.$/s);
  });
});

describe("the shadow gate", () => {
  const shadow = config.shadow!;
  const expr = () => shadowAlertExpr(shadow);
  const candidate = { deployment: "a", version_hash: "beef", gate: "shadow_similarity" };
  const series = (similarity: number, comparisons: number): Series[] => [
    [SHADOW_RECORDED.similarity, candidate, similarity],
    [SHADOW_RECORDED.comparisons, candidate, comparisons],
  ];

  it("holds a candidate whose answers differ, once enough requests were compared", () => {
    expect(firing(expr(), series(0.8, 100))).toEqual([candidate]);
    expect(firing(expr(), series(0.9, 500))).toEqual([]);
    expect(firing(expr(), series(0.5, 99))).toEqual([]);
    const rule = shadowAlertRule(config, shadow);
    expect(rule).toMatchObject({ alert: SHADOW_ALERT, expr: expr(), labels: { gate: "shadow_similarity", action: "hold", severity: "warning" } });
    expect(rule.annotations.runbook_url).toBe(`${DEFAULT_RUNBOOK_URL}#shadow-similarity`);
    expect(rule.annotations.description).toContain("below the minimum 0.9, after at least 100 shadowed requests");
  });

  it("has its own alert group, next to the gates' group, only when configured", () => {
    expect(alertingRules(config).groups.map((g) => g.name)).toEqual(["agent-canary-gates", "agent-canary-shadow-gate"]);
    expect(alertingRules(parseGatesConfig("deployments: [a]\n")).groups.map((g) => g.name)).toEqual(["agent-canary-gates"]);
  });
});
