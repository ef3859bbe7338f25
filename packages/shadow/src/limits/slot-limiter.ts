/**
 * At most `limit` candidate runs at once. Never queues: a request that finds
 * every slot taken is dropped (and counted) so a backlog of candidate work can
 * never build up behind production traffic.
 */
export class SlotLimiter {
  private used = 0;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  /** A release function, idempotent, or null when no slot is free. */
  tryAcquire(): (() => void) | null {
    if (this.used >= this.limit) return null;
    this.used += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= 1;
    };
  }
}
