import { METRICS, prometheusName } from "@agent-canary/conventions";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import type { Gate, GatesConfig } from "../config/resolve.js";
import { KIND_SPECS } from "../gates/kinds.js";
import type { ShadowGate } from "../config/schema.js";
import { RECORDED } from "../prometheus/names.js";
import { gateQueries, overviewQueries, shadowQueries, type PanelQuery } from "./queries.js";

const DATASOURCE: common.DataSourceRef = { type: "prometheus", uid: "${datasource}" };

function target(q: PanelQuery, refId: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().expr(q.expr).legendFormat(q.legend).refId(refId).range();
}

function graph(title: string, description: string, queries: PanelQuery[], unit = "short", width = 8): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder().title(title).description(description).datasource(DATASOURCE).unit(unit).height(8).span(width);
  queries.forEach((q, i) => panel.withTarget(target(q, String.fromCharCode(65 + i))));
  return panel;
}

const UNITS: Record<string, string> = { USD: "currencyUSD", seconds: "s", "share of sessions": "percentunit", turns: "short", score: "short" };

function gatePanels(gate: Gate, config: GatesConfig): timeseries.PanelBuilder[] {
  const spec = KIND_SPECS[gate.kind];
  const q = gateQueries(gate, config.export);
  const worse = spec.harm === "higher" ? "higher is worse" : "lower is worse";
  const threshold = new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
    { value: null, color: "green" },
    { value: gate.threshold, color: "red" },
  ]);
  const verdictSteps = new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
    { value: null, color: "green" },
    { value: -0.5, color: "yellow" },
    { value: 0.5, color: "red" },
  ]);
  const passing = gate.passBeforePercent === undefined ? "it is a fail-only guard" : `it must pass before the canary gets more than ${gate.passBeforePercent}%`;
  return [
    graph(`${spec.title}: canary vs baseline`, `The rollout so far: the canary's ${spec.family === "rate" ? "share" : "mean"} and the baseline's, reweighted to the canary's percents (${worse}).`, q.arms, UNITS[spec.unit], 6),
    graph(`${spec.title}: ${gate.comparison} vs tolerance`, `Canary ${gate.comparison === "ratio" ? "/" : "-"} baseline; the gate tolerates ${gate.threshold}.`, q.value, "short", 6)
      .thresholds(threshold)
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed)),
    graph(
      `${spec.title}: evidence`,
      `Evidence against the canary and for it, each with its always-valid boundary; the gate fails (${gate.action}) when the first stays above its boundary for ${gate.for}, passes when the second is above its own. No line means fewer than ${gate.minSamples} samples per arm.`,
      q.evidence,
      "short",
      6,
    ),
    graph(`${spec.title}: verdict`, `1 failing, 0 undecided, -1 passing; ${passing}.`, q.verdict, "short", 6).min(-1).max(1).thresholds(verdictSteps),
  ];
}

/** Shadow mode before the canary: how close the candidate's answers are, and what it did instead of writing. */
function shadowPanels(config: GatesConfig, shadow: ShadowGate): timeseries.PanelBuilder[] {
  const q = shadowQueries(config.export);
  const minimum = new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
    { value: null, color: "red" },
    { value: shadow.minSimilarity, color: "green" },
  ]);
  return [
    graph(
      "Shadow similarity by candidate version",
      `Mean and 10th percentile of output similarity to production (0..1); the shadow gate holds a candidate whose mean over ${shadow.window} stays below ${shadow.minSimilarity} after ${shadow.minRequests} requests.`,
      q.similarity,
    )
      .min(0)
      .max(1)
      .thresholds(minimum)
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed)),
    graph("Shadow decision agreement", "Comparisons per second where tool calls, writes and outcome agree or disagree.", q.agreement, "ops"),
    graph("Shadow judge verdicts", "LLM-as-judge verdicts per second (candidate_better, equivalent, production_better).", q.verdicts, "ops"),
    graph("Shadow intercepted writes by tool", "Write tool calls the candidate asked for and shadow mode did not execute.", q.writes, "ops"),
    graph("Shadow candidate runs by result", "Candidate runs per second: completed, error, timeout, dropped (no free slot).", q.runs, "ops"),
  ];
}

/** The agent-canary dashboard: rollout, gates, outcomes, tokens, cost and versions. */
export function gatesDashboard(config: GatesConfig): dashboard.Dashboard {
  const o = overviewQueries(config.export, config.gates);
  const builder = new dashboard.DashboardBuilder("agent-canary: rollout and gates")
    .uid("agent-canary-gates")
    .tags(["agent-canary", "generated"])
    .description("Generated by @agent-canary/gate-rules from gates.yaml; regenerate instead of editing.")
    .time({ from: "now-24h", to: "now" })
    .refresh("30s")
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(new dashboard.DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"))
    .withVariable(
      new dashboard.QueryVariableBuilder("deployment")
        .label("Deployment")
        .datasource(DATASOURCE)
        .query(`label_values(${prometheusName(METRICS.sessions, config.export)}, deployment)`)
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .multi(true)
        .includeAll(true)
        .allValue(".*"),
    )
    .withVariable(
      new dashboard.QueryVariableBuilder("rollout_id")
        .label("Rollout")
        .datasource(DATASOURCE)
        .query(`label_values(${RECORDED.verdict}{deployment=~"$deployment"}, rollout_id)`)
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .multi(true)
        .includeAll(true)
        .allValue(".*"),
    )
    .withRow(new dashboard.RowBuilder("Rollout"))
    .withPanel(graph("Canary percent", "Share of new sessions routed to the canary (receiver gauge).", o.rolloutPercent ?? [], "percent").max(100).min(0))
    .withPanel(graph("Firing gates", "Gate alerts firing now; the action label says hold or rollback.", o.firingGates ?? []))
    .withPanel(
      new table.PanelBuilder()
        .title("Active versions")
        .description("Sessions running per version group and hash.")
        .datasource(DATASOURCE)
        .height(8)
        .span(8)
        .withTarget(target(o.activeVersions?.[0] ?? { expr: "", legend: "" }, "A").instant()),
    )
    .withRow(new dashboard.RowBuilder("Sessions, tokens and cost"))
    .withPanel(graph("Session outcomes", "Sessions ended per second by group and outcome.", o.outcomes ?? [], "ops"))
    .withPanel(graph("Tokens by model", "Tokens per second by requested model and token type.", o.tokensByModel ?? [], "short"))
    .withPanel(graph("Cost by group", "USD per second spent by each group; unpriced calls have unknown cost.", o.costByGroup ?? [], "short"))
    .withPanel(graph("Version mismatches and routing failures", "Calls whose observed version differs from the declared one; sessions sent to baseline because the rollout state could not be read.", o.versionMismatches ?? [], "ops"));
  for (const gate of config.gates) {
    builder.withRow(new dashboard.RowBuilder(`Gate ${gate.name} (${gate.kind}, ${gate.action})`));
    for (const panel of gatePanels(gate, config)) builder.withPanel(panel);
  }
  if (config.shadow) {
    builder.withRow(new dashboard.RowBuilder("Shadow mode"));
    for (const panel of shadowPanels(config, config.shadow)) builder.withPanel(panel);
  }
  return builder.build();
}

/** The dashboard as committed JSON: stable key order from the SDK, two-space indent, final newline. */
export function dashboardJson(config: GatesConfig): string {
  return `${JSON.stringify(gatesDashboard(config), null, 2)}\n`;
}
