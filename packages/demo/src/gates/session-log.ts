import type { SessionRecord } from "@agent-canary/gate-rules";

/** A session as the demo saw it end: what the gates need plus when it ran (clock ms). */
export interface TimedSession extends SessionRecord {
  id: string;
  startedAt: number;
  endedAt: number;
}

/**
 * Every session the fleet finished, in end order. The embedded evaluator reads
 * windows of it; the drain check reads who started when.
 */
export class SessionLog {
  private readonly sessions: TimedSession[] = [];

  add(session: TimedSession): void {
    this.sessions.push(session);
  }

  get size(): number {
    return this.sessions.length;
  }

  /** Sessions that ended in (from, to]. */
  endedBetween(from: number, to: number): TimedSession[] {
    return this.sessions.filter((s) => s.endedAt > from && s.endedAt <= to);
  }

  /** Sessions per arm that ended in (from, to]. */
  countBetween(from: number, to: number): { baseline: number; canary: number } {
    const counts = { baseline: 0, canary: 0 };
    for (const s of this.sessions) if (s.endedAt > from && s.endedAt <= to) counts[s.group] += 1;
    return counts;
  }

  all(): readonly TimedSession[] {
    return this.sessions;
  }
}
