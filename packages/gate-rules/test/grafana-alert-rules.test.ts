import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { RECEIVER_METRICS } from "@agent-canary/conventions";
import { alertingRules, generateRuleFiles, parseGatesConfig, recordingRules, RULE_FILES } from "../src/index.js";

interface GrafanaFile {
  apiVersion: number;
  groups: {
    name: string;
    folder: string;
    interval: string;
    rules: {
      uid: string;
      title: string;
      condition: string;
      for: string;
      noDataState: string;
      execErrState: string;
      labels: Record<string, string>;
      data: { refId: string; datasourceUid: string; model: { expr?: string; type?: string; expression?: string; conditions?: { evaluator: { type: string; params: number[] } }[] } }[];
    }[];
  }[];
}

describe("Grafana alert rules", () => {
  it("mean the same as the Prometheus alerts: same names, labels, for and condition, reading recorded series only", () => {
    const config = parseGatesConfig("deployments: [a]\nevaluationInterval: 30s\nby: [cluster]\n");
    const file = parse(generateRuleFiles(config).find((f) => f.path === RULE_FILES.grafana)?.content ?? "") as GrafanaFile;
    expect(file.apiVersion).toBe(1);
    const group = file.groups[0];
    expect(group?.interval).toBe("30s");
    const known = new Set([...recordingRules(config).groups.flatMap((g) => g.rules.map((r) => r.record)), RECEIVER_METRICS.rolloutInfo]);
    const prometheusAlerts = alertingRules(config).groups[0]?.rules.filter((r) => r.alert.endsWith("GateFailed")) ?? [];
    expect(group?.rules.map((r) => r.title)).toEqual(prometheusAlerts.map((r) => r.alert));
    for (const rule of group?.rules ?? []) {
      const twin = prometheusAlerts.find((a) => a.alert === rule.title);
      expect(rule.labels).toEqual(twin?.labels);
      expect(rule.for).toBe(twin?.for ?? "0s");
      // No verdict (no live rollout) and a query error are neither a failure nor an alert with an action label.
      expect([rule.noDataState, rule.execErrState]).toEqual(["OK", "KeepLast"]);
      const queries = rule.data.filter((d) => d.datasourceUid !== "__expr__");
      expect(queries.find((q) => q.refId === "F")?.model.expr).toBe(twin?.expr);
      for (const q of queries) for (const m of (q.model.expr ?? "").matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)) expect(known).toContain(m[1]);
      const condition = rule.data.find((d) => d.refId === rule.condition)?.model;
      expect(condition).toMatchObject({ type: "threshold", expression: "F", conditions: [{ evaluator: { type: "gt", params: [0] } }] });
      expect(new Set(group?.rules.map((r) => r.uid)).size).toBe(group?.rules.length);
    }
  });

  it("carry a gate's own description from gates.yaml in both the Prometheus and the Grafana alert", () => {
    const config = parseGatesConfig("deployments: [a]\ngates:\n  - {kind: loop_rate, name: loops, description: Loops burn tokens; page the agent team.}\n");
    const prometheus = alertingRules(config).groups[0]?.rules.find((r) => r.alert === "AgentCanaryLoopsGateFailed");
    expect(prometheus?.annotations.description).toMatch(/Action: rollback\. Loops burn tokens; page the agent team\.$/);
    const grafana = generateRuleFiles(config).find((f) => f.path === RULE_FILES.grafana)?.content ?? "";
    expect(grafana).toContain("Loops burn tokens; page the agent team.");
    const without = alertingRules(parseGatesConfig("deployments: [a]\n")).groups[0]?.rules.find((r) => r.alert === "AgentCanaryLoopsGateFailed");
    expect(without?.annotations.description).toMatch(/Action: rollback\.$/);
  });

  it("hold a shadow candidate like the Prometheus alert, in their own group and only when shadow is configured", () => {
    const grafanaOf = (text: string) => parse(generateRuleFiles(parseGatesConfig(text)).find((f) => f.path === RULE_FILES.grafana)?.content ?? "") as GrafanaFile;
    expect(grafanaOf("deployments: [a]\n").groups.map((g) => g.name)).toEqual(["agent-canary-gates"]);
    const config = parseGatesConfig("deployments: [a]\nshadow: {minSimilarity: 0.85, minRequests: 300}\n");
    const shadow = grafanaOf("deployments: [a]\nshadow: {minSimilarity: 0.85, minRequests: 300}\n").groups.find((g) => g.name === "agent-canary-shadow");
    const twin = alertingRules(config).groups.flatMap((g) => g.rules).find((r) => r.alert === "AgentCanaryShadowSimilarityLow");
    const rule = shadow?.rules[0];
    expect(rule?.title).toBe(twin?.alert);
    expect(rule?.labels).toEqual(twin?.labels);
    expect(rule?.data.find((d) => d.refId === "C")?.model.expression).toBe("($S < 0.85) && ($N >= 300)");
    const recorded = new Set(recordingRules(config).groups.flatMap((g) => g.rules.map((r) => r.record)));
    for (const q of rule?.data.filter((d) => d.datasourceUid !== "__expr__") ?? []) expect(recorded).toContain(q.model.expr?.split("{")[0]);
  });
});
