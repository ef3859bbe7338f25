import { decidingTime, KIND_SPECS, type GatesConfig } from "@agent-canary/gate-rules";
import type { RolloutState } from "@agent-canary/rollout-state";
import { requiredBefore } from "./evidence.js";
import type { GateVerdictReport } from "./gate-source.js";

/** How long one required gate still needs to pass an identical canary at the traffic measured this stage. */
export interface GateOutlook {
  gate: string;
  passBeforePercent: number;
  /** More canary sessions it needs (beyond those it has); Infinity: never at this split. */
  canarySessions: number;
  /** Hours at the traffic measured this stage, split at `atPercent`; Infinity: never. */
  hours: number;
  /** The canary percent the gate will be judged at: the plan's last stage at or below its passBeforePercent. */
  atPercent: number;
  /** False when it cannot pass within the limit: the rollout would wait for evidence that will not come. */
  decidable: boolean;
  message: string;
}

export interface OutlookInput {
  config: GatesConfig;
  state: RolloutState;
  verdicts: readonly GateVerdictReport[];
  sessions: { baseline: number; canary: number };
  elapsedSeconds: number;
  /** Beyond this many hours a gate is reported as unable to decide; default the config's look-back. */
  limitHours?: number;
}

function hoursText(hours: number): string {
  if (!Number.isFinite(hours)) return "never";
  return hours >= 48 ? `${(hours / 24).toFixed(1)} days` : `${hours.toFixed(1)} h`;
}

/** The baseline moments decidingTime needs, or why there are none: mean gates need a variance, which the source may not give. */
function momentsOf(v: GateVerdictReport, kind: keyof typeof KIND_SPECS): { mean: number; variance?: number } | string {
  if (!v.baseline) return "the gate source gives no baseline estimate yet";
  const spec = KIND_SPECS[kind];
  if (spec.family === "mean" && v.baseline.variance === undefined) return "the gate source gives no baseline variance";
  return v.baseline;
}

/**
 * For every gate that must still pass before the canary's last step (undecided,
 * not accepted), the canary sessions and hours it needs at the traffic measured
 * this stage, split as it will be when the gate must pass, from gate-rules' decidingTime (the median path: half of real
 * rollouts decide sooner). A gate beyond the limit is reported as unable to
 * decide, so the operator can raise traffic, lengthen the plan or accept it
 * instead of waiting in silence.
 */
/** The percent a gate has to pass at: the highest stage it may reach unproven (never below the current percent). */
function judgedAt(state: RolloutState, passBeforePercent: number): number {
  const reachable = state.stages.map((s) => s.percent).filter((p) => p <= passBeforePercent);
  return Math.max(state.canaryPercent, ...reachable);
}

export function evidenceOutlook(input: OutlookInput): GateOutlook[] {
  const { config, state, sessions } = input;
  const hours = input.elapsedSeconds / 3600;
  if (!(hours > 0)) return [];
  // Sessions per hour of the whole deployment, then split as the plan will split them when the gate must pass.
  const perHour = (sessions.canary + sessions.baseline) / hours;
  const limit = input.limitHours ?? config.lookbackSeconds / 3600;
  const outlook: GateOutlook[] = [];
  for (const v of input.verdicts) {
    const gate = config.gates.find((g) => g.name === v.gate);
    if (!gate || v.passBeforePercent === null || !requiredBefore(v, 100) || v.verdict !== "undecided" || Object.hasOwn(state.acceptedGates, v.gate)) continue;
    const moments = momentsOf(v, gate.kind);
    if (typeof moments === "string") continue;
    const atPercent = judgedAt(state, v.passBeforePercent);
    const traffic = { canaryPerHour: (perHour * atPercent) / 100, baselinePerHour: (perHour * (100 - atPercent)) / 100 };
    const planned = decidingTime(gate, traffic, moments, { outcome: "passing" });
    const remaining = Math.max(0, planned.canarySessions - (v.samples?.canary ?? 0));
    const remainingHours = Number.isFinite(remaining) && traffic.canaryPerHour > 0 ? remaining / traffic.canaryPerHour : Number.POSITIVE_INFINITY;
    const decidable = remainingHours <= limit;
    const needs = Number.isFinite(remaining)
      ? `needs ~${Math.ceil(remaining)} more canary sessions, ~${hoursText(remainingHours)} at current traffic split at ${atPercent}% (${traffic.canaryPerHour.toFixed(1)} canary sessions/h)`
      : `at ${atPercent}% of current traffic ${planned.reason}`;
    outlook.push({
      gate: v.gate,
      passBeforePercent: v.passBeforePercent,
      atPercent,
      canarySessions: remaining,
      hours: remainingHours,
      decidable,
      message: decidable
        ? `gate ${v.gate} should pass in time: ${needs}`
        : `gate ${v.gate} cannot decide at this traffic within ${hoursText(limit)}: ${needs}; raise traffic, lengthen the plan or accept it (agent-canary rollout accept --deployment ${state.deployment} --gate ${v.gate} --reason ...)`,
    });
  }
  return outlook;
}
