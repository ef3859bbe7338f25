import {
  canaryPercentLabel,
  GATE_QUANTITIES,
  GATED_ASSIGNMENT,
  logCost,
  SESSION_OUTCOMES,
  type Assignment,
  type GateQuantity,
  type SessionOutcome,
  type VersionGroup,
} from "@agent-canary/conventions";
import type { Gate } from "../config/resolve.js";
import { KIND_SPECS } from "../gates/kinds.js";
import type { ArmTotals, FormulaInput, StratumTotals } from "./formula/compile.js";

/** Count, sum and sum of squares of a per-session quantity: agent_canary_gate_{observations,value,value_squared}_total. */
export interface Moments {
  count: number;
  sum: number;
  sumSquares: number;
}

/** What one arm did in one stratum: the numbers the gate-input counters give. */
export interface ArmStats {
  /** Sessions ended, all outcomes. */
  sessions: number;
  outcomes: Partial<Record<SessionOutcome, number>>;
  loopingSessions: number;
  unsafeSessions: number;
  quantities: Record<GateQuantity, Moments>;
}

/**
 * The sessions of one rollout routed at one canary percent (the `canary_percent`
 * label), by arm. Within a stratum both arms saw the same hours of traffic.
 */
export interface Stratum {
  canaryPercent: string;
  canary: ArmStats;
  baseline: ArmStats;
}

/** A session as the instrumentation records it at session end. */
export interface SessionRecord {
  group: VersionGroup;
  outcome: SessionOutcome;
  /** USD; undefined when a call was unpriced or no LLM call was observed (unknown, not zero). */
  costUsd?: number | undefined;
  /** LLM calls; undefined when no call was observed. */
  turns?: number | undefined;
  durationSeconds: number;
  /** The loop detector tripped at least once. */
  looped: boolean;
  /** At least one safety violation. */
  unsafe: boolean;
  /** Judge score in [0, 1] when the session was scored. */
  qualityScore?: number | undefined;
  /** The canary percent in force when the session was routed; undefined puts every session in one stratum. */
  canaryPercent?: number | undefined;
  /** How the session's group was chosen; only `split` sessions enter the gates. Default split. */
  assignment?: Assignment | undefined;
}

const emptyMoments = (): Moments => ({ count: 0, sum: 0, sumSquares: 0 });

export function emptyArm(): ArmStats {
  const quantities = {} as Record<GateQuantity, Moments>;
  for (const q of GATE_QUANTITIES) quantities[q] = emptyMoments();
  return { sessions: 0, outcomes: {}, loopingSessions: 0, unsafeSessions: 0, quantities };
}

function observe(m: Moments, value: number | undefined): void {
  if (value === undefined || !Number.isFinite(value)) return;
  m.count += 1;
  m.sum += value;
  m.sumSquares += value * value;
}

/** Adds one ended session to an arm, exactly as the gate-input counters count it. */
export function addSession(arm: ArmStats, s: SessionRecord): void {
  if (!(SESSION_OUTCOMES as readonly string[]).includes(s.outcome)) throw new Error(`session outcome "${s.outcome}" is not one of ${SESSION_OUTCOMES.join(", ")}`);
  arm.sessions += 1;
  arm.outcomes[s.outcome] = (arm.outcomes[s.outcome] ?? 0) + 1;
  if (s.looped) arm.loopingSessions += 1;
  if (s.unsafe) arm.unsafeSessions += 1;
  observe(arm.quantities.cost, s.costUsd);
  observe(arm.quantities.log_cost, s.costUsd === undefined ? undefined : logCost(s.costUsd));
  observe(arm.quantities.turns, s.turns);
  observe(arm.quantities.duration, s.durationSeconds);
  observe(arm.quantities.quality, s.qualityScore);
}

/** into += factor × from, field by field (windows, smoothing, and merging pods all add arms). */
export function addArm(into: ArmStats, from: ArmStats, factor = 1): void {
  into.sessions += factor * from.sessions;
  into.loopingSessions += factor * from.loopingSessions;
  into.unsafeSessions += factor * from.unsafeSessions;
  for (const [outcome, count] of Object.entries(from.outcomes) as [SessionOutcome, number][]) {
    into.outcomes[outcome] = (into.outcomes[outcome] ?? 0) + factor * count;
  }
  for (const q of GATE_QUANTITIES) {
    into.quantities[q].count += factor * from.quantities[q].count;
    into.quantities[q].sum += factor * from.quantities[q].sum;
    into.quantities[q].sumSquares += factor * from.quantities[q].sumSquares;
  }
}

/** The label of a record's stratum: its canary percent, or "all" when the percent is not known. */
export function stratumLabel(record: Pick<SessionRecord, "canaryPercent">): string {
  return record.canaryPercent === undefined ? "all" : canaryPercentLabel(record.canaryPercent);
}

/** The strata of raw session records (the embedded mode has no Prometheus); sessions not split at random stay out. */
export function strataFromSessions(records: Iterable<SessionRecord>): Stratum[] {
  const strata = new Map<string, Stratum>();
  for (const record of records) {
    if ((record.assignment ?? GATED_ASSIGNMENT) !== GATED_ASSIGNMENT) continue;
    const label = stratumLabel(record);
    let stratum = strata.get(label);
    if (!stratum) {
      stratum = { canaryPercent: label, canary: emptyArm(), baseline: emptyArm() };
      strata.set(label, stratum);
    }
    addSession(stratum[record.group], record);
  }
  return [...strata.values()];
}

/** Events a rate gate counts in one arm. */
export function rateEvents(gate: Gate, arm: ArmStats): number {
  const spec = KIND_SPECS[gate.kind];
  if (spec.family !== "rate") throw new Error(`internal: ${gate.kind} is not a rate gate`);
  if ("metric" in spec.events) return spec.events.metric === "loopingSessions" ? arm.loopingSessions : arm.unsafeSessions;
  const outcomes: readonly SessionOutcome[] = gate.outcomes ?? spec.events.outcomes;
  return outcomes.reduce((sum, o) => sum + (arm.outcomes[o] ?? 0), 0);
}

/** One arm's totals as a gate reads them: samples, events (rates) or Σx and Σx² (means). */
export function gateTotals(gate: Gate, arm: ArmStats): ArmTotals {
  const spec = KIND_SPECS[gate.kind];
  if (spec.family === "rate") return { n: arm.sessions, x: rateEvents(gate, arm), s: 0, q: 0 };
  const m = arm.quantities[spec.quantity];
  return { n: m.count, x: 0, s: m.sum, q: m.sumSquares };
}

/** A gate's formula input from strata of arm stats. */
export function formulaInput(gate: Gate, strata: readonly Stratum[], span = 1): FormulaInput {
  const totals: StratumTotals[] = strata.map((s) => ({ canary: gateTotals(gate, s.canary), baseline: gateTotals(gate, s.baseline) }));
  return { strata: totals, span };
}
