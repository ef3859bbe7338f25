import { prometheusName, SHADOW_METRICS } from "@agent-canary/conventions";
import type { GatesConfig } from "../config/resolve.js";
import type { ShadowGate } from "../config/schema.js";
import { RUNBOOK_ANCHORS, runbookUrl } from "../runbook/links.js";
import { num, selector } from "./selectors.js";
import type { AlertingRule, RecordingRule, RuleGroup } from "./rules.js";

/** Recorded series of the shadow gate, per deployment and candidate version hash. */
export const SHADOW_RECORDED = {
  similarity: "deployment_version_hash:agent_canary_shadow_similarity:mean",
  comparisons: "deployment_version_hash:agent_canary_shadow_comparisons:increase",
} as const;

export const SHADOW_GATE = "shadow_similarity";
export const SHADOW_ALERT = "AgentCanaryShadowSimilarityLow";
export const SHADOW_GROUP = "agent-canary-shadow";
export const SHADOW_ALERT_GROUP = "agent-canary-shadow-gate";

const BY = "by (deployment, version_hash)";

/**
 * Live comparisons only: the gate holds a candidate by how it answers today's
 * production traffic; replays of recorded inputs (`source="replay"`) are a
 * separate test and are never added in.
 */
function shadowIncrease(metric: string, config: GatesConfig, window: string): string {
  return `sum ${BY} (increase(${metric}${selector(config, 'source="live"')}[${window}]))`;
}

/** Mean similarity from the histogram's _sum/_count, and the finished comparisons, over the shadow window. */
export function shadowRecordingRules(config: GatesConfig, shadow: ShadowGate): RuleGroup<RecordingRule> {
  const similarity = prometheusName(SHADOW_METRICS.similarity, config.export);
  const comparisons = prometheusName(SHADOW_METRICS.comparisons, config.export);
  const labels = { gate: SHADOW_GATE };
  return {
    name: SHADOW_GROUP,
    interval: config.evaluationInterval,
    rules: [
      {
        record: SHADOW_RECORDED.similarity,
        expr: `${shadowIncrease(`${similarity}_sum`, config, shadow.window)} / ${shadowIncrease(`${similarity}_count`, config, shadow.window)}`,
        labels,
      },
      { record: SHADOW_RECORDED.comparisons, expr: shadowIncrease(comparisons, config, shadow.window), labels },
    ],
  };
}

/**
 * Low mean similarity once enough requests were compared; nothing before that.
 * No `gate=` matcher: the two series are recorded only by the shadow group, each
 * always with gate="shadow_similarity" (the gates' own records have other names),
 * so a matcher would select the very same series.
 */
export function shadowAlertExpr(shadow: ShadowGate): string {
  return (
    `${SHADOW_RECORDED.similarity} < ${num(shadow.minSimilarity)}` +
    ` and on (deployment, version_hash) ${SHADOW_RECORDED.comparisons} >= ${num(shadow.minRequests)}`
  );
}

export const SHADOW_ALERT_LABELS = { gate: SHADOW_GATE, action: "hold", severity: "warning" } as const;

/** summary, description and runbook_url; `value` is the mean similarity as the alert tool writes it. */
export function shadowAnnotations(config: GatesConfig, shadow: ShadowGate, value: string): Record<string, string> {
  return {
    summary: "Shadow answers of candidate {{ $labels.version_hash }} of {{ $labels.deployment }} differ from production's: no canary may start (hold).",
    description:
      `Mean output similarity to production over ${shadow.window} is ${value}, below the minimum ${shadow.minSimilarity}, ` +
      `after at least ${shadow.minRequests} shadowed requests. Action: hold; a canary of this version must not start while this fires.`,
    runbook_url: runbookUrl(config, RUNBOOK_ANCHORS.shadowSimilarity),
  };
}

/** A hold, never a rollback: the candidate serves no user yet. */
export function shadowAlertRule(config: GatesConfig, shadow: ShadowGate): AlertingRule {
  return {
    alert: SHADOW_ALERT,
    expr: shadowAlertExpr(shadow),
    labels: { ...SHADOW_ALERT_LABELS },
    annotations: shadowAnnotations(config, shadow, '{{ $value | printf "%.3f" }}'),
  };
}
