import { AsyncLocalStorage } from "node:async_hooks";
import { type Context, context, createContextKey } from "@opentelemetry/api";
import type { AgentSession } from "./session.js";

/**
 * agent-canary's async state (the running session, the call being recorded)
 * lives in values of the OpenTelemetry context, so the agent's async code
 * carries one context, not one per concern. Each AsyncLocalStorage that has
 * run costs every promise the process creates from then on: a second one for
 * the session added about 150-400 µs per uninstrumented Bedrock Converse call
 * in a probe on 2 shared cores (the AWS SDK's middleware stack makes many
 * promises); bench/src/overhead/context-tax.ts measures it per stack.
 */
const SESSION = createContextKey("agent-canary session");

/**
 * Used only where no OpenTelemetry context manager propagates contexts (an
 * AgentCanary on explicit providers and no global context manager). Created on
 * first need, for the cost above.
 */
let fallbackScope: AsyncLocalStorage<Context> | undefined;

/** The context agent-canary's scopes run in: the OpenTelemetry one, or the fallback's while one is active. */
export function activeContext(): Context {
  return fallbackScope?.getStore() ?? context.active();
}

/** Runs `fn` with `ctx` active: through the global context manager, or the fallback scope when none took it. */
export function runInScope<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, () => (context.active() === ctx ? fn() : (fallbackScope ??= new AsyncLocalStorage<Context>()).run(ctx, fn)));
}

/** A value of the active context (of the fallback scope where no context manager runs). */
export function scopeValue(key: symbol): unknown {
  return activeContext().getValue(key);
}

/** `ctx` carrying `session`: code running in it, and spans started from it, belong to the session. */
export function withSession(ctx: Context, session: AgentSession): Context {
  return ctx.setValue(SESSION, session);
}

/** Runs `fn` as the agent code of `session`: in its trace context, which carries the session. */
export function runInSession<T>(session: AgentSession, fn: () => T): T {
  return runInScope(session.traceContext, fn);
}

/** The session the calling code runs in, if any. */
export function currentSession(): AgentSession | undefined {
  return scopeValue(SESSION) as AgentSession | undefined;
}
