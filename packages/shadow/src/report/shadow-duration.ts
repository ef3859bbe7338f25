import { z } from "zod";

/**
 * How long shadow mode should run before a change moves on to a canary, by the
 * common risk-tier practice for agent releases: a tier by blast radius (prompt
 * tweak low, new tool medium, model swap high, architecture change critical),
 * 3–5 days for agents with 10,000+ requests a day, otherwise at least 2 weeks
 * or 5,000 diverse requests, 2 weeks for critical changes, and +50% for a model swap.
 */
export const RISK_TIERS = ["low", "medium", "high", "critical"] as const;
export const RiskTierSchema = z.enum(RISK_TIERS);
export type RiskTier = z.infer<typeof RiskTierSchema>;

export const HIGH_TRAFFIC_PER_DAY = 10_000;
const LOW_TRAFFIC_DAYS = 14;
const LOW_TRAFFIC_REQUESTS = 5_000;
const MODEL_SWAP_FACTOR = 1.5;

/** Days at high traffic: the 3–5 day range, its top for high risk; critical changes get 2 weeks regardless. */
const HIGH_TRAFFIC_DAYS: Record<RiskTier, number> = { low: 3, medium: 3, high: 5, critical: 14 };

export interface DurationInput {
  readonly risk: RiskTier;
  /** Requests per day; when unknown the low-traffic rule applies, which asks for more. */
  readonly trafficPerDay?: number | undefined;
  readonly modelSwap: boolean;
}

export interface DurationRequirement {
  readonly risk: RiskTier;
  readonly modelSwap: boolean;
  readonly highTraffic: boolean;
  /** Medium-risk changes and above review shadow results before the canary. */
  readonly required: boolean;
  readonly minDays: number;
  /** When set, this many distinct requests also satisfy the requirement, in place of the days. */
  readonly orMinRequests: number | null;
  readonly rule: string;
}

export function recommendedDuration(input: DurationInput): DurationRequirement {
  const highTraffic = (input.trafficPerDay ?? 0) >= HIGH_TRAFFIC_PER_DAY;
  const factor = input.modelSwap ? MODEL_SWAP_FACTOR : 1;
  const baseDays = highTraffic ? HIGH_TRAFFIC_DAYS[input.risk] : LOW_TRAFFIC_DAYS;
  // Critical changes need the full two weeks of variety; a request count cannot stand in for it.
  const baseRequests = highTraffic || input.risk === "critical" ? null : LOW_TRAFFIC_REQUESTS;
  const minDays = baseDays * factor;
  const orMinRequests = baseRequests === null ? null : Math.ceil(baseRequests * factor);
  const traffic = highTraffic ? `≥ ${HIGH_TRAFFIC_PER_DAY.toLocaleString("en-US")} requests/day` : `< ${HIGH_TRAFFIC_PER_DAY.toLocaleString("en-US")} requests/day or unknown traffic`;
  const what = orMinRequests === null ? `${minDays} days` : `${minDays} days or ${orMinRequests.toLocaleString("en-US")} distinct requests, whichever comes first`;
  return {
    risk: input.risk,
    modelSwap: input.modelSwap,
    highTraffic,
    required: input.risk !== "low",
    minDays,
    orMinRequests,
    rule: `${input.risk} risk, ${traffic}${input.modelSwap ? ", model swap (+50%)" : ""}: ${what}`,
  };
}

export interface DurationVerdict extends DurationRequirement {
  readonly observedDays: number | null;
  readonly observedRequests: number;
  readonly met: boolean;
}

/** `observedDays` is null when the file has no live comparisons (replay times say nothing of traffic). */
export function judgeDuration(requirement: DurationRequirement, observedDays: number | null, observedRequests: number): DurationVerdict {
  const daysMet = observedDays !== null && observedDays >= requirement.minDays;
  const requestsMet = requirement.orMinRequests !== null && observedRequests >= requirement.orMinRequests;
  return { ...requirement, observedDays, observedRequests, met: daysMet || requestsMet };
}
