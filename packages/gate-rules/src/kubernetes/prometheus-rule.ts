import type { GatesConfig } from "../config/resolve.js";
import { alertingRules, recordingRules, type AlertingRule, type RecordingRule, type RuleGroup } from "../prometheus/rules.js";
import { objectMeta, type ObjectMeta } from "./metadata.js";
import type { KubernetesRulesOptions } from "./options.js";

/** monitoring.coreos.com/v1 PrometheusRule, as far as agent-canary fills it. */
export interface PrometheusRuleResource {
  apiVersion: "monitoring.coreos.com/v1";
  kind: "PrometheusRule";
  metadata: ObjectMeta;
  spec: { groups: RuleGroup<RecordingRule | AlertingRule>[] };
}

/**
 * The recording and alert rules of a gates config as one PrometheusRule, for a
 * Prometheus run by the Prometheus Operator (kube-prometheus-stack). The groups
 * are the rule files' groups, recording first (a group evaluates its rules in
 * order, and groups run independently, so each gate's statistic and its alert
 * stay as in the plain files).
 */
export function prometheusRule(config: GatesConfig, options: KubernetesRulesOptions): PrometheusRuleResource {
  const alertLabels: Record<string, string> = options.namespaceLabel ? { namespace: options.namespace } : {};
  const alerts = alertingRules(config).groups.map((group): RuleGroup<AlertingRule> => ({
    ...group,
    rules: group.rules.map((rule) => ({ ...rule, labels: { ...rule.labels, ...alertLabels } })),
  }));
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: objectMeta(`${options.name}-gates`, options),
    spec: { groups: [...recordingRules(config).groups, ...alerts] },
  };
}
