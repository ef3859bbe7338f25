import { ATTR, SPAN_NAMES, type SessionOutcome } from "@agent-canary/conventions";
import { type Attributes, type Context, INVALID_SPAN_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { LoopMatch } from "../guards/errors.js";
import type { Assignment } from "../routing/router.js";
import { runInScope } from "./context.js";
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
function startToolSpan(services: SessionServices, common: Attributes, tool: ToolRun): Span {
  return services.tracer.startSpan(
    `${SPAN_NAMES.executeTool} ${tool.name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: { ...common, [ATTR.operationName]: "execute_tool", [ATTR.toolName]: tool.name, ...(tool.callId ? { [ATTR.toolCallId]: tool.callId } : {}) },
    },
    tool.parent,
  );
}

export interface ToolRun {
  name: string;
  callId: string | undefined;
  /** The session's context: the tool span's parent. */
  parent: Context;
}

/**
 * Runs a tool inside its `execute_tool` span and returns its result or throws
 * its error, whatever happens to the span: a failing tracer, span processor or
 * exporter is reported through safely() and never replaces what the tool did.
 */
export async function runInToolSpan<T>(services: SessionServices, common: Attributes, tool: ToolRun, run: () => Promise<T> | T): Promise<T> {
  const { safely } = services;
  const span = safely("tool-span", () => startToolSpan(services, common, tool), NO_SPAN);
  let result: T;
  try {
    result = await runInScope(trace.setSpan(tool.parent, span), run);
  } catch (error) {
    safely("tool-span", () => markSpanError(span, error), undefined);
    safely("tool-span", () => span.end(), undefined);
    throw error;
  }
  safely("tool-span", () => span.end(), undefined);
  return result;
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
