import { SESSION_OUTCOMES, type SessionOutcome } from "@agent-canary/conventions";
import type { Stage } from "@agent-canary/conventions";
import { KIND_SPECS, testOf, type GateKind, type GateTest } from "../gates/kinds.js";
import { durationSeconds } from "./duration.js";
import type { Environment } from "./environment.js";
import { kindDefaults, PRESETS, ROLLOUT_PLANS, type PresetName, type RiskTier } from "./presets.js";
import type { ACTIONS, COMPARISONS, EXPORT_MODES, GateInput, ParsedGatesConfigInput, SEVERITIES, ShadowGate } from "./schema.js";

export type GateMethod = "always_valid" | "threshold_only";

/** Default mixture scale per test when neither the user nor the preset gives one (STATISTICS.md, "Tuning"). */
export const DEFAULT_RHO: Record<GateTest, number> = { mean: 20, score: 20, count: 2 };

/** A gate with every field decided: what the evaluator and the generators work from. */
export interface Gate {
  readonly name: string;
  readonly kind: GateKind;
  readonly comparison: (typeof COMPARISONS)[number];
  readonly threshold: number;
  /** Which test the gate runs, from its kind, comparison and method. */
  readonly test: GateTest;
  /** Sessions each arm needs (over the strata both arms share) before the gate has a statistic. */
  readonly minSamples: number;
  /** This gate's share of the false-alarm budget over a whole rollout, however long it runs. */
  readonly alpha: number;
  /** This gate's chance of passing a canary worse than its tolerance, over a whole rollout. */
  readonly passAlpha: number;
  /** The gate must pass before the canary gets more than this percent; undefined: a fail-only guard. */
  readonly passBeforePercent: number | undefined;
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
  readonly passAlpha: number;
  /** The longest span of a rollout a gate compares at once. */
  readonly lookback: string;
  readonly lookbackSeconds: number;
  /** Range of the rate() that turns counters into per-evaluation increments. */
  readonly rateRange: string;
  readonly rateRangeSeconds: number;
  readonly environment: Environment;
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

/** A gate after merging: its fields, and the user's gate (as written, at gates[index]) it came from, if any. */
interface MergedGate {
  readonly input: GateInput;
  readonly user: { readonly gate: GateInput; readonly index: number } | undefined;
}

/**
 * Preset gates, replaced by name (or kind) by the user's gates, in the user's order after the preset's.
 * A user gate replaces a preset gate only, never another user gate: two user gates of one name
 * both stay, so the duplicate-name check sees them instead of one silently absorbing the other.
 */
function mergeGates(preset: PresetName, gates: readonly GateInput[] | undefined): MergedGate[] {
  const merged: MergedGate[] = PRESETS[preset].map((g) => ({ input: { ...g }, user: undefined }));
  gates?.forEach((gate, index) => {
    const name = gate.name ?? gate.kind;
    const at = merged.findIndex((m) => m.user === undefined && (m.input.name ?? m.input.kind) === name);
    if (at >= 0) merged[at] = { input: { ...merged[at]?.input, ...gate }, user: { gate, index } };
    else merged.push({ input: gate, user: { gate, index } });
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
function inheritedThresholdIssue(preset: PresetName, user: GateInput): string | undefined {
  if (!user.comparison || user.threshold !== undefined) return undefined;
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

/** A gate whose tolerance is zero cannot be shown "not worse": it can only fail. */
function passIssue(gate: Gate): string | undefined {
  if (gate.passBeforePercent === undefined) return undefined;
  const zero = gate.comparison === "ratio" ? gate.threshold === 1 : gate.threshold === 0;
  if (!zero) return undefined;
  return `a gate with a tolerance of ${gate.threshold} (${gate.comparison}) can never be shown "not worse" than its baseline, so it cannot be required to pass; set passBeforePercent: null (a fail-only guard) or give it a tolerance`;
}

function comparisonIssue(kind: GateKind, comparison: string): string | undefined {
  const spec = KIND_SPECS[kind];
  if (spec.family === "mean" && spec.scale === "log" && comparison !== "ratio") return `${kind} compares geometric means: its comparison is ratio (e.g. threshold 1.25), not ${comparison}`;
  return undefined;
}

function resolveGate(input: GateInput, alpha: number, passAlpha: number): Gate {
  const d = kindDefaults(input.kind);
  const forText = input.for ?? d.for;
  const comparison = input.comparison ?? d.comparison;
  const threshold = input.threshold ?? d.threshold;
  const method = input.method ?? "always_valid";
  const test = testOf(input.kind, comparison, threshold, method);
  // A preset gate of another kind's defaults must not lend its rho to a test of another family.
  const presetRho = input.kind === d.kind && testOf(d.kind, d.comparison, d.threshold, "always_valid") === test ? d.rho : undefined;
  const passBefore = input.passBeforePercent === undefined ? d.passBeforePercent : input.passBeforePercent;
  return {
    name: input.name ?? input.kind,
    kind: input.kind,
    comparison,
    threshold,
    test,
    minSamples: input.minSamples ?? d.minSamples,
    alpha,
    passAlpha: input.passAlpha ?? passAlpha,
    passBeforePercent: passBefore ?? undefined,
    rho: input.rho ?? presetRho ?? DEFAULT_RHO[test],
    method,
    for: forText,
    forSeconds: durationSeconds(forText),
    action: input.action ?? d.action,
    severity: input.severity ?? d.severity,
    outcomes: input.outcomes as SessionOutcome[] | undefined,
    description: input.description,
  };
}

/** What is wrong with one of the user's gates once merged and resolved, at its path; `names` holds the gates before it. */
function userGateIssues(preset: PresetName, user: NonNullable<MergedGate["user"]>, gate: Gate, names: ReadonlySet<string>): ConfigIssue[] {
  const checks: [string, string | undefined][] = [
    ["threshold", thresholdIssue(gate.kind, gate.comparison, gate.threshold)],
    ["comparison", inheritedThresholdIssue(preset, user.gate) ?? comparisonIssue(gate.kind, gate.comparison)],
    ["outcomes", outcomesIssue(gate.kind, gate.outcomes)],
    ["passBeforePercent", passIssue(gate)],
    ["name", names.has(gate.name) ? `two gates are named "${gate.name}"; give each gate its own name (a gate without one is named after its kind)` : undefined],
  ];
  return checks.flatMap(([field, message]) => (message ? [{ path: ["gates", user.index, field], message }] : []));
}

/** Ranges the rules need to make sense: increments cover every evaluation, the look-back holds several increments. */
function rangeIssues(input: ParsedGatesConfigInput): ConfigIssue[] {
  const evaluation = durationSeconds(input.evaluationInterval);
  const rate = durationSeconds(input.rateRange);
  const lookback = durationSeconds(input.lookback);
  const issues: ConfigIssue[] = [];
  if (rate < evaluation) issues.push({ path: ["rateRange"], message: `rateRange ${input.rateRange} is shorter than evaluationInterval ${input.evaluationInterval}: sessions between evaluations would be lost; use at least 4 scrape intervals, e.g. 5m` });
  if (lookback < 3600 || lookback <= rate) issues.push({ path: ["lookback"], message: `lookback ${input.lookback} must be at least 1h and longer than rateRange; e.g. 7d (keep it within the Prometheus retention)` });
  return issues;
}

/** The plan's time below 100%: how long gates compare canary with baseline. */
export function planSeconds(stages: readonly Stage[]): number {
  return stages.filter((s) => s.percent < 100).reduce((sum, s) => sum + s.minDurationSeconds, 0);
}

/** Turns a shape-valid input into the config the generators use, or lists what is wrong. */
export function resolveConfig(input: ParsedGatesConfigInput): { config: GatesConfig } | { issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = rangeIssues(input);
  const stages = input.rollout.stages ?? ROLLOUT_PLANS[input.rollout.tier];
  const merged = mergeGates(input.preset, input.gates);
  const explicitAlpha = merged.reduce((sum, m) => sum + (m.input.alpha ?? 0), 0);
  const withoutAlpha = merged.filter((m) => m.input.alpha === undefined).length;
  const shared = withoutAlpha ? (input.alpha - explicitAlpha) / withoutAlpha : 0;
  if (withoutAlpha && shared <= 0) {
    issues.push({ path: ["alpha"], message: `the gates' own alpha values add up to ${explicitAlpha}, leaving nothing of alpha ${input.alpha} for the others; raise alpha or lower the gates' values` });
  }
  const names = new Set<string>();
  const gates = merged.map(({ input: g, user }) => {
    const gate = resolveGate(g, g.alpha ?? shared, input.passAlpha);
    // Preset gates are valid as shipped (the config tests resolve every preset), so a
    // problem is always in one of the user's gates and is reported at its path.
    if (user) issues.push(...userGateIssues(input.preset, user, gate, names));
    names.add(gate.name);
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
      passAlpha: input.passAlpha,
      lookback: input.lookback,
      lookbackSeconds: durationSeconds(input.lookback),
      rateRange: input.rateRange,
      rateRangeSeconds: durationSeconds(input.rateRange),
      environment: { matchers: input.matchers, by: input.by },
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
