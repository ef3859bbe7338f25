import type { Resource } from "./schemas.js";

/** The parts of an AlertmanagerConfig (monitoring.coreos.com/v1alpha1) this rendering reads. */
interface AmcMatcher {
  name: string;
  value: string;
  matchType?: string;
}
interface AmcRoute {
  receiver?: string;
  matchers?: AmcMatcher[];
  groupBy?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  continue?: boolean;
  routes?: AmcRoute[];
}
interface AmcWebhook {
  url: string;
  sendResolved?: boolean;
  maxAlerts?: number;
  httpConfig?: { authorization?: { type?: string; credentials: { name: string; key: string } } };
}
export type AlertmanagerConfigResource = Resource & {
  metadata: { name: string; namespace: string };
  spec: { route: AmcRoute; receivers: { name: string; webhookConfigs?: AmcWebhook[] }[] };
};

/** A Secret's bytes as the operator reads them: `namespace/name/key` → value, untrimmed. */
export type SecretValues = Record<string, string>;

/**
 * The Alertmanager config the Prometheus Operator generates from one AlertmanagerConfig, for
 * what matters to delivery: receivers are prefixed `namespace/name/`, the top route gets a
 * `namespace` matcher and `continue: true`, and a webhook's authorization credentials are the
 * referenced Secret's bytes copied inline (the operator does not trim them). `rewriteUrl` points
 * the webhooks at a local receiver. Inhibit rules are left out.
 */
export function renderAsOperator(amc: AlertmanagerConfigResource, secrets: SecretValues, rewriteUrl: (url: string) => string): Record<string, unknown> {
  const { namespace, name } = amc.metadata;
  const prefixed = (receiver: string) => `${namespace}/${name}/${receiver}`;
  const matcherText = (m: AmcMatcher) => `${m.name}${m.matchType ?? "="}${JSON.stringify(m.value)}`;
  const route = (r: AmcRoute, top: boolean): Record<string, unknown> => ({
    ...(r.receiver ? { receiver: prefixed(r.receiver) } : {}),
    matchers: [...(top ? [`namespace="${namespace}"`] : []), ...(r.matchers ?? []).map(matcherText)],
    ...(r.groupBy ? { group_by: r.groupBy } : {}),
    ...(r.groupWait ? { group_wait: r.groupWait } : {}),
    ...(r.groupInterval ? { group_interval: r.groupInterval } : {}),
    ...(r.repeatInterval ? { repeat_interval: r.repeatInterval } : {}),
    continue: top ? true : (r.continue ?? false),
    ...(r.routes ? { routes: r.routes.map((child) => route(child, false)) } : {}),
  });
  const webhook = (w: AmcWebhook): Record<string, unknown> => {
    const auth = w.httpConfig?.authorization;
    const credentials = auth ? secrets[`${namespace}/${auth.credentials.name}/${auth.credentials.key}`] : undefined;
    if (auth && credentials === undefined) throw new Error(`no Secret ${namespace}/${auth.credentials.name} key ${auth.credentials.key}`);
    return {
      url: rewriteUrl(w.url),
      send_resolved: w.sendResolved ?? true,
      ...(w.maxAlerts === undefined ? {} : { max_alerts: w.maxAlerts }),
      ...(auth ? { http_config: { authorization: { type: auth.type ?? "Bearer", credentials } } } : {}),
    };
  };
  return {
    route: { receiver: "null", group_wait: "0s", routes: [route(amc.spec.route, true)] },
    receivers: [{ name: "null" }, ...amc.spec.receivers.map((r) => ({ name: prefixed(r.name), ...(r.webhookConfigs ? { webhook_configs: r.webhookConfigs.map(webhook) } : {}) }))],
  };
}
