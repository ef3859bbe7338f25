import {
  AuditEntrySchema,
  RolloutStateSchema,
  type AuditEntry,
  type CasResult,
  type RolloutState,
  type RolloutStore,
  type StateEvent,
} from "@agent-canary/rollout-state";

/**
 * A RolloutStore in memory, for property tests that run thousands of transitions
 * (FileStore's fsync per write would make them take minutes). It keeps the store
 * contract the transitions rely on: compare-and-set on the revision, revision + 1
 * per write, the audit entry appended with the write, and both validated.
 * The real stores are held to the same contract by conformance.ts.
 */
export class MemoryStore implements RolloutStore {
  readonly states = new Map<string, RolloutState>();
  readonly audit = new Map<string, AuditEntry[]>();
  /** Called before each compare-and-set: a test makes another writer win the race here. */
  beforeCompareAndSet: (deployment: string) => void | Promise<void> = () => {};
  reads = 0;

  async read(deployment: string): Promise<RolloutState | undefined> {
    this.reads++;
    return this.states.get(deployment);
  }

  async compareAndSet(deployment: string, expectedRevision: number | null, next: RolloutState, entry: AuditEntry): Promise<CasResult> {
    await this.beforeCompareAndSet(deployment);
    const current = this.states.get(deployment);
    if ((current?.revision ?? null) !== expectedRevision) return { ok: false, reason: "conflict", current };
    this.put(deployment, next, entry, expectedRevision);
    return { ok: true, state: RolloutStateSchema.parse(next) };
  }

  /** Writes as another replica would, bypassing the caller's view (for races). */
  put(deployment: string, next: RolloutState, entry: AuditEntry, expectedRevision: number | null): void {
    const state = RolloutStateSchema.parse(next);
    const parsed = AuditEntrySchema.parse(entry);
    const want = expectedRevision === null ? 0 : expectedRevision + 1;
    if (state.revision !== want || parsed.toRevision !== want || parsed.fromRevision !== expectedRevision || state.deployment !== deployment) {
      throw new Error(`MemoryStore: a write to ${deployment} must move revision ${String(expectedRevision)} to ${want}`);
    }
    this.states.set(deployment, state);
    this.audit.set(deployment, [...(this.audit.get(deployment) ?? []), parsed]);
  }

  watch(deployment: string, onEvent: (event: StateEvent) => void): () => void {
    const state = this.states.get(deployment);
    onEvent(state ? { kind: "state", state } : { kind: "missing" });
    return () => {};
  }

  async record(deployment: string, entry: AuditEntry): Promise<void> {
    this.audit.set(deployment, [...(this.audit.get(deployment) ?? []), AuditEntrySchema.parse(entry)]);
  }

  async auditLog(deployment: string): Promise<AuditEntry[]> {
    return this.audit.get(deployment) ?? [];
  }

  async list(): Promise<string[]> {
    return [...this.states.keys()];
  }

  async close(): Promise<void> {}
}
