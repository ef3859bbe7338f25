import { GATE_QUANTITIES, GATED_ASSIGNMENT, logCost, SESSION_OUTCOMES, type Assignment, type VersionGroup } from "@agent-canary/conventions";
import type { Gate } from "../../config/resolve.js";
import { KIND_SPECS } from "../../gates/kinds.js";
import { emptyArm, stratumLabel, type ArmStats, type SessionRecord, type Stratum } from "../arms.js";
import type { ArmTotals, FormulaInput } from "../formula/compile.js";

/**
 * One arm's counters as a flat vector (sessions, each outcome, looping, unsafe,
 * then count, sum and sum of squares of each quantity): the series the agent
 * exports for one stratum and arm, in the order of this layout.
 */
const OUTCOME_AT = new Map(SESSION_OUTCOMES.map((o, i) => [o, 1 + i]));
const LOOPING = 1 + SESSION_OUTCOMES.length;
const UNSAFE = LOOPING + 1;
const QUANTITY_AT = new Map(GATE_QUANTITIES.map((q, i) => [q, UNSAFE + 1 + 3 * i]));
export const ARM_FIELDS = UNSAFE + 1 + 3 * GATE_QUANTITIES.length;

/** The agents' counter behind a vector field (field 0, all sessions, is the sum of the outcomes). */
export interface ArmSeries {
  readonly field: number;
  readonly metric: "sessions" | "loopingSessions" | "unsafeSessions" | "gateObservations" | "gateValue" | "gateValueSquared";
  readonly label?: { readonly name: "outcome" | "quantity"; readonly value: string };
}

export const ARM_SERIES: readonly ArmSeries[] = [
  ...SESSION_OUTCOMES.map((o, i) => ({ field: 1 + i, metric: "sessions" as const, label: { name: "outcome" as const, value: o } })),
  { field: LOOPING, metric: "loopingSessions" },
  { field: UNSAFE, metric: "unsafeSessions" },
  ...GATE_QUANTITIES.flatMap((q, i) => {
    const at = UNSAFE + 1 + 3 * i;
    const label = { name: "quantity" as const, value: q };
    return [
      { field: at, metric: "gateObservations" as const, label },
      { field: at + 1, metric: "gateValue" as const, label },
      { field: at + 2, metric: "gateValueSquared" as const, label },
    ];
  }),
];

function observe(v: Float64Array, at: number | undefined, value: number | undefined): void {
  if (at === undefined || value === undefined || !Number.isFinite(value)) return;
  v[at] = (v[at] ?? 0) + 1;
  v[at + 1] = (v[at + 1] ?? 0) + value;
  v[at + 2] = (v[at + 2] ?? 0) + value * value;
}

/** Adds a session to an arm vector, as addSession() adds it to ArmStats. */
export function addToVector(v: Float64Array, s: SessionRecord): void {
  v[0] = (v[0] ?? 0) + 1;
  const o = OUTCOME_AT.get(s.outcome);
  if (o === undefined) throw new Error(`session outcome "${s.outcome}" is not one of ${SESSION_OUTCOMES.join(", ")}`);
  v[o] = (v[o] ?? 0) + 1;
  if (s.looped) v[LOOPING] = (v[LOOPING] ?? 0) + 1;
  if (s.unsafe) v[UNSAFE] = (v[UNSAFE] ?? 0) + 1;
  observe(v, QUANTITY_AT.get("cost"), s.costUsd);
  observe(v, QUANTITY_AT.get("log_cost"), s.costUsd === undefined ? undefined : logCost(s.costUsd));
  observe(v, QUANTITY_AT.get("turns"), s.turns);
  observe(v, QUANTITY_AT.get("duration"), s.durationSeconds);
  observe(v, QUANTITY_AT.get("quality"), s.qualityScore);
}

export function vectorToArm(v: Float64Array): ArmStats {
  const arm = emptyArm();
  arm.sessions = v[0] ?? 0;
  for (const [outcome, at] of OUTCOME_AT) if (v[at]) arm.outcomes[outcome] = v[at];
  arm.loopingSessions = v[LOOPING] ?? 0;
  arm.unsafeSessions = v[UNSAFE] ?? 0;
  for (const [q, at] of QUANTITY_AT) arm.quantities[q] = { count: v[at] ?? 0, sum: v[at + 1] ?? 0, sumSquares: v[at + 2] ?? 0 };
  return arm;
}

/** Reads a gate's arm totals straight from a vector (gateTotals() for ArmStats): simulations judge every minute. */
export function vectorReader(gate: Gate): (v: Float64Array) => ArmTotals {
  const spec = KIND_SPECS[gate.kind];
  if (spec.family === "mean") {
    const at = QUANTITY_AT.get(spec.quantity) ?? 0;
    return (v) => ({ n: v[at] ?? 0, x: 0, s: v[at + 1] ?? 0, q: v[at + 2] ?? 0 });
  }
  if ("metric" in spec.events) {
    const at = spec.events.metric === "loopingSessions" ? LOOPING : UNSAFE;
    return (v) => ({ n: v[0] ?? 0, x: v[at] ?? 0, s: 0, q: 0 });
  }
  const at = (gate.outcomes ?? spec.events.outcomes).map((o) => OUTCOME_AT.get(o) ?? 0);
  return (v) => ({ n: v[0] ?? 0, x: at.reduce((sum, i) => sum + (v[i] ?? 0), 0), s: 0, q: 0 });
}

/**
 * One stratum arm through the input layer: this evaluation's bin, the
 * increments rate(x[R])·I (with scrapes at every evaluation, the mean of the
 * last R/I bins), and their sum over [t − L, t]. A field whose increments have
 * all left the look-back is exactly 0, as a series without samples is absent.
 */
class ArmLedger {
  readonly bin = new Float64Array(ARM_FIELDS);
  readonly total = new Float64Array(ARM_FIELDS);
  private readonly bins: Float64Array;
  private readonly increments: Float64Array;
  /** Increments above zero still inside the look-back, per field. */
  private readonly live = new Int32Array(ARM_FIELDS);
  private step = 0;

  constructor(
    private readonly rateSteps: number,
    private readonly lookbackSteps: number,
  ) {
    this.bins = new Float64Array(rateSteps * ARM_FIELDS);
    this.increments = new Float64Array((lookbackSteps + 1) * ARM_FIELDS);
  }

  close(): void {
    const R = this.rateSteps;
    const slots = this.lookbackSteps + 1;
    const binAt = (this.step % R) * ARM_FIELDS;
    const incAt = (this.step % slots) * ARM_FIELDS;
    this.bins.set(this.bin, binAt);
    for (let f = 0; f < ARM_FIELDS; f++) {
      let window = 0;
      for (let j = 0; j < R; j++) window += this.bins[j * ARM_FIELDS + f] ?? 0;
      const leaving = this.step >= slots ? (this.increments[incAt + f] ?? 0) : 0;
      const entering = window / R;
      this.increments[incAt + f] = entering;
      if (leaving > 0) this.live[f] = (this.live[f] ?? 0) - 1;
      if (entering > 0) this.live[f] = (this.live[f] ?? 0) + 1;
      this.total[f] = this.live[f] ? (this.total[f] ?? 0) + entering - leaving : 0;
    }
    this.bin.fill(0);
    this.step += 1;
  }

  get empty(): boolean {
    return this.live.every((n) => n === 0);
  }
}

interface StratumLedger {
  canary: ArmLedger;
  baseline: ArmLedger;
}

/**
 * A rollout's gate inputs, built the way the recording rules build them from
 * the agents' counters, for sessions that end evaluation by evaluation: what
 * simulations feed to the same formulas the rules evaluate.
 */
export class RolloutLedger {
  private readonly strata = new Map<string, StratumLedger>();
  private readonly unsplit = new Map<Assignment, ArmLedger>();
  private steps = 0;
  private startStep: number | undefined;

  /**
   * @param rateSteps rateRange / evaluation interval (5 for 5m at 1m)
   * @param lookbackSteps lookback / evaluation interval (10080 for 7d at 1m)
   */
  constructor(
    readonly rateSteps: number,
    readonly lookbackSteps: number,
  ) {}

  /**
   * A session that ended during the current evaluation interval; `percent` and
   * `assignment` as the router labelled it (default: the record's own).
   */
  add(record: SessionRecord, percent = record.canaryPercent, assignment: Assignment = record.assignment ?? GATED_ASSIGNMENT): void {
    // A session routed with no rollout carries no rollout_id: the rules count it under none.
    if (assignment === "no_rollout") return;
    if (assignment !== GATED_ASSIGNMENT) {
      let arm = this.unsplit.get(assignment);
      if (!arm) this.unsplit.set(assignment, (arm = new ArmLedger(this.rateSteps, this.lookbackSteps)));
      arm.bin[0] = (arm.bin[0] ?? 0) + 1;
      return;
    }
    const label = stratumLabel({ canaryPercent: percent });
    let stratum = this.strata.get(label);
    if (!stratum) {
      stratum = { canary: new ArmLedger(this.rateSteps, this.lookbackSteps), baseline: new ArmLedger(this.rateSteps, this.lookbackSteps) };
      this.strata.set(label, stratum);
    }
    addToVector(stratum[record.group as VersionGroup].bin, record);
  }

  /** Ends an evaluation interval: increments and look-back totals move on; the rollout's start is kept while it has data. */
  evaluate(): void {
    const arms = [...[...this.strata.values()].flatMap((s) => [s.canary, s.baseline]), ...this.unsplit.values()];
    for (const arm of arms) arm.close();
    const active = arms.some((a) => !a.empty);
    if (!active) this.startStep = undefined;
    else if (this.startStep === undefined) this.startStep = this.steps;
    this.steps += 1;
  }

  /** The look-back span the rollout is in: 1 + floor(age / lookback), as rollout:agent_canary_rollout_span:index. */
  get span(): number {
    if (this.startStep === undefined) return 1;
    return Math.floor((this.steps - 1 - this.startStep) / this.lookbackSteps) + 1;
  }

  /** The look-back totals per stratum, as the gates read them. */
  current(): Stratum[] {
    return [...this.strata].map(([canaryPercent, s]) => ({ canaryPercent, canary: vectorToArm(s.canary.total), baseline: vectorToArm(s.baseline.total) }));
  }

  /** A gate's formula input from the look-back totals, without building ArmStats. */
  formulaInput(read: (v: Float64Array) => ArmTotals): FormulaInput {
    const strata = [];
    for (const s of this.strata.values()) strata.push({ canary: read(s.canary.total), baseline: read(s.baseline.total) });
    return { strata, span: this.span };
  }

  /** Sessions in the look-back that were not split at random, by how they were routed. */
  unsplitSessions(): Partial<Record<Assignment, number>> {
    const out: Partial<Record<Assignment, number>> = {};
    for (const [assignment, arm] of this.unsplit) if (arm.total[0]) out[assignment] = arm.total[0];
    return out;
  }
}
