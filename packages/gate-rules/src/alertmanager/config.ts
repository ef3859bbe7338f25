import type { GatesConfig } from "../config/resolve.js";
import { matcherText, RECEIVERS, routingPlan, type InhibitPlan, type RoutePlan, type RoutingPlan } from "./routing.js";

/** The Alertmanager config file's shapes that agent-canary writes (0.25 field names). */
export interface FileRoute {
  receiver: string;
  matchers: string[];
  group_by: string[];
  group_wait: string;
  group_interval: string;
  repeat_interval: string;
  continue?: boolean;
}

export interface FileReceiver {
  name: string;
  webhook_configs?: {
    url: string;
    send_resolved: boolean;
    max_alerts: number;
    http_config: { authorization: { type: "Bearer"; credentials_file: string } };
  }[];
}

export interface FileInhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

/** What a user pastes into an existing alertmanager.yml, one list per key of that file. */
export interface AlertmanagerFragment {
  /** Goes first in the existing `route.routes` (before any catch-all route). */
  routes: FileRoute[];
  /** Goes into the existing `receivers`. */
  receivers: FileReceiver[];
  /** Goes into the existing `inhibit_rules`. */
  inhibit_rules: FileInhibitRule[];
}

export interface AlertmanagerFile {
  route: { receiver: string; group_by: string[]; group_wait: string; group_interval: string; repeat_interval: string; routes: FileRoute[] };
  inhibit_rules: FileInhibitRule[];
  receivers: FileReceiver[];
}

function fileRoute(r: RoutePlan): FileRoute {
  return {
    receiver: r.receiver,
    matchers: r.matchers.map(matcherText),
    group_by: [...r.groupBy],
    group_wait: r.groupWait,
    group_interval: r.groupInterval,
    repeat_interval: r.repeatInterval,
    ...(r.continue ? { continue: true } : {}),
  };
}

function fileInhibitRule(rule: InhibitPlan): FileInhibitRule {
  return { source_matchers: rule.source.map(matcherText), target_matchers: rule.target.map(matcherText), equal: [...rule.equal] };
}

/** The receivers that post to the agent-canary receiver, with the bearer token file Alertmanager reads at send time. */
function webhookReceivers(plan: RoutingPlan, credentialsFile: string): FileReceiver[] {
  return plan.webhookReceivers.map((name) => ({
    name,
    webhook_configs: [{ url: plan.hookUrl, send_resolved: true, max_alerts: 0, http_config: { authorization: { type: "Bearer", credentials_file: credentialsFile } } }],
  }));
}

/**
 * The part of an Alertmanager config agent-canary needs, to paste into an
 * existing one: routes on `action` for the managed deployments (whatever the
 * alert's name), the receivers they post to, and the rollout-scoped inhibit rule.
 * The notifications receiver, when named, is the user's own and is not defined here.
 */
export function alertmanagerFragment(config: GatesConfig): AlertmanagerFragment {
  const plan = routingPlan(config);
  return {
    routes: plan.routes.map(fileRoute),
    receivers: webhookReceivers(plan, config.receiver.credentialsFile),
    inhibit_rules: plan.inhibitRules.map(fileInhibitRule),
  };
}

/**
 * A whole Alertmanager (0.25) config for an Alertmanager that serves only
 * agent-canary (the demo, a dedicated instance). Alerts nothing routes go to a
 * receiver without integrations. A notifications receiver named in gates.yaml is
 * defined here without integrations too: this file cannot know them, so use the
 * fragment in a config that defines it.
 */
export function alertmanagerConfig(config: GatesConfig): AlertmanagerFile {
  const plan = routingPlan(config);
  const fragment = alertmanagerFragment(config);
  const am = config.alertmanager;
  return {
    route: {
      receiver: RECEIVERS.unrouted,
      group_by: [...plan.rootGroupBy],
      group_wait: am.groupWait,
      group_interval: am.groupInterval,
      repeat_interval: am.repeatInterval,
      routes: fragment.routes,
    },
    inhibit_rules: fragment.inhibit_rules,
    receivers: [
      { name: RECEIVERS.unrouted },
      ...fragment.receivers,
      ...(plan.notificationsReceiver ? [{ name: plan.notificationsReceiver }] : []),
    ],
  };
}
