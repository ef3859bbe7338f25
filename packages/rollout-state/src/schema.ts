import { DeploymentNameSchema, GateNameSchema, StageSchema, VersionHashSchema, VersionSpecSchema } from "@agent-canary/conventions";
import { z } from "zod";

// Defined in conventions (the rule generator needs them without the stores); re-exported for existing imports.
export { DeploymentNameSchema, GateNameSchema, StageSchema, type Stage } from "@agent-canary/conventions";

/** A rollout id: a Prometheus label value, e.g. 20261129T161606Z-3fa9c1d2 (start time, then the canary's hash). */
export const RolloutIdSchema = z
  .string()
  .regex(/^[0-9A-Za-z][0-9A-Za-z_.:-]{0,63}$/, "a rollout id is 1-64 chars of letters, digits, '_', '.', ':', '-', e.g. 20261129T161606Z-3fa9c1d2");

/** The id `start` gives a rollout: its start time (UTC, to the second) and the first 8 hex chars of the canary's hash. */
export function rolloutIdFor(startedAt: Date, canaryHash: string): string {
  const stamp = startedAt.toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
  return `${stamp}-${canaryHash.slice(0, 8)}`;
}

export const PHASES = ["idle", "progressing", "paused", "rolled_back", "promoted"] as const;
export const PhaseSchema = z.enum(PHASES);
export type Phase = z.infer<typeof PhaseSchema>;

export const VersionRefSchema = z.object({
  hash: VersionHashSchema,
  label: z.string().max(200).optional(),
  /**
   * The version's contents (model, system prompt, tools, params) when it was given as a spec
   * file: kept so the deployment record can say what changed, not only which hash.
   */
  spec: VersionSpecSchema.optional(),
});
export type VersionRef = z.infer<typeof VersionRefSchema>;

export const TenantOverrideSchema = z.enum(["always", "never"]);

/**
 * Names that would reach Object.prototype instead of an own key of a plain object: as a
 * map key `__proto__` is dropped when the state is parsed, so a capability of that name
 * would be "switched off" anew, with a new revision, on every delivery.
 */
const RESERVED_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const notReserved = (what: string) => [(name: string) => !RESERVED_KEYS.has(name), { message: `a ${what} cannot be __proto__, constructor or prototype` }] as const;

/** A capability flag's name: a map key in the state and a label value in alerts. */
export const CapabilityNameSchema = z
  .string()
  .min(1, "a capability name cannot be empty")
  .max(128, "a capability name is at most 128 characters")
  .refine(...notReserved("capability name"));
export const TenantNameSchema = z.string().refine(...notReserved("tenant name"));

/** A capability flag: a tool or feature inside a version, exposed to its own share of sessions. */
export const CapabilitySchema = z.object({
  percent: z.number().min(0).max(100),
  /** Switched off by an alert or an operator; off means 0% whatever the percent says. */
  enabled: z.boolean().default(true),
  reason: z.string().optional(),
});

export const AUDIT_OUTCOMES = ["changed", "duplicate", "unchanged", "resolved", "stale", "other_rollout"] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * A revision: compare-and-set counts on it. The schema keeps it a safe integer; a stored
 * state at the largest one cannot be followed by any write (see parseStoredState).
 */
export const RevisionSchema = z.number().int().min(0);
export const MAX_REVISION = Number.MAX_SAFE_INTEGER;

export const TransitionSchema = z.object({
  at: z.iso.datetime(),
  /** Who or what: "alertmanager:<fingerprint>", "grafana:<rule uid>", "cli:<user>", "controller". */
  by: z.string().min(1),
  action: z.enum(["start", "advance", "set", "pause", "resume", "hold", "rollback", "promote", "capability", "tenant", "accept", "outlook"]),
  /**
   * What happened, for entries that record an alert: `changed` (the state moved), `duplicate`
   * (the state already was what the alert asks), `unchanged` (nothing to do, e.g. no canary),
   * `resolved`, `stale` (began firing before the rollout started), `other_rollout` (its
   * rollout_id names another rollout). Absent on entries written by the CLI and the
   * controller, and on entries written before the field existed: those are changes.
   */
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  /** A capability change: which capability, and its state before and after. */
  capability: z
    .object({
      name: z.string(),
      enabled: z.boolean(),
      percent: z.number().min(0).max(100),
      fromEnabled: z.boolean().optional(),
      fromPercent: z.number().min(0).max(100).optional(),
    })
    .optional(),
  fromPhase: PhaseSchema.optional(),
  toPhase: PhaseSchema,
  fromPercent: z.number().min(0).max(100).optional(),
  toPercent: z.number().min(0).max(100),
  reason: z.string(),
  /** Gate evidence: gate name, observed values, thresholds. */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type Transition = z.infer<typeof TransitionSchema>;

/** A gate name as the gates config names it (and as the `gate` label carries it); the same rule as gate-rules' config schema. */

/** An operator's decision to advance over a gate that has not decided yet, for the current rollout only. */
export const AcceptedGateSchema = z.object({
  by: z.string().min(1),
  at: z.iso.datetime(),
  reason: z.string().min(1),
});
export type AcceptedGate = z.infer<typeof AcceptedGateSchema>;

/** One rollout state per deployment. The router reads it; the receiver and controller write it by compare-and-set. */
export const RolloutStateSchema = z.object({
  schemaVersion: z.literal(1).default(1),
  deployment: DeploymentNameSchema,
  /** Bumped on every write; compare-and-set is on this number. */
  revision: RevisionSchema,
  baseline: VersionRefSchema,
  canary: VersionRefSchema.nullable().default(null),
  canaryPercent: z.number().min(0).max(100),
  phase: PhaseSchema,
  /** Index into `stages`, or null before the first stage / without a plan. */
  stage: z.number().int().min(0).nullable().default(null),
  stages: z.array(StageSchema).default([]),
  stageStartedAt: z.iso.datetime().nullable().default(null),
  /** After a rollback, canary sessions already running may finish for this long, then are ended. */
  drainTimeoutSeconds: z.number().int().min(0).default(600),
  rolledBackAt: z.iso.datetime().nullable().default(null),
  /**
   * When the current (or, after promotion or rollback, the last) rollout started: the time of
   * its `start` transition. The receiver drops alerts that began firing before it, because
   * Alertmanager re-sends alerts about an earlier rollout after a new one has started.
   * Null in states written before the field existed; such alerts cannot be judged and act.
   */
  rolloutStartedAt: z.iso.datetime().nullable().default(null),
  /**
   * Names the current (or last) rollout; set by `start`. Agents label every gate
   * input with it (`rollout_id`), gates are computed per rollout, and alerts carry
   * it, so the receiver and the controller act only on alerts about the rollout
   * now running. Null in states written before the field existed.
   */
  rolloutId: RolloutIdSchema.nullable().default(null),
  /** Appended to the session id before hashing; change it to reshuffle routing slots between rollouts. */
  salt: z.string().max(64).default(""),
  tenantOverrides: z.record(TenantNameSchema, TenantOverrideSchema).default({}),
  capabilities: z.record(CapabilityNameSchema, CapabilitySchema).default({}),
  /**
   * Gates an operator accepted while undecided (`rollout accept`): the controller advances
   * over them as if they passed. Only for the current rollout: `start` clears them. A gate
   * that fails still holds or rolls back, accepted or not.
   */
  acceptedGates: z.record(GateNameSchema, AcceptedGateSchema).default({}),
  updatedAt: z.iso.datetime(),
  lastTransition: TransitionSchema.nullable().default(null),
});
export type RolloutState = z.output<typeof RolloutStateSchema>;
export type RolloutStateInput = z.input<typeof RolloutStateSchema>;

/** An audit log entry: the transition plus the revisions it moved between. */
export const AuditEntrySchema = TransitionSchema.extend({
  deployment: DeploymentNameSchema,
  fromRevision: RevisionSchema.nullable(),
  toRevision: RevisionSchema,
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
