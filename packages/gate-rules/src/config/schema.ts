import { DeploymentNameSchema, GateNameSchema, SESSION_OUTCOMES, StageSchema } from "@agent-canary/conventions";
import { z } from "zod";
import { NotificationsSchema } from "../alertmanager/settings.js";
import { GATE_KINDS, RENAMED_KINDS } from "../gates/kinds.js";
import { DEFAULT_RUNBOOK_URL } from "../runbook/links.js";
import { DurationSchema, PositiveDurationSchema } from "./duration.js";
import { ByLabelSchema, MatcherSchema } from "./environment.js";

export const ACTIONS = ["hold", "rollback"] as const;
export const SEVERITIES = ["critical", "warning", "info"] as const;
export const COMPARISONS = ["ratio", "delta"] as const;
export const RISK_TIERS = ["low", "medium", "high", "critical"] as const;
export const PRESET_NAMES = ["recommended", "point-thresholds", "early-ratio-rollback"] as const;
/** Preset names earlier versions accepted, with the name of the same gates now. */
export const RENAMED_PRESETS: Readonly<Record<string, (typeof PRESET_NAMES)[number]>> = {
  "first-source": "point-thresholds",
  "second-source": "early-ratio-rollback",
};
export const EXPORT_MODES = ["prometheus", "otlp"] as const;

const ALPHA_RANGE = "alpha is a false-alarm probability above 0 and below 0.5, e.g. 0.01";
const PASS_ALPHA_RANGE = "passAlpha is the chance of passing a canary worse than the tolerance, above 0 and below 0.5, e.g. 0.05";
const PASS_BEFORE = "passBeforePercent is a canary percent above 0 and below 100, e.g. 25: the gate must pass before the canary gets more";

/**
 * Fields earlier versions accepted, with what to do instead; the loader reports
 * these in place of "unknown field".
 */
export const REMOVED_FIELDS: { readonly top: Readonly<Record<string, string>>; readonly gate: Readonly<Record<string, string>> } = {
  top: {
    horizon:
      "horizon was removed: the false-alarm budget now holds however long a rollout runs (each gate compares the rollout so far; beyond `lookback` every further span gets a shrinking share of alpha); delete horizon",
  },
  gate: {
    window:
      "window was removed: a gate compares everything its rollout did so far, time-matched per canary percent, up to the top-level `lookback` (default 7d); delete window, or set lookback to change the longest span",
  },
};

/** The new name of a renamed value; own keys only, so `toString` or `constructor` is no old name. */
function renamedTo<T>(table: Readonly<Record<string, T>>, input: unknown): T | undefined {
  return typeof input === "string" && Object.hasOwn(table, input) ? table[input] : undefined;
}

function presetError(issue: { input?: unknown }): string {
  const renamed = renamedTo(RENAMED_PRESETS, issue.input);
  if (renamed) return `preset ${String(issue.input)} was renamed ${renamed} (the same gates, named for what they do); write preset: ${renamed}`;
  return `preset must be one of ${PRESET_NAMES.join(", ")}`;
}

function kindError(issue: { input?: unknown }): string {
  const renamed = renamedTo(RENAMED_KINDS, issue.input);
  if (renamed) return `kind ${String(issue.input)} was renamed ${renamed}: it tests the mean per session (a p95 has no variance the counters could give); write kind: ${renamed}`;
  return `kind ${issue.input === undefined ? "is required, " : ""}must be one of ${GATE_KINDS.join(", ")}`;
}

/**
 * One gate as written by a user. Only `kind` is required: every other field
 * falls back to the recommended value for that kind (see presets.ts).
 */
export const GateInputSchema = z.strictObject({
  kind: z.enum(GATE_KINDS, { error: kindError }),
  name: GateNameSchema.optional(),
  comparison: z.enum(COMPARISONS, { error: "comparison must be ratio (canary / baseline) or delta (canary - baseline)" }).optional(),
  threshold: z
    .number({ error: "threshold must be a number, e.g. 1.2 for a ratio or 0.01 for a delta" })
    .min(0, "threshold is a tolerance, at least 0, e.g. 1.2 for a ratio or 0.01 for a delta")
    .optional(),
  // The type's message covers the whole-number check too (a check without its own message takes it).
  minSamples: z.number({ error: "minSamples must be a whole number of sessions per arm, e.g. 100" }).int().min(1, "minSamples is at least 1 session per arm").optional(),
  alpha: z.number({ error: ALPHA_RANGE }).gt(0, ALPHA_RANGE).lt(0.5, ALPHA_RANGE).optional(),
  /** This gate's chance of passing a canary that is worse than its tolerance; default the top-level passAlpha. */
  passAlpha: z.number({ error: PASS_ALPHA_RANGE }).gt(0, PASS_ALPHA_RANGE).lt(0.5, PASS_ALPHA_RANGE).optional(),
  /**
   * The gate must pass (show the canary not worse than its tolerance) before the
   * canary gets more than this percent; null makes it a fail-only guard.
   */
  passBeforePercent: z.number({ error: PASS_BEFORE }).gt(0, PASS_BEFORE).lt(100, PASS_BEFORE).nullable().optional(),
  for: DurationSchema.optional(),
  action: z.enum(ACTIONS, { error: "action must be hold or rollback" }).optional(),
  severity: z.enum(SEVERITIES, { error: `severity must be one of ${SEVERITIES.join(", ")}` }).optional(),
  /** Outcome-based rate gates only: which session outcomes count as events. */
  outcomes: z.array(z.string()).min(1, `outcomes lists the session outcomes that count, e.g. [failed]; allowed: ${SESSION_OUTCOMES.join(", ")}`).optional(),
  /**
   * always_valid (default): fail only when the data show the tolerance is exceeded,
   * at a confidence-sequence boundary. threshold_only: fail whenever the point
   * estimate crosses the threshold (how hand-written gate tables decide; weak).
   */
  method: z.enum(["always_valid", "threshold_only"], { error: "method must be always_valid or threshold_only" }).optional(),
  /**
   * Mixture scale of the always-valid boundary: sessions of information for the
   * mean and score tests, expected canary events for the count test.
   */
  rho: z.number({ error: "rho must be a positive number, e.g. 20" }).gt(0, "rho must be above 0, e.g. 20").optional(),
  description: z.string().optional(),
});
export type GateInput = z.infer<typeof GateInputSchema>;

export const RolloutPlanInputSchema = z.strictObject({
  tier: z.enum(RISK_TIERS, { error: `tier must be one of ${RISK_TIERS.join(", ")}` }).default("medium"),
  /** Replaces the tier's stages when given. */
  stages: z.array(StageSchema).min(1).optional(),
});

export const ReceiverSchema = z.strictObject({
  url: z.url({ error: "receiver.url must be an absolute URL such as http://agent-canary-receiver:8080" }).default("http://127.0.0.1:8080"),
  /** File holding the bearer token Alertmanager sends; Alertmanager reads it at send time. */
  credentialsFile: z.string().min(1).default("/etc/alertmanager/agent-canary-receiver-token"),
});

export const AlertmanagerSettingsSchema = z.strictObject({
  groupWait: DurationSchema.default("0s"),
  groupInterval: DurationSchema.default("30s"),
  repeatInterval: DurationSchema.default("1h"),
});

/**
 * The pre-deploy shadow gate: off unless the section is present (`shadow: {}`
 * takes every default). It holds a candidate whose answers drift from
 * production's before any canary starts; it never rolls back.
 */
export const ShadowGateSchema = z.strictObject({
  /** Mean similarity (0..1) the candidate must reach before it is deployed. */
  minSimilarity: z
    .number({ error: "minSimilarity must be a number in (0, 1], e.g. 0.9" })
    .gt(0, "minSimilarity must be above 0, e.g. 0.9")
    .max(1, "minSimilarity is a similarity, at most 1, e.g. 0.9")
    .default(0.9),
  /** Shadowed requests (finished comparisons) in the window before the gate can fire; 5,000 suits a low-traffic agent (a week of shadowing). */
  minRequests: z
    .number({ error: "minRequests must be a whole number of requests, e.g. 5000" })
    .int()
    .min(1, "minRequests is at least 1 request")
    .default(5000),
  window: PositiveDurationSchema.default("7d"),
});
export type ShadowGate = z.output<typeof ShadowGateSchema>;

export const GatesConfigInputSchema = z.strictObject({
  deployments: z
    .array(DeploymentNameSchema, { error: (issue) => (issue.input === undefined ? "required: list the deployments to gate, e.g. deployments: [support-agent]" : "must be a list of deployment names, e.g. [support-agent]") })
    .min(1, "list at least one deployment, e.g. deployments: [support-agent]"),
  export: z.enum(EXPORT_MODES, { error: "export must be prometheus (exporter-prometheus /metrics) or otlp (OTLP into Prometheus)" }).default("prometheus"),
  evaluationInterval: PositiveDurationSchema.default("1m"),
  preset: z.enum(PRESET_NAMES, { error: presetError }).default("recommended"),
  /** Probability of any false rollback or hold over the whole rollout, however long it runs, split over the gates without their own alpha. */
  alpha: z.number({ error: ALPHA_RANGE }).gt(0, ALPHA_RANGE).lt(0.5, ALPHA_RANGE).default(0.01),
  /** Each gate's chance of passing a canary worse than its tolerance (gates may override it). */
  passAlpha: z.number({ error: PASS_ALPHA_RANGE }).gt(0, PASS_ALPHA_RANGE).lt(0.5, PASS_ALPHA_RANGE).default(0.05),
  /** The longest span of a rollout the gates compare at once (bounded by the Prometheus retention of the recorded increments). */
  lookback: PositiveDurationSchema.default("7d"),
  /** Range of the rate() that turns the agents' counters into per-evaluation increments; at least 4 scrape intervals. */
  rateRange: PositiveDurationSchema.default("5m"),
  /** Label matchers added to every raw selector, e.g. ['namespace="prod"']. */
  matchers: z.array(MatcherSchema, { error: 'matchers is a list such as [namespace="prod"]' }).default([]),
  /** Labels kept apart in every aggregation and alert, e.g. [cluster]. */
  by: z.array(ByLabelSchema, { error: "by is a list of label names such as [cluster]" }).default([]),
  rollout: RolloutPlanInputSchema.prefault({}),
  gates: z.array(GateInputSchema).optional(),
  receiver: ReceiverSchema.prefault({}),
  alertmanager: AlertmanagerSettingsSchema.prefault({}),
  /** Who hears about gate alerts besides the receiver (src/alertmanager/settings.ts). */
  notifications: NotificationsSchema.prefault({}),
  runbookBaseUrl: z.url().default(DEFAULT_RUNBOOK_URL),
  /** Grafana datasource uid the Grafana alert rules query. */
  grafanaDatasourceUid: z.string().min(1).default("prometheus"),
  /** Optional pre-deploy shadow gate; absent means no shadow rules and no shadow panels. */
  shadow: ShadowGateSchema.optional(),
});
export type GatesConfigInput = z.input<typeof GatesConfigInputSchema>;
export type ParsedGatesConfigInput = z.output<typeof GatesConfigInputSchema>;
