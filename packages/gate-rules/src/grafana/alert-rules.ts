import * as alerting from "@grafana/grafana-foundation-sdk/alerting";
import * as expr from "@grafana/grafana-foundation-sdk/expr";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import type { GatesConfig, Gate } from "../config/resolve.js";
import { KIND_SPECS } from "../gates/kinds.js";
import { gateRunbookAnchor, runbookUrl } from "../runbook/links.js";
import { alertName, failedAlertExpr, ownWords, statisticWords } from "../prometheus/alerts.js";
import { RECORDED } from "../prometheus/names.js";
import { on } from "../prometheus/selectors.js";
import { SHADOW_ALERT, SHADOW_ALERT_LABELS, SHADOW_RECORDED, shadowAnnotations } from "../prometheus/shadow.js";
import type { ShadowGate } from "../config/schema.js";

export const GRAFANA_FOLDER = "agent-canary";
export const GRAFANA_RULE_GROUP = "agent-canary-gates";

function promQuery(refId: string, query: string, config: GatesConfig, windowSeconds: number): alerting.QueryBuilder {
  return new alerting.QueryBuilder(refId)
    .datasourceUid(config.grafanaDatasourceUid)
    .relativeTimeRange({ from: windowSeconds, to: 0 })
    .model(new prometheus.DataqueryBuilder().expr(query).instant().refId(refId));
}

function exprQuery(refId: string, model: expr.TypeMathBuilder | expr.TypeThresholdBuilder): alerting.QueryBuilder {
  return new alerting.QueryBuilder(refId).datasourceUid("__expr__").model(model.refId(refId));
}

/**
 * The same decision as the Prometheus alert: the gate's verdict is failing for a
 * live rollout (muted for finished rollouts where the receiver's info series
 * says so). Grafana evaluates the recorded series, so Prometheus must load the
 * recording rules. The statistic and boundary queries carry the numbers into the
 * annotation.
 */
function ruleFor(gate: Gate, config: GatesConfig): alerting.Rule {
  const sel = `{gate="${gate.name}"}`;
  const spec = KIND_SPECS[gate.kind];
  const perRollout = (record: string) => `${record}${sel} and ${on(config)} (${failedAlertExpr(gate, config)})`;
  return new alerting.RuleBuilder(alertName(gate))
    .uid(`agent-canary-${gate.name}`.slice(0, 40))
    .ruleGroup(GRAFANA_RULE_GROUP)
    .folderUID(GRAFANA_FOLDER)
    .orgID(1)
    .queries([
      promQuery("F", failedAlertExpr(gate, config), config, 600),
      promQuery("Z", perRollout(RECORDED.statistic), config, 600),
      promQuery("B", perRollout(RECORDED.boundary), config, 600),
      promQuery("V", perRollout(RECORDED.value), config, 600),
      exprQuery("C", new expr.TypeThresholdBuilder().expression("F").conditions([{ evaluator: { type: "gt", params: [0] } }])),
    ])
    .condition("C")
    // No verdict means no sessions of a live rollout: not a failure, and not "no data" noise.
    .noDataState("OK")
    // Grafana's "Error" state raises a DatasourceError alert carrying the rule's labels, action=rollback
    // included: a Prometheus outage must not hold or roll back a canary. Keep the last state instead.
    .execErrState("KeepLast")
    .forDuration(gate.forSeconds > 0 ? gate.for : "0s")
    .labels({ gate: gate.name, action: gate.action, severity: gate.severity })
    .annotations({
      summary: `${spec.title} of the canary of {{ $labels.deployment }} (rollout {{ $labels.rollout_id }}) is worse than its baseline beyond tolerance (${gate.action}).`,
      description: `${spec.title}, the rollout so far, time-matched per canary percent: ${gate.comparison} {{ $values.V }} against tolerance ${gate.threshold}; ${statisticWords(gate)} {{ $values.Z }} above its always-valid boundary {{ $values.B }}. Action: ${gate.action}.${ownWords(gate)}`,
      runbook_url: runbookUrl(config, gateRunbookAnchor(gate.kind)),
    })
    .build();
}

/**
 * The shadow gate as Grafana evaluates it: mean similarity below the minimum
 * while the comparisons reach the minimum, per deployment and candidate. The
 * series need no `gate=` matcher, as in the Prometheus alert (shadowAlertExpr).
 */
function shadowRuleFor(config: GatesConfig, shadow: ShadowGate): alerting.Rule {
  return new alerting.RuleBuilder(SHADOW_ALERT)
    .uid("agent-canary-shadow-similarity")
    .ruleGroup(GRAFANA_SHADOW_GROUP)
    .folderUID(GRAFANA_FOLDER)
    .orgID(1)
    .queries([
      promQuery("S", SHADOW_RECORDED.similarity, config, 600),
      promQuery("N", SHADOW_RECORDED.comparisons, config, 600),
      exprQuery("C", new expr.TypeMathBuilder().expression(`($S < ${shadow.minSimilarity}) && ($N >= ${shadow.minRequests})`)),
      exprQuery("F", new expr.TypeThresholdBuilder().expression("C").conditions([{ evaluator: { type: "gt", params: [0] } }])),
    ])
    .condition("F")
    // Nothing compared yet is no evidence; a query error must not hold anything either.
    .noDataState("OK")
    .execErrState("KeepLast")
    .forDuration("0s")
    .labels({ ...SHADOW_ALERT_LABELS })
    .annotations(shadowAnnotations(config, shadow, "{{ $values.S }}"))
    .build();
}

export const GRAFANA_SHADOW_GROUP = "agent-canary-shadow";

/** The SDK builds class instances; the file wants their plain data. */
function plainRule(rule: alerting.Rule): Record<string, unknown> {
  return {
    uid: rule.uid,
    title: rule.title,
    condition: rule.condition,
    data: JSON.parse(JSON.stringify(rule.data)) as unknown,
    noDataState: rule.noDataState,
    execErrState: rule.execErrState,
    for: rule.for,
    labels: rule.labels,
    annotations: rule.annotations,
  };
}

function group(name: string, config: GatesConfig, rules: alerting.Rule[]): Record<string, unknown> {
  return { orgId: 1, name, folder: GRAFANA_FOLDER, interval: config.evaluationInterval, rules: rules.map(plainRule) };
}

/** A Grafana alerting provisioning file (apiVersion 1): one rule per gate, plus the shadow gate when configured. */
export function grafanaAlertRules(config: GatesConfig): Record<string, unknown> {
  const shadow = config.shadow ? [group(GRAFANA_SHADOW_GROUP, config, [shadowRuleFor(config, config.shadow)])] : [];
  return {
    apiVersion: 1,
    groups: [group(GRAFANA_RULE_GROUP, config, config.gates.map((gate) => ruleFor(gate, config))), ...shadow],
  };
}
