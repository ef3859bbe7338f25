import { InvalidStateError } from "./errors.js";
import type { RolloutState } from "./schema.js";
import type { StateEvent } from "./store.js";

/**
 * Reads a state for a watcher: a state that does not parse is `invalid` (routers fail
 * closed at once); a read that failed (I/O error, timeout) is `unavailable`, which the
 * watchers do not report by itself: their staleness bound does.
 */
export async function readStateEvent(read: () => Promise<RolloutState | undefined>): Promise<StateEvent> {
  try {
    const state = await read();
    return state === undefined ? { kind: "missing" } : { kind: "state", state };
  } catch (error) {
    if (error instanceof InvalidStateError) return { kind: "invalid", error };
    return { kind: "unavailable", error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** Identifies what a watcher was last told, so an unchanged re-read is not reported again. */
export function eventKey(event: StateEvent): string {
  switch (event.kind) {
    case "state":
      return `s${JSON.stringify(event.state)}`;
    case "invalid":
      return `i${event.error.message}`;
    case "unavailable":
      // One report per outage: the reason may change while it lasts, the verdict does not.
      return "u";
    case "missing":
      return "m";
  }
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
