import { METRICS, prometheusLabel, prometheusName, RECEIVER_METRICS, SHADOW_METRICS, type ExportMode, type MetricKey } from "@agent-canary/conventions";
import type { Gate } from "../config/resolve.js";
import { KIND_SPECS } from "../gates/kinds.js";
import { alertName } from "../prometheus/alerts.js";
import { RECORDED } from "../prometheus/names.js";

/** Every panel query selects with braces, so the metric names can be checked against the catalog. */
export const DEPLOYMENT = `deployment=~"$deployment"`;
/** Gate panels also pick the rollout (the `rollout_id` variable). */
export const ROLLOUT = `${DEPLOYMENT},rollout_id=~"$rollout_id"`;

export interface PanelQuery {
  expr: string;
  legend: string;
}

/** The histogram a mean gate's quantity is also recorded in (version labels only): its p95 is drawn, not gated. */
const HISTOGRAM: Partial<Record<string, MetricKey>> = { turns: "sessionTurns", duration: "sessionDuration" };

export function gateQueries(gate: Gate, mode: ExportMode): { arms: PanelQuery[]; value: PanelQuery[]; evidence: PanelQuery[]; verdict: PanelQuery[] } {
  const sel = `{gate="${gate.name}",${ROLLOUT}}`;
  const spec = KIND_SPECS[gate.kind];
  const histogram = spec.family === "mean" ? HISTOGRAM[spec.quantity] : undefined;
  const p95: PanelQuery[] = histogram
    ? [
        {
          expr: `histogram_quantile(0.95, sum by (deployment, version_group, le) (rate(${prometheusName(METRICS[histogram], mode)}_bucket{${DEPLOYMENT}}[$__rate_interval])))`,
          legend: "{{deployment}} {{version_group}} p95 (drawn, not gated)",
        },
      ]
    : [];
  return {
    arms: [{ expr: `${RECORDED.estimate}${sel}`, legend: "{{deployment}} {{rollout_id}} {{version_group}}" }, ...p95],
    value: [
      { expr: `${RECORDED.value}${sel}`, legend: `{{deployment}} {{rollout_id}} canary ${gate.comparison === "ratio" ? "/" : "-"} baseline` },
      { expr: `${RECORDED.threshold}{gate="${gate.name}"}`, legend: "tolerance" },
    ],
    evidence: [
      { expr: `${RECORDED.statistic}${sel}`, legend: "{{rollout_id}} against the canary" },
      { expr: `${RECORDED.boundary}${sel}`, legend: "{{rollout_id}} fails above" },
      { expr: `${RECORDED.passStatistic}${sel}`, legend: "{{rollout_id}} for the canary" },
      { expr: `${RECORDED.passBoundary}${sel}`, legend: "{{rollout_id}} passes above" },
    ],
    verdict: [{ expr: `${RECORDED.verdict}${sel}`, legend: "{{deployment}} {{rollout_id}}" }],
  };
}

/** The overview row: where the rollout stands and what the agents do. */
export function overviewQueries(mode: ExportMode, gates: readonly Gate[]): Record<string, PanelQuery[]> {
  const name = (key: keyof typeof METRICS): string => prometheusName(METRICS[key], mode);
  const model = prometheusLabel("gen_ai.request.model");
  const tokenType = prometheusLabel("gen_ai.token.type");
  const alerts = gates.map(alertName).join("|");
  return {
    rolloutPercent: [{ expr: `${RECEIVER_METRICS.canaryPercent}{${DEPLOYMENT}}`, legend: "{{deployment}}" }],
    firingGates: [{ expr: `ALERTS{alertname=~"${alerts}",alertstate="firing",${DEPLOYMENT}}`, legend: "{{deployment}} {{gate}} ({{action}})" }],
    outcomes: [
      {
        expr: `sum by (version_group, outcome) (rate(${name("sessions")}{${DEPLOYMENT}}[$__rate_interval]))`,
        legend: "{{version_group}} {{outcome}}",
      },
    ],
    tokensByModel: [
      {
        expr: `sum by (${model}, ${tokenType}) (rate(${name("tokenUsage")}_sum{${DEPLOYMENT}}[$__rate_interval]))`,
        legend: `{{${model}}} {{${tokenType}}}`,
      },
    ],
    costByGroup: [
      { expr: `sum by (version_group) (rate(${name("sessionCost")}_sum{${DEPLOYMENT}}[$__rate_interval]))`, legend: "{{version_group}} USD/s" },
      { expr: `sum by (model) (rate(${name("unpricedCalls")}{${DEPLOYMENT}}[$__rate_interval]))`, legend: "unpriced calls {{model}}" },
    ],
    activeVersions: [
      { expr: `sum by (deployment, version_group, version_hash) (${name("activeSessions")}{${DEPLOYMENT}})`, legend: "{{version_group}} {{version_hash}}" },
    ],
    versionMismatches: [
      { expr: `sum by (version_group, version_hash) (rate(${name("versionMismatches")}{${DEPLOYMENT}}[$__rate_interval]))`, legend: "{{version_group}} {{version_hash}}" },
      { expr: `sum by (reason) (rate(${name("routingFailures")}{${DEPLOYMENT}}[$__rate_interval]))`, legend: "routing failure {{reason}}" },
    ],
  };
}

/** The "Shadow mode" row: raw shadow metrics, so the panels work with or without the shadow gate's recordings. */
export function shadowQueries(mode: ExportMode): Record<ShadowPanel, PanelQuery[]> {
  const name = (key: keyof typeof SHADOW_METRICS): string => prometheusName(SHADOW_METRICS[key], mode);
  const rate = (metric: string, by: string): string => `sum by (${by}) (rate(${metric}{${DEPLOYMENT}}[$__rate_interval]))`;
  const similarity = name("similarity");
  // Every series keeps `source` apart: live traffic and replays of recorded inputs are never summed.
  const byCandidate = "deployment, version_hash, source";
  return {
    similarity: [
      {
        expr: `${rate(`${similarity}_sum`, byCandidate)} / ${rate(`${similarity}_count`, byCandidate)}`,
        legend: "{{deployment}} {{version_hash}} {{source}} mean",
      },
      {
        expr: `histogram_quantile(0.1, ${rate(`${similarity}_bucket`, `${byCandidate}, le`)})`,
        legend: "{{deployment}} {{version_hash}} {{source}} p10",
      },
    ],
    agreement: [{ expr: rate(name("comparisons"), "decision, source"), legend: "{{source}} {{decision}}" }],
    verdicts: [{ expr: rate(name("judgeVerdicts"), "verdict, source"), legend: "{{source}} {{verdict}}" }],
    writes: [{ expr: rate(name("interceptedWrites"), "tool, source"), legend: "{{source}} {{tool}}" }],
    runs: [{ expr: rate(name("candidateRuns"), "result, source"), legend: "{{source}} {{result}}" }],
  };
}

export type ShadowPanel = "similarity" | "agreement" | "verdicts" | "writes" | "runs";
