import type { StateEvent } from "./store.js";

/** Identifies what a watcher was last told, so an unchanged re-read is not reported again. */
export function eventKey(event: StateEvent): string {
  if (event.kind === "state") return `s${JSON.stringify(event.state)}`;
  return event.kind === "invalid" ? `i${event.error.message}` : "m";
}

/**
 * Calls a watcher. Its callback runs inside the store's timers and promise chains:
 * a throw there would be an unhandled rejection (fatal in Node) or would break the
 * chain that delivers later events, so a router would stop hearing of rollbacks.
 * The error is reported as a process warning and the watch goes on.
 */
export function deliver(onEvent: (event: StateEvent) => void, event: StateEvent): void {
  try {
    onEvent(event);
  } catch (error) {
    process.emitWarning(`rollout state watcher threw: ${error instanceof Error ? error.message : String(error)}`, { code: "AGENT_CANARY_WATCHER" });
  }
}
