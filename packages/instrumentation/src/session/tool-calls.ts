import type { GuardsConfig } from "../guards/config.js";
import type { LoopMatch } from "../guards/errors.js";
import { LoopDetector } from "../guards/loop-detector.js";

/**
 * A session's tool calls: the signatures the model asked for that the agent
 * has not yet run through tool() (so a requested call is counted once), and
 * the loop detection they feed. Created on the session's first tool call.
 * It is its own loop detector (rather than holding one) so a session with
 * tool calls costs one object, not two: memory per live session is a target.
 */
export class ToolCalls extends LoopDetector {
  /** Nothing, one signature pending once (the common case, no Map), or a count per signature. */
  private pending: string | Map<string, number> | undefined;
  /** Loops detected in this session (enforce or record mode). */
  loopTrips = 0;

  constructor(private readonly loop: GuardsConfig["loop"]) {
    super(loop);
  }

  /** The model asked for this call; the agent will run it later. */
  request(signature: string): void {
    const pending = this.pending;
    if (pending === undefined) {
      this.pending = signature;
    } else if (typeof pending === "string") {
      this.pending = new Map<string, number>([[pending, 1]]);
      this.pending.set(signature, (this.pending.get(signature) ?? 0) + 1);
    } else {
      pending.set(signature, (pending.get(signature) ?? 0) + 1);
    }
  }

  /** The agent runs a call: true if the model's request for it was already counted. */
  consume(signature: string): boolean {
    const pending = this.pending;
    if (pending === undefined) return false;
    if (typeof pending === "string") {
      if (pending !== signature) return false;
      this.pending = undefined;
      return true;
    }
    const n = pending.get(signature);
    if (!n) return false;
    if (n === 1) pending.delete(signature);
    else pending.set(signature, n - 1);
    return true;
  }

  /** Feeds the loop detection; returns the loop this call completes, reported once. */
  feed(signature: string): LoopMatch | undefined {
    if (!this.loop.enabled) return undefined;
    const match = this.record(signature);
    if (!match) return undefined;
    this.reset();
    this.loopTrips += 1;
    return match;
  }
}
