import { GATE_QUANTITIES, type GateQuantity, logCost, SESSION_OUTCOMES, type SessionOutcome } from "@agent-canary/conventions";
import type { Attributes } from "@opentelemetry/api";
import type { GateInputKey } from "./keys.js";

/** What an ended session adds to the gate inputs. */
export interface SessionSummary {
  readonly outcome: SessionOutcome;
  readonly looping: boolean;
  readonly unsafe: boolean;
  /** LLM calls made; undefined when none was observed (the session's turns are unknown, not 0). */
  readonly turns: number | undefined;
  /** USD; undefined when unknown (no call observed, an unpriced model, or a call without usage). */
  readonly costUsd: number | undefined;
  readonly durationSeconds: number;
}

const OUTCOME_INDEX = new Map<SessionOutcome, number>(SESSION_OUTCOMES.map((o, i) => [o, i]));
const QUANTITY_INDEX = new Map<GateQuantity, number>(GATE_QUANTITIES.map((q, i) => [q, i]));

/** The series of one rollout (rollout_id); GateInputs drops them together once the rollout has ended. */
export interface RolloutSeries {
  readonly id: string;
  readonly cells: Map<string, GateCell>;
  /** Sessions of this rollout still running: their series must outlive them. */
  live: number;
  /** When this process saw the rollout end (monotonic ms), if it has. */
  endedAt: number | undefined;
  /** Changed since the last collection: its last values have not been exported yet. */
  dirty: boolean;
}

/** Receives one exported point: the metric, its labels, its cumulative value. */
export type PointVisitor = (key: GateInputKey, attributes: Attributes, value: number, startTimeMs: number) => void;

/**
 * The cumulative gate inputs of one label set (deployment, group, hash,
 * rollout, percent, assignment). Created at 0 for every outcome and quantity,
 * so each of its series is exported as 0 before its first event.
 */
export class GateCell {
  readonly startTimeMs = Date.now();
  private readonly sessions = new Float64Array(SESSION_OUTCOMES.length);
  private looping = 0;
  private unsafe = 0;
  private unobserved = 0;
  private readonly observations = new Float64Array(GATE_QUANTITIES.length);
  private readonly values = new Float64Array(GATE_QUANTITIES.length);
  private readonly squares = new Float64Array(GATE_QUANTITIES.length);
  private readonly outcomeLabels: readonly Attributes[];
  private readonly quantityLabels: readonly Attributes[];

  constructor(
    readonly rollout: RolloutSeries,
    readonly labels: Readonly<Attributes>,
  ) {
    this.outcomeLabels = SESSION_OUTCOMES.map((outcome) => Object.freeze({ ...labels, outcome }));
    this.quantityLabels = GATE_QUANTITIES.map((quantity) => Object.freeze({ ...labels, quantity }));
  }

  addSession(summary: SessionSummary): void {
    this.sessions[OUTCOME_INDEX.get(summary.outcome) ?? SESSION_OUTCOMES.indexOf("error")]! += 1;
    if (summary.looping) this.looping += 1;
    if (summary.unsafe) this.unsafe += 1;
    this.observe("duration", summary.durationSeconds);
    if (summary.turns === undefined) {
      this.unobserved += 1;
      return;
    }
    this.observe("turns", summary.turns);
    if (summary.costUsd === undefined) return;
    this.observe("cost", summary.costUsd);
    this.observe("log_cost", logCost(summary.costUsd));
  }

  observe(quantity: GateQuantity, value: number): void {
    const i = QUANTITY_INDEX.get(quantity)!;
    this.observations[i]! += 1;
    this.values[i]! += value;
    this.squares[i]! += value * value;
  }

  visit(visitor: PointVisitor): void {
    const start = this.startTimeMs;
    this.outcomeLabels.forEach((labels, i) => visitor("sessions", labels, this.sessions[i]!, start));
    visitor("loopingSessions", this.labels, this.looping, start);
    visitor("unsafeSessions", this.labels, this.unsafe, start);
    visitor("unobservedSessions", this.labels, this.unobserved, start);
    this.quantityLabels.forEach((labels, i) => {
      visitor("gateObservations", labels, this.observations[i]!, start);
      visitor("gateValue", labels, this.values[i]!, start);
      visitor("gateValueSquared", labels, this.squares[i]!, start);
    });
  }
}
