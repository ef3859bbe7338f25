import { stringify } from "yaml";
import type { Gate, GatesConfig } from "../config/resolve.js";
import { KIND_SPECS } from "../gates/kinds.js";
import { gateExpressions } from "./expressions.js";
import { RECORDED } from "./names.js";
import { shadowAlertRule, shadowRecordingRules, SHADOW_ALERT_GROUP } from "./shadow.js";

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup<R> {
  name: string;
  interval: string;
  rules: R[];
}

export interface RuleFile<R> {
  groups: RuleGroup<R>[];
}

/** CamelCase with the shared prefix, as the monitoring mixins name alerts. */
export function alertName(gate: Gate): string {
  const camel = gate.name
    .split("_")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
  return `AgentCanary${camel}GateFailed`;
}

/** Records per gate: the per-arm sums first, then what is computed from them (rule order is evaluation order). */
export function recordingRules(config: GatesConfig): RuleFile<RecordingRule> {
  return { groups: [...gateRecordingGroups(config), ...(config.shadow ? [shadowRecordingRules(config, config.shadow)] : [])] };
}

function gateRecordingGroups(config: GatesConfig): RuleGroup<RecordingRule>[] {
  return config.gates.map((gate) => {
    const e = gateExpressions(gate, config);
    const labels = { gate: gate.name };
    return {
      name: `agent-canary-gate-${gate.name}`,
      interval: config.evaluationInterval,
      rules: [
        ...e.arms.map((r) => ({ ...r, labels })),
        ...e.gate.map((r) => ({ ...r, labels })),
        // A constant per gate, so dashboards can draw the threshold next to the value.
        { record: RECORDED.threshold, expr: `vector(${gate.threshold})`, labels: { ...labels, comparison: gate.comparison } },
      ],
    };
  });
}

/** A recorded gate series for the alert's deployment, formatted, inside an annotation template. */
function lookup(record: string, gate: Gate, format: string): string {
  return `{{ with printf \`${record}{gate="${gate.name}",deployment="%s"}\` $labels.deployment | query }}{{ . | first | value | printf "${format}" }}{{ end }}`;
}

/** The numbers an alert annotation shows: Go template snippets in the rule file, rendered text in tests. */
export interface AnnotationSlots {
  value: string;
  z: string;
  boundary: string;
}

export const TEMPLATE_SLOTS = (gate: Gate): AnnotationSlots => ({
  value: lookup(RECORDED.value, gate, "%.4f"),
  z: '{{ $value | printf "%.2f" }}',
  boundary: lookup(RECORDED.boundary, gate, "%.2f"),
});

/** The gate's own `description` from gates.yaml, for whoever reads the alert (empty when none). */
export function ownWords(gate: Gate): string {
  return gate.description ? ` ${gate.description}` : "";
}

/** summary, description and runbook_url of a gate's alert. */
export function gateAnnotations(gate: Gate, config: GatesConfig, slots: AnnotationSlots): Record<string, string> {
  const spec = KIND_SPECS[gate.kind];
  const worse = spec.harm === "higher" ? "higher" : "lower";
  const tolerance = gate.comparison === "ratio" ? `canary/baseline ratio ${gate.threshold}` : `a difference of ${gate.threshold}`;
  return {
    summary: `${spec.title} of the canary of {{ $labels.deployment }} is worse than its baseline beyond tolerance (${gate.action}).`,
    description:
      `${spec.title} (${worse} is worse) over ${gate.window}: ${gate.comparison} ${slots.value} against a tolerance of ${tolerance}. ` +
      `z = ${slots.z} above the boundary ${slots.boundary} ` +
      `(at least ${gate.minSamples} sessions per arm, false-alarm budget ${gate.alpha}). Action: ${gate.action}.` +
      ownWords(gate),
    runbook_url: `${config.runbookBaseUrl}#gate-${gate.kind.replace(/_/g, "-")}`,
  };
}

/** Name of the alert that says a gate cannot see its data. */
export function blindAlertName(gate: Gate): string {
  return alertName(gate).replace(/Failed$/, "Blind");
}

/** No `action` label: nothing to hold or roll back, a person has to look (Alertmanager keeps it off the receiver). */
function blindRule(gate: Gate, config: GatesConfig): AlertingRule {
  const spec = KIND_SPECS[gate.kind];
  return {
    alert: blindAlertName(gate),
    expr: gateExpressions(gate, config).blind,
    for: gate.window,
    labels: { gate: gate.name, severity: "warning" },
    annotations: {
      summary: `The ${gate.name} gate of {{ $labels.deployment }} has sessions in both arms but no statistic: it cannot fail.`,
      description:
        `${spec.title} needs its series under the names export: ${config.export} produces (see the metric catalog); ` +
        `check that the agent exports them with that mode and that both arms reach ${gate.minSamples} samples in ${gate.window}.`,
      runbook_url: `${config.runbookBaseUrl}#blind-gates`,
    },
  };
}

export function alertingRules(config: GatesConfig): RuleFile<AlertingRule> {
  return {
    groups: [
      {
        name: "agent-canary-gates",
        interval: config.evaluationInterval,
        rules: config.gates.flatMap((gate) => [
          {
            alert: alertName(gate),
            expr: gateExpressions(gate, config).alert,
            ...(gate.forSeconds > 0 ? { for: gate.for } : {}),
            labels: { gate: gate.name, action: gate.action, severity: gate.severity },
            annotations: gateAnnotations(gate, config, TEMPLATE_SLOTS(gate)),
          },
          blindRule(gate, config),
        ]),
      },
      ...(config.shadow ? [{ name: SHADOW_ALERT_GROUP, interval: config.evaluationInterval, rules: [shadowAlertRule(config, config.shadow)] }] : []),
    ],
  };
}

export function toYaml(value: unknown, header: string): string {
  return `# ${header}\n# Generated by @agent-canary/gate-rules; edit gates.yaml and regenerate instead of editing this file.\n${stringify(value, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
