import { z } from "zod";

/**
 * How a session's group was chosen; the `assignment` label of the gate inputs.
 * Only `split` sessions are a randomised comparison, so only they enter the gates:
 * - split: the session's own routing slot against the canary percent (random, per session);
 * - tenant_override: a tenant override forced the group (whole tenants move together);
 * - routing_key: routed by a key many sessions share (a tenant or user id given as
 *   the routing key), so sessions are not independent;
 * - fail_closed: the rollout state could not be read; baseline by force;
 * - no_rollout: no store, or no canary in the state.
 */
export const ASSIGNMENTS = ["split", "tenant_override", "routing_key", "fail_closed", "no_rollout"] as const;
export const AssignmentSchema = z.enum(ASSIGNMENTS);
export type Assignment = z.infer<typeof AssignmentSchema>;

/** The assignment whose sessions the gates compare. */
export const GATED_ASSIGNMENT: Assignment = "split";

/**
 * Per-session quantities the mean gates compare; the `quantity` label of
 * agent_canary_gate_{observations,value,value_squared}_total.
 * - cost: USD per session; only sessions whose every call was priced and at least one LLM call was observed;
 * - log_cost: logCost(cost) for the same sessions (a cost gate on the log scale keeps its power under heavy tails);
 * - turns: LLM calls per session, for sessions with at least one observed call;
 * - duration: wall-clock seconds per session, every session;
 * - quality: each judge score in [0, 1] recorded through recordQualityScore().
 */
export const GATE_QUANTITIES = ["cost", "log_cost", "turns", "duration", "quality"] as const;
export const GateQuantitySchema = z.enum(GATE_QUANTITIES);
export type GateQuantity = z.infer<typeof GateQuantitySchema>;

/** Cost below which log_cost is floored: one micro-dollar. */
export const LOG_COST_FLOOR_USD = 1e-6;

/**
 * ln(cost in micro-dollars), floored at 0: the log_cost gate input. Counters
 * cannot go down, so the log is taken of cost / 1e-6 USD (never negative for a
 * cost at or above the floor); a constant shift changes neither the difference
 * of two arms' means nor their variances.
 */
export function logCost(costUsd: number): number {
  return Math.log(Math.max(costUsd, LOG_COST_FLOOR_USD) / LOG_COST_FLOOR_USD);
}

/**
 * The `canary_percent` label: the percent in force when the session was routed,
 * as the shortest decimal ("0", "0.5", "5", "25"). Sessions routed at one percent
 * were split at random with the same probability whenever they ran, so each
 * percent is a stratum in which both arms saw the same hours of traffic.
 */
export function canaryPercentLabel(percent: number): string {
  return String(percent);
}
