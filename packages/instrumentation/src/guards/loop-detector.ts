import { canonicalJson } from "@agent-canary/conventions";
import type { LoopMatch } from "./errors.js";

/** A tool call's identity for loop detection: the tool name and its arguments in canonical JSON. */
export function callSignature(toolName: string, args: unknown): string {
  return `${toolName}(${canonicalJson(normaliseArgs(args))})`;
}

/** Models send arguments as a JSON string; parse it so formatting differences do not hide a loop. */
function normaliseArgs(args: unknown): unknown {
  if (typeof args !== "string") return args ?? {};
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

export interface LoopDetectorOptions {
  /** Longest cycle looked for: 1 catches A,A,A; 2 catches A,B,A,B,A,B; and so on. */
  maxCycleLength: number;
  /** How many back-to-back repetitions of the cycle make a loop. */
  repeats: number;
}

/**
 * Finds a cycle of 1..maxCycleLength signatures repeated `repeats` times at the
 * end of a session's call history. Only the tail that could form a loop is kept.
 */
export class LoopDetector {
  private history: string[] = [];
  private readonly window: number;

  constructor(private readonly options: LoopDetectorOptions) {
    this.window = options.maxCycleLength * options.repeats;
  }

  /** Records a call; returns the loop it completes, if any. */
  record(signature: string): LoopMatch | undefined {
    // The first call gets an array of exactly one slot: a session with a single call keeps no spare capacity.
    if (this.history.length === 0) this.history = [signature];
    else this.history.push(signature);
    if (this.history.length > this.window) this.history.shift();
    for (let len = 1; len <= this.options.maxCycleLength; len++) {
      if (this.endsWithRepeatedCycle(len)) {
        const cycle = this.history.slice(this.history.length - len);
        return { cycle, repeats: this.options.repeats };
      }
    }
    return undefined;
  }

  /** Forget the history, so one trip is reported once rather than on every further call. */
  reset(): void {
    this.history.length = 0;
  }

  private endsWithRepeatedCycle(len: number): boolean {
    const needed = len * this.options.repeats;
    if (this.history.length < needed) return false;
    const start = this.history.length - needed;
    for (let i = start + len; i < this.history.length; i++) {
      if (this.history[i] !== this.history[i - len]) return false;
    }
    return true;
  }
}
