import type { GatesConfig } from "../config/resolve.js";

/**
 * The routing of gate alerts, independent of how it is written down: the
 * whole Alertmanager file, the fragment pasted into an existing file and the
 * AlertmanagerConfig resource all render this one plan, so they cannot drift.
 */

/** The path the receiver serves Alertmanager webhooks on (payload version 4). */
export const ALERTMANAGER_HOOK_PATH = "/hooks/alertmanager";

export type MatchOp = "=" | "!=" | "=~" | "!~";

/** One label matcher; `value` is the raw value (a regex for =~ and !~), unquoted. */
export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

/** The receivers agent-canary defines; a user's config must not already use these names. */
export const RECEIVERS = {
  rollback: "agent-canary-rollback",
  hold: "agent-canary-hold",
  /** A receiver without integrations: the root of the whole file, for alerts nothing else routes. */
  unrouted: "agent-canary-unrouted",
} as const;

/** Gate alerts are named AgentCanary...; a user's own rules may be named anything. */
export const GATE_ALERT_NAMES = "AgentCanary.+";

export interface RoutePlan {
  readonly receiver: string;
  readonly matchers: readonly Matcher[];
  readonly groupBy: readonly string[];
  readonly groupWait: string;
  readonly groupInterval: string;
  readonly repeatInterval: string;
  /** Let the alert go on to the next sibling routes as well (people still hear of it). */
  readonly continue: boolean;
}

export interface InhibitPlan {
  readonly source: readonly Matcher[];
  readonly target: readonly Matcher[];
  readonly equal: readonly string[];
}

export interface RoutingPlan {
  /** Where the webhook receivers post: the receiver's base URL plus the hook path. */
  readonly hookUrl: string;
  /** Receivers that post to the agent-canary receiver. */
  readonly webhookReceivers: readonly string[];
  /** The user's existing receiver for people, when gates.yaml names one. */
  readonly notificationsReceiver: string | undefined;
  /** Routes for the agent-canary receiver, then (when configured) the one for people. */
  readonly routes: readonly RoutePlan[];
  readonly inhibitRules: readonly InhibitPlan[];
  /** group_by of the whole file's root route. */
  readonly rootGroupBy: readonly string[];
}

/** The labels one rollout's alerts share: a rollback of an earlier rollout must not inhibit the current one's holds. */
export const ROLLOUT_LABELS = ["deployment", "rollout_id"] as const;

/** Alertmanager regexes are anchored; dots in deployment names are literal. */
function deploymentRegex(config: GatesConfig): string {
  return config.deployments.map((d) => d.replace(/\./g, "\\.")).join("|");
}

/** Routing plan for one gates config. */
export function routingPlan(config: GatesConfig): RoutingPlan {
  const am = config.alertmanager;
  const managed: Matcher = { name: "deployment", op: "=~", value: deploymentRegex(config) };
  const action = (value: string): Matcher => ({ name: "action", op: "=", value });
  const timing = { groupWait: am.groupWait, groupInterval: am.groupInterval, repeatInterval: am.repeatInterval };
  const notify = config.notifications.receiver;
  const routes: RoutePlan[] = [
    // Any alert that says action=rollback for a managed deployment, whatever its name (a user's own rule too).
    // Grouped by every label, so a new alert never waits behind another's group interval; re-sent every
    // 5 minutes while it fires, so one lost delivery cannot leave a bad canary running.
    { receiver: RECEIVERS.rollback, matchers: [managed, action("rollback")], groupBy: ["..."], ...timing, groupWait: "0s", repeatInterval: "5m", continue: true },
    { receiver: RECEIVERS.hold, matchers: [managed, action("hold")], groupBy: ["alertname", ...ROLLOUT_LABELS, "gate"], ...timing, continue: true },
  ];
  if (notify) {
    // Every gate alert for people: the warnings no program acts on (...GateBlind, undecided gates) and copies of rollbacks and holds.
    routes.push({ receiver: notify, matchers: [{ name: "alertname", op: "=~", value: GATE_ALERT_NAMES }, managed], groupBy: ["alertname", ...ROLLOUT_LABELS], ...timing, continue: false });
  }
  return {
    hookUrl: new URL(ALERTMANAGER_HOOK_PATH, config.receiver.url).toString(),
    webhookReceivers: [RECEIVERS.rollback, RECEIVERS.hold],
    notificationsReceiver: notify,
    routes,
    // A rollback in flight makes a hold of the same rollout moot; holds of another rollout stay.
    inhibitRules: [{ source: [managed, action("rollback")], target: [managed, action("hold")], equal: [...ROLLOUT_LABELS] }],
    rootGroupBy: ["alertname", ...ROLLOUT_LABELS, "gate"],
  };
}

/** A matcher as Alertmanager's config file writes it: name, operator, double-quoted value. */
export function matcherText(m: Matcher): string {
  return `${m.name}${m.op}"${m.value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
