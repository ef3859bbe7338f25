import { RECORDED, type GatesConfig } from "@agent-canary/gate-rules";
import type { PromSample } from "@agent-canary/testkit";
import type { GateView } from "../report/format.js";

type Query = (expr: string) => Promise<PromSample[]>;

const VERDICT: Readonly<Record<string, GateView["verdict"]>> = { "1": "failing", "0": "undecided", "-1": "passing" };

/**
 * The gates as Prometheus computed them from the generated recording rules, in
 * the same shape the embedded evaluator reports, for the timeline: the newest
 * rollout of the deployment (rollout ids begin with their start time).
 */
export async function gatesFromPrometheus(query: Query, config: GatesConfig, deployment: string): Promise<GateView[]> {
  const sel = `{deployment="${deployment}"}`;
  const [verdicts, values, statistics, boundaries, passStatistics, passBoundaries, canary, baseline, alerts] = await Promise.all([
    query(`${RECORDED.verdict}${sel}`),
    query(`${RECORDED.value}${sel}`),
    query(`${RECORDED.statistic}${sel}`),
    query(`${RECORDED.boundary}${sel}`),
    query(`${RECORDED.passStatistic}${sel}`),
    query(`${RECORDED.passBoundary}${sel}`),
    query(`${RECORDED.canarySamples}${sel}`),
    query(`${RECORDED.baselineSamples}${sel}`),
    query(`ALERTS{alertstate="firing",deployment="${deployment}"}`),
  ]);
  const rollout = verdicts.map((s) => s.metric.rollout_id ?? "").sort().at(-1);
  const valueOf = (samples: readonly PromSample[], gate: string): number =>
    samples.find((s) => s.metric.gate === gate && s.metric.rollout_id === rollout)?.value ?? Number.NaN;
  return config.gates.map((gate) => ({
    gate: gate.name,
    kind: gate.kind,
    action: gate.action,
    comparison: gate.comparison,
    threshold: gate.threshold,
    minSamples: gate.minSamples,
    samples: { canary: valueOf(canary, gate.name), baseline: valueOf(baseline, gate.name) },
    value: valueOf(values, gate.name),
    fail: { statistic: valueOf(statistics, gate.name), boundary: valueOf(boundaries, gate.name) },
    pass: { statistic: valueOf(passStatistics, gate.name), boundary: valueOf(passBoundaries, gate.name) },
    verdict: VERDICT[String(valueOf(verdicts, gate.name))] ?? "undecided",
    firing: alerts.some((a) => a.metric.gate === gate.name && a.metric.rollout_id === rollout),
  }));
}
