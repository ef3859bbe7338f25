import type { GatesConfig } from "../config/resolve.js";
import { RECEIVERS, routingPlan, type Matcher, type RoutePlan } from "../alertmanager/routing.js";
import { objectMeta, type ObjectMeta } from "./metadata.js";
import type { KubernetesRulesOptions } from "./options.js";

/** monitoring.coreos.com/v1alpha1 matcher: the operator writes it back as name, operator, quoted value. */
interface ResourceMatcher {
  name: string;
  value: string;
  matchType: Matcher["op"];
}

interface ResourceRoute {
  receiver: string;
  matchers?: ResourceMatcher[];
  groupBy: string[];
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
  continue?: boolean;
  routes?: ResourceRoute[];
}

interface ResourceReceiver {
  name: string;
  webhookConfigs?: {
    url: string;
    sendResolved: boolean;
    maxAlerts: number;
    httpConfig: { authorization: { type: "Bearer"; credentials: { name: string; key: string } } };
  }[];
}

/** monitoring.coreos.com/v1alpha1 AlertmanagerConfig, as far as agent-canary fills it. */
export interface AlertmanagerConfigResource {
  apiVersion: "monitoring.coreos.com/v1alpha1";
  kind: "AlertmanagerConfig";
  metadata: ObjectMeta;
  spec: {
    route: ResourceRoute;
    receivers: ResourceReceiver[];
    inhibitRules: { sourceMatch: ResourceMatcher[]; targetMatch: ResourceMatcher[]; equal: string[] }[];
  };
}

const resourceMatcher = (m: Matcher): ResourceMatcher => ({ name: m.name, value: m.value, matchType: m.op });

function resourceRoute(r: RoutePlan): ResourceRoute {
  return {
    receiver: r.receiver,
    matchers: r.matchers.map(resourceMatcher),
    groupBy: [...r.groupBy],
    groupWait: r.groupWait,
    groupInterval: r.groupInterval,
    repeatInterval: r.repeatInterval,
  };
}

/**
 * The routing of the whole file as an AlertmanagerConfig resource. The operator
 * nests its route under the Alertmanager's root with `continue: true` and a
 * `namespace="<its namespace>"` matcher (default matcher strategy), so gate
 * alerts reach the agent-canary receiver and then your own routes as before.
 * An AlertmanagerConfig can name only its own receivers: the notifications
 * receiver of gates.yaml is not used here; your main config's routes get the
 * warnings (they carry severity=warning).
 */
export function alertmanagerConfigResource(config: GatesConfig, options: KubernetesRulesOptions): AlertmanagerConfigResource {
  const plan = routingPlan(config);
  const am = config.alertmanager;
  const credentials = { name: options.tokenSecret, key: options.tokenSecretKey };
  return {
    apiVersion: "monitoring.coreos.com/v1alpha1",
    kind: "AlertmanagerConfig",
    metadata: objectMeta(`${options.name}-receiver`, options),
    spec: {
      route: {
        receiver: RECEIVERS.unrouted,
        groupBy: [...plan.rootGroupBy],
        groupWait: am.groupWait,
        groupInterval: am.groupInterval,
        repeatInterval: am.repeatInterval,
        routes: plan.routes.filter((r) => plan.webhookReceivers.includes(r.receiver)).map(resourceRoute),
      },
      receivers: [
        { name: RECEIVERS.unrouted },
        ...plan.webhookReceivers.map((name) => ({
          name,
          webhookConfigs: [{ url: plan.hookUrl, sendResolved: true, maxAlerts: 0, httpConfig: { authorization: { type: "Bearer" as const, credentials } } }],
        })),
      ],
      inhibitRules: plan.inhibitRules.map((rule) => ({ sourceMatch: rule.source.map(resourceMatcher), targetMatch: rule.target.map(resourceMatcher), equal: [...rule.equal] })),
    },
  };
}
