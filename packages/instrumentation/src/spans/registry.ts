import { AsyncLocalStorage } from "node:async_hooks";

/**
 * One LLM call may be seen by several layers: our SDK patch, our AI SDK
 * integration, and foreign instrumentations that report it as a GenAI span
 * (@opentelemetry/instrumentation-openai, OpenLLMetry, OpenInference, the AI
 * SDK's own telemetry). It must count once. What this module tracks:
 *
 * - `recordingScope`: the async context of a call agent-canary records itself.
 *   Anything starting inside it (a nested layer of ours, a foreign span) is
 *   the same call seen again.
 * - parent links of the spans started in sessions, and the set of spans
 *   `superseded` by a call counted beneath them: a foreign span wrapping our
 *   call, or wrapping another foreign LLM span already counted.
 *
 * Weak collections only: nothing here keeps a span alive.
 */
const recordingScope = new AsyncLocalStorage<object>();
const parentOf = new WeakMap<object, object>();
const superseded = new WeakSet<object>();

/** How far up a chain of spans is followed; deeper nesting than this is not an LLM call's. */
const MAX_DEPTH = 32;

/** Runs `fn` as the recording of `call`: layers and spans inside it are the same call. */
export function inRecordingScope<T>(call: object, fn: () => T): T {
  return recordingScope.run(call, fn);
}

/** Whether the caller runs inside a call agent-canary already records. */
export function insideRecordedCall(): boolean {
  return recordingScope.getStore() !== undefined;
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

export function isSuperseded(span: object): boolean {
  return superseded.has(span);
}
