import { VersionsSchema } from "./options.js";
import { optionsFromEnv } from "../register/env.js";
import { currentSession } from "../session/context.js";
import type { AgentSession, SessionInit } from "../session/session.js";
import { AgentCanary } from "./agent-canary.js";
import { UNDECLARED_VERSIONS } from "./undeclared.js";

let defaultRuntime: AgentCanary | undefined;
let unregistered: AgentCanary | undefined;

/** The runtime `session()` uses; register() sets it. */
export function setDefaultRuntime(runtime: AgentCanary | undefined): void {
  defaultRuntime = runtime;
}

export function getDefaultRuntime(): AgentCanary | undefined {
  return defaultRuntime;
}

/**
 * What session() runs on when nothing was registered (a forgotten preload or
 * register() call): the baseline, recording nothing, said once. The baseline
 * comes from the AGENT_CANARY_* variables when they declare one.
 */
function unregisteredRuntime(): AgentCanary {
  if (unregistered) return unregistered;
  const disabled =
    "agent-canary is not registered: session() runs its function on the baseline version with no routing, guards or telemetry. " +
    "Call register({...}) at startup, or start node with --import @agent-canary/instrumentation/register.";
  const versions = baselineFromEnv();
  unregistered = versions
    ? new AgentCanary({ deployment: "unregistered", versions }, { disabled })
    : new AgentCanary({ deployment: "unregistered", versions: { baseline: { model: "undeclared" } } }, { disabled, versions: UNDECLARED_VERSIONS });
  return unregistered;
}

/** The versions the AGENT_CANARY_* variables declare, if they parse; never throws. */
export function baselineFromEnv(): ReturnType<typeof VersionsSchema.parse> | undefined {
  try {
    const options = optionsFromEnv(process.env).options as { versions?: unknown };
    const parsed = VersionsSchema.safeParse(options.versions);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `fn` as an agent session on the runtime register() set up. See
 * AgentCanary.session(). Without a registration (or with
 * AGENT_CANARY_DISABLED=1) the function still runs, on the baseline.
 */
export function session<T>(init: SessionInit, fn: (session: AgentSession) => Promise<T> | T): Promise<T> {
  return (defaultRuntime ?? unregisteredRuntime()).session(init, fn);
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
