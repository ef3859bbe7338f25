import type { AuditEntry, RolloutState } from "./schema.js";

export type CasResult =
  | { ok: true; state: RolloutState }
  | { ok: false; reason: "conflict"; current: RolloutState | undefined };

/** What a watcher is told: the new state, or why the state could not be read. */
export type StateEvent =
  | { kind: "state"; state: RolloutState }
  | { kind: "missing" }
  | { kind: "invalid"; error: Error };

export interface RolloutStore {
  /** The current state, undefined if none. Throws InvalidStateError on a corrupt or invalid state. */
  read(deployment: string): Promise<RolloutState | undefined>;
  /**
   * Write `next` only if the stored revision equals `expectedRevision` (null: no state yet).
   * `next.revision` must be expectedRevision + 1 (0 for a new state). The audit entry is
   * appended in the same durable step. Resolves only once the write is durable.
   */
  compareAndSet(deployment: string, expectedRevision: number | null, next: RolloutState, audit: AuditEntry): Promise<CasResult>;
  /** Calls back on every change (and once with the current state). Returns an unsubscribe function. */
  watch(deployment: string, onEvent: (event: StateEvent) => void): () => void;
  /**
   * Appends an audit entry that records an event without changing the state
   * (fromRevision = toRevision = the current revision): a resolved alert, a
   * duplicate delivery. Durable when it resolves. Optional so older stores still fit.
   */
  record?(deployment: string, entry: AuditEntry): Promise<void>;
  /** Audit entries, oldest first. */
  auditLog(deployment: string, options?: { limit?: number }): Promise<AuditEntry[]>;
  /** Deployments that have a state. */
  list(): Promise<string[]>;
  close(): Promise<void>;
}
