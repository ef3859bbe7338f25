import type { Context } from "@opentelemetry/api";
import { trace } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace";
import { currentSession } from "../session/context.js";
import type { AgentSession } from "../session/session.js";
import { PACKAGE_NAME } from "../version.js";
import { readSpanCall } from "./genai-span.js";
import { insideRecordedCall, isSuperseded, linkParent, supersedeAncestors, wasRecorded } from "./registry.js";
import { recordSpanCall } from "./span-call.js";

/** Spans started in a session: their session, and whether they started inside a call agent-canary records. */
const sessionOf = new WeakMap<object, AgentSession>();
const covered = new WeakSet<object>();

function scopeName(span: ReadableSpan): string | undefined {
  const s = span as { instrumentationScope?: { name?: string }; instrumentationLibrary?: { name?: string } };
  return (s.instrumentationScope ?? s.instrumentationLibrary)?.name;
}

function seconds(span: ReadableSpan): number {
  const [s, ns] = span.duration;
  return s + ns / 1e9;
}

/**
 * Makes every span of a session carry its version hash and group, whoever
 * produced it, and counts a model call reported as a GenAI span (the GenAI
 * semantic conventions, @opentelemetry/instrumentation-openai, OpenLLMetry,
 * OpenInference, the AI SDK's telemetry) as a turn of its session, with its
 * tokens, cost and tool calls. A call agent-canary also records itself counts
 * once. Add it to the tracer provider's span processors, before the exporting
 * one (register() does this):
 *
 *   new TracerProvider({ spanProcessors: [new AgentCanarySpanProcessor(), new BatchSpanProcessor({ exporter })] })
 */
export class AgentCanarySpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    try {
      if (scopeName(span) === PACKAGE_NAME) return;
      const parent = trace.getSpan(parentContext);
      linkParent(span, parent);
      const session = currentSession() ?? (parent ? sessionOf.get(parent) : undefined);
      if (!session) return;
      sessionOf.set(span, session);
      if (insideRecordedCall()) covered.add(span);
      span.setAttributes(session.spanAttributes());
    } catch {
      // A span processor must never break the code that starts spans.
    }
  }

  onEnd(span: ReadableSpan): void {
    const session = sessionOf.get(span);
    if (!session || covered.has(span) || isSuperseded(span)) return;
    session.services.safely(
      "span-ingest",
      () => {
        const call = readSpanCall(span.attributes, seconds(span));
        if (!call || wasRecorded(call.responseId)) return;
        // Spans around this one (a framework's LLM span around an SDK's) are the same call.
        supersedeAncestors(span);
        recordSpanCall(session, call);
      },
      undefined,
    );
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
