import { SESSION_OUTCOMES, type SessionOutcome } from "@agent-canary/conventions";
import type { Stage } from "@agent-canary/conventions";
import { KIND_SPECS, type GateKind } from "../gates/kinds.js";
import { durationSeconds } from "./duration.js";
import { kindDefaults, PRESETS, ROLLOUT_PLANS, type PresetName, type RiskTier } from "./presets.js";
import type { ACTIONS, COMPARISONS, EXPORT_MODES, GateInput, ParsedGatesConfigInput, SEVERITIES, ShadowGate } from "./schema.js";

export type GateMethod = "always_valid" | "threshold_only";

/** A gate with every field decided: what the evaluator and the generators work from. */
export interface Gate {
  readonly name: string;
  readonly kind: GateKind;
  readonly comparison: (typeof COMPARISONS)[number];
  readonly threshold: number;
  readonly window: string;
  readonly windowSeconds: number;
  readonly minSamples: number;
  /** This gate's share of the false-alarm budget over the whole horizon. */
  readonly alpha: number;
  /** The false-alarm level of one window: alpha split over the windows that fit in the horizon. */
  readonly windowAlpha: number;
  readonly rho: number;
  readonly method: GateMethod;
  readonly for: string;
  readonly forSeconds: number;
  readonly action: (typeof ACTIONS)[number];
  readonly severity: (typeof SEVERITIES)[number];
  readonly outcomes: readonly SessionOutcome[] | undefined;
  readonly description: string | undefined;
}

export interface GatesConfig {
  readonly deployments: readonly string[];
  readonly export: (typeof EXPORT_MODES)[number];
  readonly evaluationInterval: string;
  readonly evaluationSeconds: number;
  readonly preset: PresetName;
  readonly alpha: number;
  readonly horizonSeconds: number;
  readonly rollout: { readonly tier: RiskTier; readonly stages: readonly Stage[] };
  readonly gates: readonly Gate[];
  readonly receiver: ParsedGatesConfigInput["receiver"];
  readonly alertmanager: ParsedGatesConfigInput["alertmanager"];
  readonly notifications: ParsedGatesConfigInput["notifications"];
  readonly runbookBaseUrl: string;
  readonly grafanaDatasourceUid: string;
  /** The pre-deploy shadow gate, when configured. */
  readonly shadow: ShadowGate | undefined;
}

/** A problem found after the shape is valid: where (a path into the input) and what to do. */
export interface ConfigIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Preset gates, replaced by name (or kind) by the user's gates, in the user's order after the preset's. */
function mergeGates(preset: PresetName, gates: readonly GateInput[] | undefined): { input: GateInput; index: number | undefined }[] {
  const merged: { input: GateInput; index: number | undefined }[] = PRESETS[preset].map((g) => ({ input: { ...g }, index: undefined }));
  gates?.forEach((gate, index) => {
    const name = gate.name ?? gate.kind;
    const at = merged.findIndex((m) => (m.input.name ?? m.input.kind) === name);
    if (at >= 0) merged[at] = { input: { ...merged[at]?.input, ...gate }, index };
    else merged.push({ input: gate, index });
  });
  return merged;
}

function thresholdIssue(kind: GateKind, comparison: string, threshold: number): string | undefined {
  const harm = KIND_SPECS[kind].harm;
  if (comparison === "delta") return undefined;
  if (harm === "higher" && threshold < 1) return `a ratio threshold for ${kind} (higher is worse) is at least 1, e.g. 1.2 allows 20% more`;
  if (harm === "lower" && (threshold <= 0 || threshold > 1)) return `a ratio threshold for ${kind} (lower is worse) is in (0, 1], e.g. 0.95 allows 5% less`;
  return undefined;
}

/**
 * A gate that switches comparison without its own threshold would inherit a
 * number meant for the other scale (judge_quality's delta 0.05 read as a ratio
 * lets the canary score 95% lower), so it must say what it tolerates.
 */
function inheritedThresholdIssue(preset: PresetName, user: GateInput | undefined): string | undefined {
  if (!user?.comparison || user.threshold !== undefined) return undefined;
  const replaced = PRESETS[preset].find((g) => g.name === (user.name ?? user.kind)) ?? kindDefaults(user.kind);
  if (replaced.comparison === user.comparison) return undefined;
  return `comparison: ${user.comparison} needs its own threshold (the default ${replaced.threshold} is a ${replaced.comparison}); e.g. ${user.comparison === "ratio" ? "1.2 for a ratio" : "0.01 for a delta"}`;
}

function outcomesIssue(kind: GateKind, outcomes: readonly string[] | undefined): string | undefined {
  if (!outcomes) return undefined;
  const spec = KIND_SPECS[kind];
  if (spec.family !== "rate" || !("outcomes" in spec.events)) return `outcomes applies only to error_rate and task_completion_rate, not ${kind}`;
  const bad = outcomes.filter((o) => !(SESSION_OUTCOMES as readonly string[]).includes(o));
  return bad.length ? `unknown outcome ${bad.join(", ")}; allowed: ${SESSION_OUTCOMES.join(", ")}` : undefined;
}

function resolveGate(input: GateInput, alpha: number, horizonSeconds: number): Gate {
  const d = kindDefaults(input.kind);
  const windowSeconds = durationSeconds(input.window ?? d.window);
  const minSamples = input.minSamples ?? d.minSamples;
  const forText = input.for ?? d.for;
  return {
    name: input.name ?? input.kind,
    kind: input.kind,
    comparison: input.comparison ?? d.comparison,
    threshold: input.threshold ?? d.threshold,
    window: input.window ?? d.window,
    windowSeconds,
    minSamples,
    alpha,
    // Bonferroni over the windows that fit in the horizon: each disjoint window is a fresh chance.
    windowAlpha: alpha * Math.min(1, windowSeconds / horizonSeconds),
    rho: input.rho ?? minSamples,
    method: input.method ?? "always_valid",
    for: forText,
    forSeconds: durationSeconds(forText),
    action: input.action ?? d.action,
    severity: input.severity ?? d.severity,
    outcomes: input.outcomes as SessionOutcome[] | undefined,
    description: input.description,
  };
}

/** The plan's time below 100%: how long gates compare canary with baseline. */
export function planSeconds(stages: readonly Stage[]): number {
  return stages.filter((s) => s.percent < 100).reduce((sum, s) => sum + s.minDurationSeconds, 0);
}

/** Turns a shape-valid input into the config the generators use, or lists what is wrong. */
export function resolveConfig(input: ParsedGatesConfigInput): { config: GatesConfig } | { issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const stages = input.rollout.stages ?? ROLLOUT_PLANS[input.rollout.tier];
  const horizonSeconds = input.horizon ? durationSeconds(input.horizon) : Math.max(planSeconds(stages), 3600);
  const merged = mergeGates(input.preset, input.gates);
  const explicitAlpha = merged.reduce((sum, m) => sum + (m.input.alpha ?? 0), 0);
  const withoutAlpha = merged.filter((m) => m.input.alpha === undefined).length;
  const shared = withoutAlpha ? (input.alpha - explicitAlpha) / withoutAlpha : 0;
  if (withoutAlpha && shared <= 0) {
    issues.push({ path: ["alpha"], message: `the gates' own alpha values add up to ${explicitAlpha}, leaving nothing of alpha ${input.alpha} for the others; raise alpha or lower the gates' values` });
  }
  const seen = new Map<string, number>();
  const gates = merged.map(({ input: g, index }) => {
    const at = (field: string): (string | number)[] => (index === undefined ? ["preset"] : ["gates", index, field]);
    const gate = resolveGate(g, g.alpha ?? shared, horizonSeconds);
    const tIssue = thresholdIssue(gate.kind, gate.comparison, gate.threshold);
    if (tIssue) issues.push({ path: at("threshold"), message: tIssue });
    const iIssue = inheritedThresholdIssue(input.preset, index === undefined ? undefined : input.gates?.[index]);
    if (iIssue) issues.push({ path: at("comparison"), message: iIssue });
    const oIssue = outcomesIssue(gate.kind, gate.outcomes);
    if (oIssue) issues.push({ path: at("outcomes"), message: oIssue });
    if (seen.has(gate.name)) issues.push({ path: at("name"), message: `two gates are named "${gate.name}"; give each gate of the same kind its own name` });
    seen.set(gate.name, 1);
    return gate;
  });
  if (stages.at(-1)?.percent !== 100) issues.push({ path: ["rollout", "stages"], message: "the last stage must be percent: 100 (promotion)" });
  if (issues.length) return { issues };
  return {
    config: {
      deployments: input.deployments,
      export: input.export,
      evaluationInterval: input.evaluationInterval,
      evaluationSeconds: durationSeconds(input.evaluationInterval),
      preset: input.preset,
      alpha: input.alpha,
      horizonSeconds,
      rollout: { tier: input.rollout.tier, stages },
      gates,
      receiver: input.receiver,
      alertmanager: input.alertmanager,
      notifications: input.notifications,
      runbookBaseUrl: input.runbookBaseUrl,
      grafanaDatasourceUid: input.grafanaDatasourceUid,
      shadow: input.shadow,
    },
  };
}

