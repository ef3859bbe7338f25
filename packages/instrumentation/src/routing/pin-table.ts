import type { VersionGroup } from "@agent-canary/conventions";
import type { Stratum } from "./strata.js";

export interface Pin {
  group: VersionGroup;
  /** The version hash the session started on; it keeps it across a rollback. */
  versionHash: string;
  /** The rollout, percent and assignment it was routed under: its gate-input labels for life. */
  stratum: Stratum;
  /** Capability decisions already taken for this session; created on the first decision. */
  capabilities?: Map<string, boolean> | undefined;
}

/**
 * Remembers the group of recent session ids so a session resumed by id later
 * in the same process keeps its group even after the percent changed or a
 * rollback happened. Bounded: the least recently used id is forgotten past
 * `maxEntries` (default 10 000 ids, roughly 2 MB); a forgotten id is routed
 * afresh by its slot, which only differs from its pin if the rollout moved
 * in between.
 */
export class PinTable {
  private readonly pins = new Map<string, Pin>();

  constructor(private readonly maxEntries: number) {}

  get(sessionId: string): Pin | undefined {
    const pin = this.pins.get(sessionId);
    if (pin) {
      // Map keeps insertion order: re-inserting marks the id most recently used.
      this.pins.delete(sessionId);
      this.pins.set(sessionId, pin);
    }
    return pin;
  }

  set(sessionId: string, pin: Pin): void {
    this.pins.delete(sessionId);
    this.pins.set(sessionId, pin);
    while (this.pins.size > this.maxEntries) {
      const oldest = this.pins.keys().next().value;
      if (oldest === undefined) break;
      this.pins.delete(oldest);
    }
  }

  delete(sessionId: string): void {
    this.pins.delete(sessionId);
  }

  get size(): number {
    return this.pins.size;
  }
}
