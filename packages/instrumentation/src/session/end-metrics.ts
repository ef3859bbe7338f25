import type { Attributes } from "@opentelemetry/api";
import type { GateCell, SessionSummary } from "../telemetry/gate-inputs/cell.js";
import type { SessionServices } from "./services.js";

/**
 * The per-session metrics, recorded at its end. A session in which no LLM call
 * was observed has unknown cost and turns, not $0 and 0: it is left out of
 * those histograms and gate inputs and counted as unobserved instead.
 */
export function recordSessionEnd(services: SessionServices, labels: Attributes, cell: GateCell | undefined, summary: SessionSummary): void {
  const m = services.instruments;
  m.record("activeSessions", -1, labels);
  m.record("sessionDuration", summary.durationSeconds, { ...labels, outcome: summary.outcome });
  if (summary.turns !== undefined) {
    m.record("sessionTurns", summary.turns, labels);
    // Only a session whose every call was priced has a cost: _count is then the sessions of known cost.
    if (summary.costUsd !== undefined) m.record("sessionCost", summary.costUsd, labels);
  } else {
    warnUnobserved(services);
  }
  if (cell) services.gateInputs.end(cell, summary);
}

function warnUnobserved(services: SessionServices): void {
  services.log.warnOnce(
    `unobserved:${services.deployment}`,
    `a session of deployment ${services.deployment} ended without any LLM call observed: its cost and turns are unknown and it is left out of those gates (counted in agent_canary_unobserved_sessions_total). ` +
      "Likely causes: the SDK was imported before register() in an ES module (start node with --import @agent-canary/instrumentation/register, or pass the SDK to handle.instrumentation.instrument(OpenAI)); " +
      "the client is one agent-canary does not patch (instrument it, or emit GenAI spans); or the session really made no LLM call.",
  );
}
