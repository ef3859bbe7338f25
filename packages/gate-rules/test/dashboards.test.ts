import { METRICS, prometheusName, RECEIVER_METRICS, SHADOW_METRICS } from "@agent-canary/conventions";
import { startPrometheus, type PrometheusHandle } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultDashboardConfig, gatesDashboard, parseGatesConfig, RECORDED, SHADOW_RECORDED } from "../src/index.js";

interface PanelLike {
  type?: string;
  title?: string;
  targets?: { expr?: string }[];
}

function panelsOf(config = defaultDashboardConfig()): PanelLike[] {
  return (gatesDashboard(config).panels ?? []) as PanelLike[];
}

/** Every name a panel may select: the catalog under both export modes, the receiver's gauges, our recordings, ALERTS. */
function knownNames(): Set<string> {
  const names = new Set<string>(["ALERTS", ...Object.values(RECEIVER_METRICS), ...Object.values(RECORDED), ...Object.values(SHADOW_RECORDED)]);
  for (const def of [...Object.values(METRICS), ...Object.values(SHADOW_METRICS)]) {
    for (const mode of ["prometheus", "otlp"] as const) {
      const base = prometheusName(def, mode);
      for (const suffix of ["", "_sum", "_count", "_bucket"]) names.add(`${base}${suffix}`);
    }
  }
  return names;
}

/** Grafana variables and macros replaced by what Grafana would send. */
const substitute = (expr: string) => expr.replace(/\$__rate_interval/g, "5m").replace(/\$deployment/g, ".*").replace(/\$rollout_id/g, ".*");

let prometheus: PrometheusHandle;
beforeAll(async () => {
  prometheus = await startPrometheus();
});
afterAll(async () => {
  await prometheus?.stop();
});

describe("dashboard", () => {
  it("has datasource, deployment and rollout variables and a row of panels for every gate", () => {
    const d = gatesDashboard(defaultDashboardConfig());
    const vars = (d.templating?.list ?? []).map((v) => [v.name, v.type]);
    expect(vars).toEqual(expect.arrayContaining([["datasource", "datasource"], ["deployment", "query"], ["rollout_id", "query"]]));
    const titles = panelsOf().map((p) => p.title ?? "");
    for (const gate of defaultDashboardConfig().gates) expect(titles.filter((t) => t.startsWith("Gate ") && t.includes(`Gate ${gate.name} `))).toHaveLength(1);
    expect(titles).toEqual(expect.arrayContaining(["Canary percent", "Firing gates", "Session outcomes", "Tokens by model", "Active versions"]));
  });

  it("has a Shadow mode row with its five panels only when the shadow gate is configured", () => {
    const shadowTitles = ["Shadow mode", "Shadow similarity by candidate version", "Shadow decision agreement", "Shadow judge verdicts", "Shadow intercepted writes by tool", "Shadow candidate runs by result"];
    expect(panelsOf().map((p) => p.title)).not.toContain("Shadow mode");
    const panels = panelsOf(parseGatesConfig("deployments: [a]\nshadow: {}\n"));
    const row = panels.findIndex((p) => p.title === "Shadow mode");
    expect(panels.slice(row).map((p) => p.title)).toEqual(shadowTitles);
    expect(panels.slice(row + 1).every((p) => (p.targets ?? []).every((t) => /agent_canary_shadow_/.test(t.expr ?? "")))).toBe(true);
  });

  for (const mode of ["prometheus", "otlp"] as const) {
    it(`every panel query parses in Prometheus and selects only known metric names (${mode} export)`, async () => {
      const exprs = panelsOf(parseGatesConfig(`deployments: [a]\nexport: ${mode}\nshadow: {}\n`)).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ""));
      expect(exprs.length).toBeGreaterThan(20);
      const known = knownNames();
      for (const expr of exprs) {
        for (const match of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)) expect(known, `${match[1]} in ${expr}`).toContain(match[1]);
        // An instant query of an empty server fails only when the expression does not parse.
        await expect(prometheus.query(substitute(expr)), expr).resolves.toEqual(expect.any(Array));
      }
    });
  }
});
