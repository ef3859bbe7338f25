import { ATTR, SPAN_NAMES, type SessionOutcome } from "@agent-canary/conventions";
import { type Attributes, type Context, INVALID_SPAN_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { LoopMatch } from "../guards/errors.js";
import type { Assignment } from "../routing/router.js";
import type { SessionServices } from "./services.js";

/** Stands in for a span that could not be started: every call on it does nothing. */
export const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The `invoke_agent` span of a session, with its routing decision. */
export function startSessionSpan(
  services: SessionServices,
  common: Attributes,
  init: { id: string; tenant?: string | undefined },
  assignment: Assignment,
  parent: Context,
): Span {
  const { stratum } = assignment.pin;
  return services.tracer.startSpan(
    `${SPAN_NAMES.invokeAgent} ${services.agentName}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        ...common,
        [ATTR.operationName]: "invoke_agent",
        [ATTR.agentName]: services.agentName,
        [ATTR.agentVersion]: assignment.version.hash,
        [ATTR.conversationId]: init.id,
        ...(init.tenant === undefined ? {} : { [ATTR.tenant]: init.tenant }),
        [ATTR.rolloutId]: stratum.rolloutId,
        [ATTR.canaryPercent]: stratum.canaryPercent,
        [ATTR.assignment]: stratum.assignment,
        "agent_canary.session.resumed": assignment.resumed,
        ...(assignment.failure ? { "agent_canary.routing.failure": assignment.failure } : {}),
      },
    },
    parent,
  );
}

/** An `execute_tool` span under the session's span. */
export function startToolSpan(services: SessionServices, common: Attributes, name: string, callId: string | undefined, parent: Context): Span {
  return services.tracer.startSpan(
    `${SPAN_NAMES.executeTool} ${name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: { ...common, [ATTR.operationName]: "execute_tool", [ATTR.toolName]: name, ...(callId ? { [ATTR.toolCallId]: callId } : {}) },
    },
    parent,
  );
}

/** A loop trip: its own span under the session's, and an event on the session span. */
export function recordLoopTripSpan(services: SessionServices, common: Attributes, match: LoopMatch, sessionSpan: Span, parent: Context): void {
  const attributes = {
    ...common,
    [ATTR.loopSignature]: match.cycle.join(" -> "),
    [ATTR.loopCycleLength]: match.cycle.length,
    [ATTR.loopRepeats]: match.repeats,
    "agent_canary.guard.mode": services.guards.mode,
  };
  services.tracer.startSpan(SPAN_NAMES.loopTrip, { attributes }, parent).end();
  sessionSpan.addEvent(SPAN_NAMES.loopTrip, attributes);
}

/** Marks a span failed by `error`, as the GenAI conventions ask (exception event, error.type, status). */
export function markSpanError(span: Span, error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  span.recordException(e);
  span.setAttribute("error.type", e.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}

export interface SessionEnd {
  outcome: SessionOutcome;
  error: unknown;
  turns: number;
  /** Whether any LLM call was observed: without one, cost and turns are unknown. */
  observed: boolean;
  costUsd: number | undefined;
}

/** Ends the session span with its outcome, turns and (when known) cost. */
export function endSessionSpan(span: Span, end: SessionEnd): void {
  span.setAttributes({
    [ATTR.outcome]: end.outcome,
    [ATTR.turn]: end.turns,
    "agent_canary.llm_calls.observed": end.observed,
    "agent_canary.cost.complete": end.costUsd !== undefined,
    ...(end.costUsd === undefined ? {} : { [ATTR.costUsd]: end.costUsd }),
  });
  if (end.outcome === "error") markSpanError(span, end.error);
  else if (end.outcome !== "completed" && end.outcome !== "failed") span.setStatus({ code: SpanStatusCode.ERROR, message: end.outcome });
  span.end();
}
