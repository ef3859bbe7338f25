import type { AuditEntry, RolloutState } from "./schema.js";

export type CasResult =
  | { ok: true; state: RolloutState }
  | { ok: false; reason: "conflict"; current: RolloutState | undefined };

/**
 * What a watcher is told: the new state, or why there is no state to act on. Every kind
 * but `state` means "fail closed": `missing` (no state stored), `invalid` (a state that
 * does not parse), `unavailable` (the store has not confirmed the state for longer than
 * its staleness bound: hung, stopped or unreachable; the last state may be out of date).
 */
export type StateEvent =
  | { kind: "state"; state: RolloutState }
  | { kind: "missing" }
  | { kind: "invalid"; error: Error }
  | { kind: "unavailable"; error: Error };

/** What an acknowledged write survives, as far as the store can tell. */
export interface DurabilityReport {
  /** True when an acknowledged write survives the store's process being killed. */
  durable: boolean;
  /** One line per finding, for the receiver's start-up log. */
  findings: string[];
  /** What to change to make acknowledgements durable, when they are not. */
  advice?: string;
}

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
  /**
   * Checks that the store can be read and written now, within `timeoutMs`; rejects with
   * StoreUnavailableError otherwise. Writes nothing a reader sees. Optional.
   */
  probe?(timeoutMs: number): Promise<void>;
  /** How durable an acknowledged write is with this store's configuration. Optional. */
  durability?(): Promise<DurabilityReport>;
  close(): Promise<void>;
}
