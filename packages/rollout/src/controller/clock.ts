import { setTimeout as sleep } from "node:timers/promises";

/** Time as the controller sees it; injectable so tests need no sleeps and the demo can compress hours into seconds. */
export interface Clock {
  now(): Date;
  /** Waits `ms` of this clock's time; rejects with an AbortError when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}),
};

/**
 * A clock whose time runs `factor` times faster than real time from the moment it
 * is made: with factor 3600 an hour-long stage passes in a second.
 */
export function scaledClock(factor: number, origin: Date = new Date()): Clock {
  const realStart = Date.now();
  return {
    now: () => new Date(origin.getTime() + (Date.now() - realStart) * factor),
    sleep: (ms, signal) => sleep(ms / factor, undefined, signal ? { signal } : {}),
  };
}

/** A clock that only moves when it sleeps: each sleep advances time at once. For tests and simulations. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date = new Date("2026-01-01T00:00:00Z")) {
    this.current = start.getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.current += ms;
    // Yield so other work (stop requests, store writes) interleaves as with a real sleep.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
