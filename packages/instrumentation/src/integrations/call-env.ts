import type { CallEnv } from "../llm/env.js";
import { currentSession } from "../session/context.js";
import type { AgentSession } from "../session/session.js";

/**
 * Where integrations that are not created by an AgentCanaryInstrumentation
 * (the AI SDK middleware, span ingestion) find the services to record with:
 * the session's inside one; outside, those of the instrumentation enabled
 * last (calls outside sessions still get their token and duration metrics).
 */
let outsideSession: (() => CallEnv) | undefined;

export function setOutsideSessionEnv(provider: (() => CallEnv) | undefined): void {
  outsideSession = provider;
}

export function clearOutsideSessionEnv(provider: () => CallEnv): void {
  if (outsideSession === provider) outsideSession = undefined;
}

/** The session the caller runs in and the services to record its call with; undefined when nothing can record. */
export function recordingContext(): { session: AgentSession | undefined; env: CallEnv } | undefined {
  const session = currentSession();
  if (session) return { session, env: session.services };
  const env = outsideSession?.();
  return env ? { session: undefined, env } : undefined;
}
