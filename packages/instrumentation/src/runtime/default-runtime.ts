import { currentSession } from "../session/context.js";
import type { AgentSession, SessionInit } from "../session/session.js";
import type { AgentCanary } from "./agent-canary.js";

let defaultRuntime: AgentCanary | undefined;

/** The runtime `session()` uses; register() sets it. */
export function setDefaultRuntime(runtime: AgentCanary | undefined): void {
  defaultRuntime = runtime;
}

export function getDefaultRuntime(): AgentCanary | undefined {
  return defaultRuntime;
}

/**
 * Runs `fn` as an agent session on the runtime register() set up. See
 * AgentCanary.session().
 */
export function session<T>(init: SessionInit, fn: (session: AgentSession) => Promise<T> | T): Promise<T> {
  if (!defaultRuntime) {
    return Promise.reject(
      new Error("agent-canary is not registered: call register({...}) at startup (or start node with --import @agent-canary/instrumentation/register), or use new AgentCanary({...}).session()"),
    );
  }
  return defaultRuntime.session(init, fn);
}

function requireSession(what: string): AgentSession {
  const s = currentSession();
  if (!s) throw new Error(`${what} must be called inside session(...): there is no session to attribute it to`);
  return s;
}

/** Records a judge quality score (0..1) for the current session. */
export function recordQualityScore(score: number): void {
  requireSession("recordQualityScore()").recordQualityScore(score);
}

/** Records a safety violation of `category` (a small fixed set) for the current session. */
export function recordSafetyViolation(category: string): void {
  requireSession("recordSafetyViolation()").recordSafetyViolation(category);
}
