import type { DrainReport } from "../drain.js";
import type { ExpectedEnd, Scenario } from "../scenarios.js";
import { formatSimulated } from "./format.js";

export type ScenarioOutcome = "rolled_back" | "promoted" | "held" | "stopped";

/** How one scenario ended and whether that is what a working product does. */
export interface ScenarioSummary {
  scenario: Scenario["name"];
  expected: ExpectedEnd;
  outcome: ScenarioOutcome;
  ok: boolean;
  /** The gates behind the final decision. */
  firedGates: string[];
  /** The canary percent when the rollout ended (before a rollback set it to 0). */
  lastPercent: number;
  /** Stages completed before the end. */
  stagesPassed: number;
  sessions: { baseline: number; canary: number };
  simulatedSeconds: number;
  realSeconds: number;
  drain?: DrainReport;
  /** Why ok is false, in words. */
  problems: string[];
}

export function formatSummaryLine(s: ScenarioSummary): string {
  const verdict = s.ok ? "as expected" : `UNEXPECTED: ${s.problems.join("; ")}`;
  const gates = s.firedGates.length ? ` by ${s.firedGates.join(", ")}` : "";
  const when = `after ${formatSimulated(s.simulatedSeconds)} of rollout (${s.realSeconds.toFixed(1)} s)`;
  const traffic = `${s.sessions.baseline + s.sessions.canary} sessions, ${s.sessions.canary} on canary`;
  return `${s.scenario.padEnd(8)} ${s.outcome}${gates} at ${s.lastPercent}% ${when}; ${traffic}: ${verdict}`;
}

/** A scenario that did not end as a working product should, in one line: which, and what was expected and seen. */
export function formatMisbehaviour(s: ScenarioSummary): string {
  return `scenario "${s.scenario}" did not end as a working product should: ${s.problems.join("; ")}`;
}
