import { AsyncLocalStorage } from "node:async_hooks";
import type { AgentSession } from "./session.js";

/** Carries the running session through the agent's async code to the SDK calls it makes. */
export const sessionStorage = new AsyncLocalStorage<AgentSession>();

/** The session the calling code runs in, if any. */
export function currentSession(): AgentSession | undefined {
  return sessionStorage.getStore();
}
