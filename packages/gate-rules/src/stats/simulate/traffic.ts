import type { Assignment, VersionGroup } from "@agent-canary/conventions";
import { seededRandom } from "../random.js";
import type { SharedEffects } from "../session-model.js";

/** The traffic a simulated rollout runs in: how many sessions, what happens to everyone, which tenants. */
export interface Traffic {
  /** Mean sessions per minute (both arms, Poisson arrivals) at a minute of the simulation clock. */
  perMinute: (minute: number) => number;
  /** What happens to every session at that minute, whichever version serves it. */
  effects?: (minute: number) => SharedEffects | undefined;
  tenants?: TenantMix;
}

export interface TenantMix {
  /** Each tenant's share of sessions (they add up to 1). */
  shares: readonly number[];
  /** Tenants forced to one group by a tenant override: they never enter the gates. */
  overrides?: ReadonlyMap<number, VersionGroup>;
  /** Route by tenant id (a routing key many sessions share) instead of by session. */
  routeByTenant?: boolean;
}

export const constantTraffic = (perMinute: number): Traffic => ({ perMinute: () => perMinute });

/**
 * Shares of `count` tenants following a Zipf law whose exponent is chosen so
 * the largest tenant has `topShare` of the sessions (issue 10: 200 tenants,
 * the top one at 26%).
 */
export function zipfShares(count: number, topShare: number): number[] {
  const shares = (s: number) => {
    const w = Array.from({ length: count }, (_, i) => 1 / (i + 1) ** s);
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / total);
  };
  let lo = 0;
  let hi = 5;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if ((shares(mid)[0] ?? 0) < topShare) lo = mid;
    else hi = mid;
  }
  return shares((lo + hi) / 2);
}

/** A daily cycle: traffic and shared effects as a cosine of the hour, peaking at `peakHour`. */
export function dailyCycle(base: number, options: { trafficSwing: number; durationSwing?: number; costSwing?: number; peakHour?: number }): Traffic {
  const phase = (minute: number) => Math.cos((2 * Math.PI * (minute / 60 - (options.peakHour ?? 14))) / 24);
  return {
    perMinute: (m) => base * (1 + options.trafficSwing * phase(m)),
    effects: (m) => ({ durationFactor: 1 + (options.durationSwing ?? 0) * (phase(m) + 1) / 2, costFactor: 1 + (options.costSwing ?? 0) * (phase(m) + 1) / 2 }),
  };
}

/** Picks a tenant by share; the cumulative table is built once per mix. */
export function tenantPicker(shares: readonly number[]): (rng: () => number) => number {
  const cumulative: number[] = [];
  let total = 0;
  for (const s of shares) cumulative.push((total += s));
  return (rng) => {
    const u = rng() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A tenant's routing slot, scaled to [0, 1): fixed per tenant and salt, as a routing key's hash is. */
export function tenantSlot(tenant: number, salt: number): number {
  return seededRandom((tenant * 2654435761) ^ salt)();
}

/** Which group a session goes to and why, as the router decides it. */
export function route(rng: () => number, percent: number, tenant: number | undefined, mix: TenantMix | undefined, salt: number): { group: VersionGroup; assignment: Assignment } {
  const forced = tenant === undefined ? undefined : mix?.overrides?.get(tenant);
  if (forced) return { group: forced, assignment: "tenant_override" };
  if (tenant !== undefined && mix?.routeByTenant) return { group: tenantSlot(tenant, salt) * 100 < percent ? "canary" : "baseline", assignment: "routing_key" };
  return { group: rng() * 100 < percent ? "canary" : "baseline", assignment: "split" };
}
