import type { RolloutState } from "@agent-canary/rollout-state";
import { z } from "zod";
import type { Alert } from "./payloads.js";

/** The label gate alerts carry: the rollout their statistic was computed for. */
export const ROLLOUT_ID_LABEL = "rollout_id";

/** Whether an alert is about the rollout now running, and if not, why. */
export type Scope = { about: "current" } | { about: "stale" | "other_rollout"; reason: string; details: Record<string, unknown> };

export interface ScopeClock {
  nowMs: number;
  /** How far an alert may seem to start before the rollout and still be about it. */
  skewMs: number;
  /**
   * When this receiver saw the rollout appear, if it watched it happen: a bound on its true
   * start that does not depend on the clock of the host that ran `rollout start`.
   */
  observedStartMs: number | undefined;
}

/** RFC 3339 as Alertmanager (nanosecond fractions) and Grafana (offsets) write it. */
const StartsAtSchema = z.iso.datetime({ offset: true });

/**
 * When the alert began firing, or undefined when that is unknown: absent, unparseable, or Go's
 * zero time (year 1), which would otherwise look older than every rollout.
 */
export function alertStartedAt(startsAt: string | undefined): Date | undefined {
  const parsed = StartsAtSchema.safeParse(startsAt);
  if (!parsed.success) return undefined;
  const at = new Date(parsed.data);
  return at.getUTCFullYear() <= 1 ? undefined : at;
}

/**
 * Is this alert evidence about the rollout now running?
 *
 * - With a `rollout_id` label (every generated gate alert): only if it names the state's
 *   rollout. An episode that restarts after a Prometheus outage keeps its rollout_id, so it
 *   cannot roll back the next canary; a new canary's gates are new series with their own
 *   episode, so an old one still firing cannot block them.
 * - Without it (a user's own rule): by time. An alert that began firing before the rollout
 *   started (less the skew tolerance) is a re-send about the rollout before. When either time
 *   is unknown, or the rollout's start lies in this receiver's future (the writer's clock is
 *   ahead), the alert acts: a missed rollback costs more than a needless one.
 */
export function scopeOf(alert: Alert, state: RolloutState, clock: ScopeClock, timeScoped: boolean): Scope {
  const rolloutId = alert.labels[ROLLOUT_ID_LABEL];
  if (rolloutId) {
    if (rolloutId === state.rolloutId) return { about: "current" };
    return {
      about: "other_rollout",
      reason: `the alert is about rollout ${rolloutId}; the rollout now is ${state.rolloutId ?? "one started before rollout ids existed"}`,
      details: { rolloutId, currentRolloutId: state.rolloutId },
    };
  }
  if (!timeScoped) return { about: "current" };
  const startedAt = alertStartedAt(alert.startsAt);
  if (!state.rolloutStartedAt || !startedAt) return { about: "current" };
  const writerStart = Date.parse(state.rolloutStartedAt);
  if (writerStart > clock.nowMs + clock.skewMs) return { about: "current" };
  const start = clock.observedStartMs === undefined ? writerStart : Math.min(writerStart, clock.observedStartMs);
  if (startedAt.getTime() + clock.skewMs >= start) return { about: "current" };
  return {
    about: "stale",
    reason: `the alert started firing at ${startedAt.toISOString()}, before the current rollout started at ${new Date(start).toISOString()} (allowing ${clock.skewMs / 1000} s of clock skew); it is about an earlier rollout`,
    details: { startsAt: alert.startsAt, rolloutStartedAt: state.rolloutStartedAt },
  };
}
