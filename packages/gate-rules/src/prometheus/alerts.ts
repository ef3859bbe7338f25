import { RECEIVER_METRICS } from "@agent-canary/conventions";
import type { Gate, GatesConfig } from "../config/resolve.js";
import { KIND_SPECS } from "../gates/kinds.js";
import { gateRunbookAnchor, RUNBOOK_ANCHORS, runbookUrl } from "../runbook/links.js";
import { RECORDED } from "./names.js";
import type { AlertingRule } from "./rules.js";
import { by, gateSeries, num, on, quote, rolloutLabels } from "./selectors.js";

export const GATE_ALERT_GROUP = "agent-canary-gates";
export const NOT_COMPARABLE_ALERT = "AgentCanaryRolloutNotComparable";
/** Phases of a rollout whose gates still matter; a rolled-back or promoted rollout's gates stop paging. */
export const LIVE_PHASES = ["progressing", "paused"] as const;
/** How long a gate may see sessions without a statistic, or a rollout without a random split, before it warns. */
export const BLIND_FOR = "30m";

/** CamelCase with the shared prefix, as the monitoring mixins name alerts. */
export function alertName(gate: Gate): string {
  const camel = gate.name
    .split("_")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
  return `AgentCanary${camel}GateFailed`;
}

/** Name of the alert that says a gate cannot see its data. */
export function blindAlertName(gate: Gate): string {
  return alertName(gate).replace(/Failed$/, "Blind");
}

/**
 * A failing gate, labelled with its rollout and the canary's version_hash, for
 * as long as that rollout is live. The receiver's rollout_info series mutes the
 * gates of a rolled-back or promoted rollout and of any rollout but the current
 * one; where that series is missing (the receiver is not scraped), every failing
 * gate fires: correctness never depends on it.
 */
export function failedAlertExpr(gate: Gate, config: GatesConfig): string {
  const failing = `(${gateSeries(RECORDED.verdict, gate.name)} == 1)`;
  const labelled = `(\n  ${failing} * ${on(config)} group_left (version_hash) ${RECORDED.canaryVersion}\n  or ${on(config)} ${failing}\n)`;
  const info = RECEIVER_METRICS.rolloutInfo;
  const deployment = `on (${[...config.environment.by, "deployment"].join(", ")})`;
  return `${labelled}\n  and ${on(config)} ${info}{phase=~"${LIVE_PHASES.join("|")}"}\nor\n${labelled}\n  unless ${deployment} ${info}`;
}

/**
 * Split sessions flow in both arms but the gate has no statistic: its quantity
 * is missing (unpriced calls, no judge, the wrong export names) or every session
 * has the same value. A gate that only needs more samples is not blind.
 */
export function blindAlertExpr(gate: Gate, config: GatesConfig): string {
  const min = num(gate.minSamples);
  const sample = (record: string) => `${gateSeries(record, gate.name)} < ${min}`;
  return (
    `min ${by(config)} (${RECORDED.sharedSessions}) >= ${min}\n` +
    `unless ${on(config)} ${gateSeries(RECORDED.statistic, gate.name)}\n` +
    `unless ${on(config)} (${sample(RECORDED.canarySamples)} or ${sample(RECORDED.baselineSamples)})`
  );
}

/** A rollout with sessions but none split at random in both arms: what was routed instead is the `assignment` label. */
export function notComparableExpr(config: GatesConfig): string {
  return `topk ${by(config)} (1, ${RECORDED.assignmentLookback}{assignment!~"split|no_rollout"})\nunless ${on(config)} ${RECORDED.sharedSessions}`;
}

/** A recorded series of the alert's gate and rollout, formatted, inside an annotation template. */
function lookup(record: string, gate: Gate, config: GatesConfig, format: string): string {
  const labels = rolloutLabels(config);
  const sel = `${record}{gate=${quote(gate.name)},${labels.map((l) => `${l}="%s"`).join(",")}}`;
  const args = labels.map((l) => `$labels.${l}`).join(" ");
  return `{{ with printf \`${sel}\` ${args} | query }}{{ . | first | value | printf "${format}" }}{{ end }}`;
}

/** The numbers an alert annotation shows: Go template snippets in the rule file, rendered text in tests. */
export interface AnnotationSlots {
  value: string;
  statistic: string;
  boundary: string;
}

export function templateSlots(gate: Gate, config: GatesConfig): AnnotationSlots {
  return {
    value: lookup(RECORDED.value, gate, config, "%.4f"),
    statistic: lookup(RECORDED.statistic, gate, config, "%.2f"),
    boundary: lookup(RECORDED.boundary, gate, config, "%.2f"),
  };
}

/** The gate's own `description` from gates.yaml, for whoever reads the alert (empty when none). */
export function ownWords(gate: Gate): string {
  return gate.description ? ` ${gate.description}` : "";
}

/** What a gate's statistic is, in words, for the alert text. */
export function statisticWords(gate: Gate): string {
  return gate.test === "count" ? "log evidence (gamma–Poisson mixture over the canary's share of events)" : "z";
}

/** summary, description and runbook_url of a gate's alert. */
export function gateAnnotations(gate: Gate, config: GatesConfig, slots: AnnotationSlots): Record<string, string> {
  const spec = KIND_SPECS[gate.kind];
  const worse = spec.harm === "higher" ? "higher" : "lower";
  const tolerance = gate.comparison === "ratio" ? `canary/baseline ratio ${gate.threshold}` : `a difference of ${gate.threshold}`;
  return {
    summary: `${spec.title} of the canary of {{ $labels.deployment }} (rollout {{ $labels.rollout_id }}) is worse than its baseline beyond tolerance (${gate.action}).`,
    description:
      `${spec.title} (${worse} is worse), the rollout so far, time-matched per canary percent: ${gate.comparison} ${slots.value} against a tolerance of ${tolerance}. ` +
      `${statisticWords(gate)} ${slots.statistic} above its always-valid boundary ${slots.boundary} ` +
      `(at least ${gate.minSamples} samples per arm, false-alarm budget ${Number(gate.alpha.toPrecision(3))}). Action: ${gate.action}.` +
      ownWords(gate),
    runbook_url: runbookUrl(config, gateRunbookAnchor(gate.kind)),
  };
}

export function failedRule(gate: Gate, config: GatesConfig): AlertingRule {
  return {
    alert: alertName(gate),
    expr: failedAlertExpr(gate, config),
    ...(gate.forSeconds > 0 ? { for: gate.for } : {}),
    labels: { gate: gate.name, action: gate.action, severity: gate.severity },
    annotations: gateAnnotations(gate, config, templateSlots(gate, config)),
  };
}

/** No `action` label: nothing to hold or roll back, a person has to look (Alertmanager keeps it off the receiver). */
export function blindRule(gate: Gate, config: GatesConfig): AlertingRule {
  const spec = KIND_SPECS[gate.kind];
  return {
    alert: blindAlertName(gate),
    expr: blindAlertExpr(gate, config),
    for: BLIND_FOR,
    labels: { gate: gate.name, severity: "warning" },
    annotations: {
      summary: `The ${gate.name} gate of {{ $labels.deployment }} (rollout {{ $labels.rollout_id }}) has sessions in both arms but no statistic: it can neither fail nor pass.`,
      description:
        `${spec.title} reads agent_canary_gate_*_total or the session counters under the names export: ${config.export} produces (see the metric catalog); ` +
        `check that the agent exports them with that mode, that the values are recorded (priced calls, a judge for quality), and that they vary between sessions.`,
      runbook_url: runbookUrl(config, RUNBOOK_ANCHORS.blindGates),
    },
  };
}

export function notComparableRule(config: GatesConfig): AlertingRule {
  return {
    alert: NOT_COMPARABLE_ALERT,
    expr: notComparableExpr(config),
    for: BLIND_FOR,
    labels: { severity: "warning" },
    annotations: {
      summary: "Rollout {{ $labels.rollout_id }} of {{ $labels.deployment }} has no sessions split at random between its arms: no gate can compare it.",
      description:
        "Its sessions were routed by {{ $labels.assignment }} (a tenant override, a routing key many sessions share, or fail-closed), so whole groups of sessions moved together " +
        "and a difference between the arms could be a difference between the groups. Every gate stays undecided. Route by session id (or a per-session key) for the gates to judge.",
      runbook_url: runbookUrl(config, RUNBOOK_ANCHORS.notComparable),
    },
  };
}
