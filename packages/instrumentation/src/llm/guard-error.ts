import { AgentCanaryGuardError } from "../guards/errors.js";

const MAX_DEPTH = 8;

/**
 * The guard error behind `error`, wherever an SDK helper put it: the error
 * itself, its `cause` chain (openai's runner wraps foreign errors as
 * OpenAIError with `cause`), an AggregateError's `errors`, or the AI SDK's
 * RetryError (`lastError`, `errors`). The one way to tell a guard trip from
 * other errors on every path:
 *
 *   catch (e) { const trip = guardErrorOf(e); if (trip) { ... trip.outcome ... } else throw e; }
 */
export function guardErrorOf(error: unknown): AgentCanaryGuardError | undefined {
  const seen = new Set<unknown>();
  const queue: { value: unknown; depth: number }[] = [{ value: error, depth: 0 }];
  while (queue.length > 0) {
    const { value, depth } = queue.shift() as { value: unknown; depth: number };
    if (value instanceof AgentCanaryGuardError) return value;
    if (typeof value !== "object" || value === null || seen.has(value) || depth >= MAX_DEPTH) continue;
    seen.add(value);
    const e = value as { cause?: unknown; errors?: unknown; lastError?: unknown; error?: unknown };
    for (const next of [e.cause, e.lastError, e.error, ...(Array.isArray(e.errors) ? e.errors : [])]) {
      if (next !== undefined) queue.push({ value: next, depth: depth + 1 });
    }
  }
  return undefined;
}
