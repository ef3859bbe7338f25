import { ROUTING_SLOTS, routingSlotOf } from "@agent-canary/conventions";
import type { RequestDecision } from "../telemetry/shadow-metrics.js";

export interface AdmissionPolicy {
  readonly sampleRate: number;
  /** When set, only these tenants / routes are shadowed (either list admits). */
  readonly optIn?: { readonly tenants?: readonly string[] | undefined; readonly routes?: readonly string[] | undefined } | undefined;
}

export interface RequestMeta {
  readonly requestId: string;
  readonly tenant?: string | undefined;
  readonly route?: string | undefined;
}

function optedIn(policy: AdmissionPolicy, meta: RequestMeta): boolean {
  const { tenants, routes } = policy.optIn ?? {};
  if (!tenants && !routes) return true;
  return (meta.tenant !== undefined && (tenants?.includes(meta.tenant) ?? false)) ||
    (meta.route !== undefined && (routes?.includes(meta.route) ?? false));
}

/**
 * Whether a request is shadowed. Sampling hashes the request id (same
 * algorithm as canary routing), so a retried request gets the same answer.
 */
export function admit(policy: AdmissionPolicy, meta: RequestMeta): RequestDecision {
  if (!optedIn(policy, meta)) return "not_opted_in";
  if (routingSlotOf(meta.requestId, ":shadow-sample") >= policy.sampleRate * ROUTING_SLOTS) return "sampled_out";
  return "shadowed";
}
