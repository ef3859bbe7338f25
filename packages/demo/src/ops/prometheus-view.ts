import { RECORDED, type GatesConfig } from "@agent-canary/gate-rules";
import type { PromSample } from "@agent-canary/testkit";
import type { GateView } from "../report/format.js";

type Query = (expr: string) => Promise<PromSample[]>;

const valueOf = (samples: readonly PromSample[], gate: string, group?: string): number =>
  samples.find((s) => s.metric.gate === gate && (group === undefined || s.metric.version_group === group))?.value ?? Number.NaN;

/**
 * The gates as Prometheus computed them from the generated recording rules,
 * in the same shape the embedded evaluator reports, for the timeline.
 */
export async function gatesFromPrometheus(query: Query, config: GatesConfig, deployment: string): Promise<GateView[]> {
  const sel = `{deployment="${deployment}"}`;
  const [values, statistics, boundaries, samples, alerts] = await Promise.all([
    query(`${RECORDED.value}${sel}`),
    query(`${RECORDED.statistic}${sel}`),
    query(`${RECORDED.boundary}${sel}`),
    query(`${RECORDED.samples}${sel}`),
    query(`ALERTS{alertstate="firing",deployment="${deployment}"}`),
  ]);
  return config.gates.map((gate) => {
    const n = { canary: valueOf(samples, gate.name, "canary"), baseline: valueOf(samples, gate.name, "baseline") };
    const statistic = valueOf(statistics, gate.name);
    const boundary = valueOf(boundaries, gate.name);
    const enough = n.canary >= gate.minSamples && n.baseline >= gate.minSamples;
    return {
      gate: gate.name,
      kind: gate.kind,
      action: gate.action,
      comparison: gate.comparison,
      threshold: gate.threshold,
      minSamples: gate.minSamples,
      samples: { canary: Math.round(n.canary) || 0, baseline: Math.round(n.baseline) || 0 },
      value: valueOf(values, gate.name),
      statistic,
      boundary,
      verdict: !enough || Number.isNaN(statistic) ? "insufficient_data" : statistic > boundary ? "fail" : "pass",
      firing: alerts.some((a) => a.metric.gate === gate.name),
    };
  });
}
