import type { RolloutState } from "@agent-canary/rollout-state";
import type { FiringGate, GateReport, GateVerdictReport } from "./gate-source.js";

/** A report narrowed to the rollout in progress, with what was left out and why. */
export interface ScopedReport {
  firing: FiringGate[];
  pending: FiringGate[];
  verdicts: GateVerdictReport[];
  /** One line per alert or verdict set about another rollout, for the log. */
  ignored: string[];
}

/** An alert without a rollout_id cannot be placed: it acts, as alerts did before rollouts had ids. */
function aboutThisRollout(gate: FiringGate, rolloutId: string | null): boolean {
  return gate.rolloutId === undefined || rolloutId === null || gate.rolloutId === rolloutId;
}

/**
 * Keeps only what is about the rollout now running: alerts of an earlier
 * rollout (still firing for a window after it ended) must neither roll back nor
 * hold the new canary, and verdicts of another rollout prove nothing about it.
 */
export function scopeReport(state: RolloutState, report: GateReport): ScopedReport {
  const ignored: string[] = [];
  const keep = (gates: FiringGate[] | undefined) =>
    (gates ?? []).filter((g) => {
      if (aboutThisRollout(g, state.rolloutId)) return true;
      ignored.push(`alert ${g.name} is about rollout ${g.rolloutId ?? "?"}, not ${state.rolloutId ?? "?"}`);
      return false;
    });
  const otherRollout = report.rolloutId != null && state.rolloutId !== null && report.rolloutId !== state.rolloutId;
  if (otherRollout) ignored.push(`verdicts are about rollout ${report.rolloutId ?? "?"}, not ${state.rolloutId ?? "?"}: every gate counts as undecided`);
  const verdicts = otherRollout ? report.verdicts.map((v) => ({ ...v, verdict: "undecided" as const, reason: "verdicts about another rollout" })) : report.verdicts;
  return { firing: keep(report.firing), pending: keep(report.pending), verdicts, ignored };
}

/** The canary percent the next step gives: the next stage's, or 100 when the last stage ends (promotion). */
export function nextPercent(state: RolloutState): number {
  const next = state.stages[(state.stage ?? 0) + 1];
  return next?.percent ?? 100;
}

/** A gate is required to pass before the canary gets more than its passBeforePercent. */
export function requiredBefore(verdict: GateVerdictReport, percent: number): boolean {
  return verdict.passBeforePercent !== null && percent > verdict.passBeforePercent;
}

/** Why one gate is not passing, for logs and `rollout status`. */
function notPassingText(v: GateVerdictReport): string {
  const samples = v.samples && v.minSamples !== undefined ? ` (${Math.round(v.samples.canary)}/${v.minSamples} canary samples)` : "";
  return `${v.gate} ${v.verdict}${samples}`;
}

/**
 * Why the evidence forbids the next step, or [] when it allows it: a failing
 * gate (pending or not) blocks every step; a gate required before the next
 * percent must be passing, unless the operator accepted it for this rollout.
 */
export function evidenceMissing(state: RolloutState, scoped: ScopedReport): string[] {
  const reasons: string[] = [];
  if (scoped.pending.length > 0) reasons.push(`gates pending: ${scoped.pending.map((g) => g.name).join(", ")}`);
  const failing = scoped.verdicts.filter((v) => v.verdict === "failing");
  if (failing.length > 0) reasons.push(`gates failing: ${failing.map((v) => v.gate).join(", ")}`);
  const percent = nextPercent(state);
  const unproven = scoped.verdicts.filter((v) => requiredBefore(v, percent) && v.verdict === "undecided" && !Object.hasOwn(state.acceptedGates, v.gate));
  if (unproven.length > 0) {
    reasons.push(`gates not yet passing before ${percent}%: ${unproven.map(notPassingText).join(", ")} (wait for evidence, or \`agent-canary rollout accept --gate <name>\`)`);
  }
  return reasons;
}

/** Per gate, what it said this stage: kept in the stage record. */
export function verdictSummary(state: RolloutState, verdicts: readonly GateVerdictReport[]): Record<string, { verdict: string; accepted?: true; value?: number }> {
  const summary: Record<string, { verdict: string; accepted?: true; value?: number }> = {};
  for (const v of verdicts) {
    summary[v.gate] = { verdict: v.verdict, ...(Object.hasOwn(state.acceptedGates, v.gate) ? { accepted: true as const } : {}), ...(v.value === undefined ? {} : { value: v.value }) };
  }
  return summary;
}

/** Why the stage cannot end yet, or [] when it can. 0% and 100% stages have one arm only. */
export function unmetMinimums(state: RolloutState, report: GateReport, elapsedSeconds: number): string[] {
  const stage = state.stages[state.stage ?? -1];
  if (!stage) return [`stage ${String(state.stage)} is not in the plan`];
  const unmet: string[] = [];
  if (elapsedSeconds < stage.minDurationSeconds) {
    // At 100% there is no baseline arm: the gates keep their verdicts from earlier stages and the alerts still act.
    const what = stage.percent >= 100 ? "stability period at 100% (no baseline arm: watching the alerts and the canary)" : "duration";
    unmet.push(`${what} ${Math.floor(elapsedSeconds)}s of ${stage.minDurationSeconds}s`);
  }
  if (stage.percent > 0 && report.sessions.canary < stage.minSessionsPerArm) unmet.push(`canary sessions ${report.sessions.canary} of ${stage.minSessionsPerArm}`);
  if (stage.percent < 100 && report.sessions.baseline < stage.minSessionsPerArm) unmet.push(`baseline sessions ${report.sessions.baseline} of ${stage.minSessionsPerArm}`);
  return unmet;
}

