import { context } from "@opentelemetry/api";
import { sessionStorage } from "../session/context.js";
import type { AgentSession } from "../session/session.js";

/**
 * Runs the agent's function as `session`: visible to currentSession() and as
 * the active span context in everything it awaits. Resolves with what the
 * function returns and rethrows what it throws, after recording the outcome.
 */
export async function runSession<T>(session: AgentSession, fn: (session: AgentSession) => Promise<T> | T): Promise<T> {
  try {
    const result = await sessionStorage.run(session, () => context.with(session.traceContext, () => fn(session)));
    session.finish(undefined);
    return result;
  } catch (error) {
    session.finish(error);
    throw error;
  }
}
