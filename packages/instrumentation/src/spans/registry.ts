import { type Context, createContextKey } from "@opentelemetry/api";
import { runInScope, scopeValue } from "../session/context.js";

/**
 * One LLM call may be seen by several layers: our SDK patch, our AI SDK
 * integration, and foreign instrumentations that report it as a GenAI span
 * (@opentelemetry/instrumentation-openai, OpenLLMetry, OpenInference, the AI
 * SDK's own telemetry). It must count once. What this module tracks:
 *
 * - the recording scope: the async context of a call agent-canary records
 *   itself. Anything starting inside it (a nested layer of ours, a foreign
 *   span) is the same call seen again.
 * - parent links of the spans started in sessions, and the set of spans
 *   `superseded` by a call counted beneath them: a foreign span wrapping our
 *   call, or wrapping another foreign LLM span already counted.
 *
 * Weak collections only: nothing here keeps a span alive.
 */
const RECORDED_CALL = createContextKey("agent-canary recorded call");
const parentOf = new WeakMap<object, object>();
const superseded = new WeakSet<object>();

/** How far up a chain of spans is followed; deeper nesting than this is not an LLM call's. */
const MAX_DEPTH = 32;

/**
 * Runs `fn` in `ctx` (the call's span context) as the recording of `call`:
 * layers and spans inside it are the same call. The mark is a value of that
 * OpenTelemetry context, so a call enters one async scope, not two: an extra
 * AsyncLocalStorage per call cost ~460 µs on Bedrock's many async steps.
 */
export function runRecording<T>(call: object, ctx: Context, fn: () => T): T {
  return runInScope(ctx.setValue(RECORDED_CALL, call), fn);
}

/** Whether the caller runs inside a call agent-canary already records. */
export function insideRecordedCall(): boolean {
  return scopeValue(RECORDED_CALL) !== undefined;
}

export function linkParent(span: object, parent: object | undefined): void {
  if (parent) parentOf.set(span, parent);
}

/** Marks `span` and its ancestors as enclosing a counted call: none of them counts as an LLM call of its own. */
export function supersedeChain(span: object | undefined): void {
  let current = span;
  for (let depth = 0; current !== undefined && depth < MAX_DEPTH; depth++) {
    if (superseded.has(current)) return;
    superseded.add(current);
    current = parentOf.get(current);
  }
}

/** The spans enclosing `span` are the same call as it. */
export function supersedeAncestors(span: object): void {
  supersedeChain(parentOf.get(span));
}

export function isSuperseded(span: object): boolean {
  return superseded.has(span);
}

/**
 * Provider response ids of calls agent-canary recorded itself, most recent
 * last: a foreign span reporting one of them is the same call. Catches what
 * span structure cannot (an AI SDK OpenTelemetry integration whose model-call
 * span starts before our layer runs, in a context that never nests it).
 */
const recordedResponseIds = new Set<string>();
const MAX_RECORDED_IDS = 4_096;

export function noteRecordedResponse(id: string | undefined): void {
  if (!id) return;
  if (recordedResponseIds.size >= MAX_RECORDED_IDS) {
    const oldest = recordedResponseIds.values().next().value;
    if (oldest !== undefined) recordedResponseIds.delete(oldest);
  }
  recordedResponseIds.add(id);
}

export function wasRecorded(id: string | undefined): boolean {
  return id !== undefined && recordedResponseIds.has(id);
}
