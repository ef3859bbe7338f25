import type { SessionOutcome } from "@agent-canary/conventions";
import type { TimedSession } from "./gates/session-log.js";

/** What happened around a rollback: the promise is that running canary sessions finish where they started and new ones go to baseline. */
export interface DrainReport {
  /** Canary sessions that started before the rollback and ended after it. */
  inFlightCanary: number;
  /** How they ended (none should be cut short as drain_timeout within the drain timeout). */
  inFlightOutcomes: Partial<Record<SessionOutcome, number>>;
  /** Whether this agent's router learned of the rollback at all (it follows the store). */
  routerSawRollback: boolean;
  /** Sessions that started after this agent's router saw the rollback, by group. */
  startedAfter: { baseline: number; canary: number };
}

export function drainReport(sessions: readonly TimedSession[], rolledBackAt: number, routerSawAt: number | undefined): DrainReport {
  const inFlight = sessions.filter((s) => s.group === "canary" && s.startedAt <= rolledBackAt && s.endedAt > rolledBackAt);
  const inFlightOutcomes: Partial<Record<SessionOutcome, number>> = {};
  for (const s of inFlight) inFlightOutcomes[s.outcome] = (inFlightOutcomes[s.outcome] ?? 0) + 1;
  const startedAfter = { baseline: 0, canary: 0 };
  if (routerSawAt !== undefined) for (const s of sessions) if (s.startedAt >= routerSawAt) startedAfter[s.group] += 1;
  return { inFlightCanary: inFlight.length, inFlightOutcomes, routerSawRollback: routerSawAt !== undefined, startedAfter };
}

/** Broken promises, in words; empty when the drain behaved. */
export function drainProblems(report: DrainReport): string[] {
  const problems: string[] = [];
  if (!report.routerSawRollback) problems.push("the agent's router never learned of the rollback from the store");
  if (report.startedAfter.canary > 0) problems.push(`${report.startedAfter.canary} sessions started on canary after the router saw the rollback`);
  const cut = report.inFlightOutcomes.drain_timeout ?? 0;
  if (cut > 0) problems.push(`${cut} in-flight canary sessions were cut short (drain_timeout) although the drain timeout had not passed`);
  return problems;
}
