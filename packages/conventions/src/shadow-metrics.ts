/**
 * Shadow mode's part of the telemetry contract: the metrics and spans that
 * @agent-canary/shadow emits when a candidate version runs beside production
 * without answering users. Same `MetricDef` shape as the session catalog so
 * the rule and dashboard generators can treat both alike.
 *
 * In shadow mode there is no baseline/canary split of traffic: every shadowed
 * request runs on both. So the labels name both versions instead of a group:
 * `version_hash` is the candidate's, `production_version_hash` the version it
 * is compared against. `source` says where the input came from: `live`
 * production traffic, or `replay` of recorded inputs later. The two answer
 * different questions (how the candidate does on today's traffic, or on last
 * month's), so dashboards and the shadow gate never add them up.
 */
import type { MetricDef } from "./metrics.js";

/** Where a shadow comparison's input came from: live production traffic, or recorded inputs replayed. */
export const SHADOW_SOURCES = ["live", "replay"] as const;
export type ShadowSource = (typeof SHADOW_SOURCES)[number];

export const SHADOW_LABELS = ["deployment", "version_hash", "production_version_hash", "source"] as const;

const S = SHADOW_LABELS;

export const SHADOW_METRICS = {
  requests: {
    otelName: "agent_canary.shadow.requests",
    kind: "counter",
    unit: "{request}",
    description: "Production requests seen by the shadow runner, by decision (shadowed, sampled_out, not_opted_in).",
    labels: [...S, "decision"],
  },
  candidateRuns: {
    otelName: "agent_canary.shadow.candidate_runs",
    kind: "counter",
    unit: "{run}",
    description: "Candidate runs by result (completed, error, timeout, dropped). Dropped runs never started: the concurrency limit was reached.",
    labels: [...S, "result"],
  },
  similarity: {
    otelName: "agent_canary.shadow.similarity",
    kind: "histogram",
    unit: "1",
    description: "Output similarity (0..1) between production and candidate answers, by method (embedding, lexical).",
    labels: [...S, "method"],
  },
  comparisons: {
    otelName: "agent_canary.shadow.comparisons",
    kind: "counter",
    unit: "{comparison}",
    description: "Finished comparisons, by decision agreement (agree, disagree) and similarity band (equivalent, similar, review).",
    labels: [...S, "decision", "band"],
  },
  judgeVerdicts: {
    otelName: "agent_canary.shadow.judge_verdicts",
    kind: "counter",
    unit: "{verdict}",
    description: "LLM-as-judge verdicts, by verdict (candidate_better, equivalent, production_better) and trigger (sample, divergence).",
    labels: [...S, "verdict", "trigger"],
  },
  interceptedWrites: {
    otelName: "agent_canary.shadow.intercepted_writes",
    kind: "counter",
    unit: "{call}",
    description: "Write tool calls the candidate asked for and shadow mode did not execute, by tool.",
    labels: [...S, "tool"],
  },
} as const satisfies Record<string, MetricDef>;

export type ShadowMetricKey = keyof typeof SHADOW_METRICS;

/** Spans of a shadowed request. The candidate span is a new trace linked to the production span. */
export const SHADOW_SPAN_NAMES = {
  production: "agent_canary.shadow.production",
  candidate: "agent_canary.shadow.candidate",
  compare: "agent_canary.shadow.compare",
} as const;

export const SHADOW_ATTR = {
  role: "agent_canary.shadow.role",
  requestId: "agent_canary.shadow.request_id",
  productionVersionHash: "agent_canary.shadow.production_version.hash",
  similarity: "agent_canary.shadow.similarity",
  similarityMethod: "agent_canary.shadow.similarity.method",
  band: "agent_canary.shadow.band",
  decisionsAgree: "agent_canary.shadow.decisions_agree",
  interceptedWrites: "agent_canary.shadow.intercepted_writes",
  judgeVerdict: "agent_canary.shadow.judge.verdict",
} as const;
