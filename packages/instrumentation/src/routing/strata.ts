import { type Assignment, canaryPercentLabel } from "@agent-canary/conventions";
import type { RolloutState } from "@agent-canary/rollout-state";

/**
 * The stratum a session was routed in: the `rollout_id`, `canary_percent` and
 * `assignment` labels of its gate inputs (see conventions' strata.ts). Fixed
 * when the session is routed and pinned with it, so a resumed session keeps it.
 */
export interface Stratum {
  readonly rolloutId: string;
  readonly canaryPercent: string;
  readonly assignment: Assignment;
}

/** No store, or a state without a canary: not part of any rollout. */
export const NO_ROLLOUT: Stratum = Object.freeze({ rolloutId: "", canaryPercent: "0", assignment: "no_rollout" });

/** Failing closed before any valid state was seen. */
const FAIL_CLOSED_WITHOUT_STATE: Stratum = Object.freeze({ rolloutId: "", canaryPercent: "0", assignment: "fail_closed" });

/** The id gates know a state's rollout by; empty when the state has no canary or predates rollout ids. */
export function rolloutIdOf(state: RolloutState): string {
  return state.canary ? (state.rolloutId ?? "") : "";
}

/**
 * The strata of one rollout state, made once per state so every session routed
 * under it shares the same objects (nothing allocated per session).
 */
export class StateStrata {
  readonly split: Stratum;
  readonly tenantOverride: Stratum;
  readonly routingKey: Stratum;
  readonly failClosed: Stratum;

  constructor(state: RolloutState) {
    const base = { rolloutId: rolloutIdOf(state), canaryPercent: canaryPercentLabel(state.canaryPercent) };
    this.split = Object.freeze({ ...base, assignment: "split" });
    this.tenantOverride = Object.freeze({ ...base, assignment: "tenant_override" });
    this.routingKey = Object.freeze({ ...base, assignment: "routing_key" });
    this.failClosed = Object.freeze({ ...base, assignment: "fail_closed" });
  }

  /** Failing closed: labelled with the last valid state's rollout when there was one. */
  static failClosed(last: StateStrata | undefined): Stratum {
    return last?.failClosed ?? FAIL_CLOSED_WITHOUT_STATE;
  }
}
