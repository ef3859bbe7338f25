import type { AuditEntry, CasResult, RolloutState, RolloutStore, StateEvent } from "@agent-canary/rollout-state";
import { OptionsError } from "../options-error.js";

/**
 * A store given as a spec: file:<dir> (or a bare directory) or redis://...
 * The scheme is checked at once, so a wrong spec fails register(); the store
 * code (and with it the Redis client) loads only when the store is used.
 */
export function storeSpecOf(option: string): string {
  // A bare path means the file store; anything URL-shaped must be a scheme openStore knows.
  const spec = /^(file:|[a-z][a-z0-9+.-]*:\/\/)/i.test(option) ? option : `file:${option}`;
  if (/^(file:.|rediss?:\/\/.)/.test(spec)) return spec;
  throw new OptionsError("register() options", [
    { path: "store", message: `store "${spec}" is neither file:<dir> nor redis://host:port; e.g. file:./rollout-state or redis://127.0.0.1:6379` },
  ]);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Opens the store a spec names on first use, through a dynamic import of @agent-canary/rollout-state. */
export class LazyStore implements RolloutStore {
  private readonly opened: Promise<RolloutStore>;

  constructor(readonly spec: string) {
    this.opened = import("@agent-canary/rollout-state").then((m) => m.openStore(spec));
    // A failure is reported to whoever uses the store (the router fails closed and says why).
    this.opened.catch(() => undefined);
  }

  read(deployment: string): Promise<RolloutState | undefined> {
    return this.opened.then((store) => store.read(deployment));
  }

  compareAndSet(deployment: string, expectedRevision: number | null, next: RolloutState, audit: AuditEntry): Promise<CasResult> {
    return this.opened.then((store) => store.compareAndSet(deployment, expectedRevision, next, audit));
  }

  watch(deployment: string, onEvent: (event: StateEvent) => void): () => void {
    let unsubscribe: (() => void) | undefined;
    let cancelled = false;
    const failed = (error: unknown) => {
      if (!cancelled) onEvent({ kind: "invalid", error: new Error(`cannot open the rollout state store ${this.spec}: ${message(error)}`) });
    };
    this.opened.then((store) => {
      if (cancelled) return;
      try {
        unsubscribe = store.watch(deployment, onEvent);
      } catch (error) {
        failed(error);
      }
    }, failed);
    return () => {
      cancelled = true;
      unsubscribe?.();
    };
  }

  async record(deployment: string, entry: AuditEntry): Promise<void> {
    const store = await this.opened;
    await store.record?.(deployment, entry);
  }

  auditLog(deployment: string, options?: { limit?: number }): Promise<AuditEntry[]> {
    return this.opened.then((store) => store.auditLog(deployment, options));
  }

  list(): Promise<string[]> {
    return this.opened.then((store) => store.list());
  }

  async close(): Promise<void> {
    const store = await this.opened.catch(() => undefined);
    await store?.close();
  }
}
