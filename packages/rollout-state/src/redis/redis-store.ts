import { Redis, type RedisOptions } from "ioredis";
import { CasContractError } from "../errors.js";
import { checkCasArguments, checkRecordEntry, parseAuditLine, parseStoredState } from "../parse.js";
import { DeploymentNameSchema, type AuditEntry, type RolloutState } from "../schema.js";
import type { CasResult, RolloutStore, StateEvent } from "../store.js";
import { deliver, eventKey } from "../watch-events.js";
import { CAS_SCRIPT, RECORD_SCRIPT } from "./cas-script.js";

export interface RedisStoreOptions {
  /** redis://[user:pass@]host:port[/db] */
  url: string;
  /** Key prefix, so several environments can share one Redis. Default "agent-canary:". */
  prefix?: string;
  /** Safety-net re-read interval for watch(), on top of pub/sub. Default 10 s. */
  pollIntervalMs?: number;
  /** Extra ioredis options (TLS, timeouts). */
  redis?: RedisOptions;
}

interface Listener {
  deployment: string;
  onEvent: (event: StateEvent) => void;
  lastKey: string | undefined;
  /** Refreshes run one after another so an older read never reports after a newer one. */
  chain: Promise<void>;
}

/**
 * The store for many replicas. State lives in a hash per deployment (`state`,
 * `revision`), the audit log in a stream per deployment, and every write publishes
 * `<deployment> <revision>` so routers learn of a rollback within milliseconds.
 * Watchers re-read on every (re)connect, so a change published while the
 * subscriber was disconnected is not missed.
 *
 * Durability is Redis's: run it with `appendonly yes` and `appendfsync always` when
 * a webhook reply must mean the rollback survives a Redis crash.
 */
export class RedisStore implements RolloutStore {
  private readonly client: Redis;
  private subscriber: Redis | undefined;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly pollIntervalMs: number;
  private readonly listeners = new Set<Listener>();
  private poll: NodeJS.Timeout | undefined;

  constructor(private readonly options: RedisStoreOptions) {
    this.prefix = options.prefix ?? "agent-canary:";
    this.channel = `${this.prefix}changes`;
    this.pollIntervalMs = options.pollIntervalMs ?? 10_000;
    this.client = new Redis(options.url, { lazyConnect: false, maxRetriesPerRequest: 3, ...options.redis });
    // Connection errors surface on the commands that fail; the event itself must not crash the process.
    this.client.on("error", () => undefined);
  }

  private stateKey(deployment: string): string {
    return `${this.prefix}state:${DeploymentNameSchema.parse(deployment)}`;
  }
  private auditKey(deployment: string): string {
    return `${this.prefix}audit:${DeploymentNameSchema.parse(deployment)}`;
  }
  private get deploymentsKey(): string {
    return `${this.prefix}deployments`;
  }

  async read(deployment: string): Promise<RolloutState | undefined> {
    const key = this.stateKey(deployment);
    const raw = await this.client.hget(key, "state");
    return raw === null ? undefined : parseStoredState(`redis key ${key}`, raw, deployment);
  }

  async compareAndSet(deployment: string, expectedRevision: number | null, next: RolloutState, audit: AuditEntry): Promise<CasResult> {
    const checked = checkCasArguments(deployment, expectedRevision, next, audit);
    const key = this.stateKey(deployment);
    const reply = (await this.client.eval(
      CAS_SCRIPT,
      3,
      key,
      this.auditKey(deployment),
      this.deploymentsKey,
      String(expectedRevision ?? -1),
      JSON.stringify(checked),
      String(checked.revision),
      JSON.stringify(audit),
      deployment,
      this.channel,
    )) as [number, string | null | undefined];
    if (reply[0] === 1) return { ok: true, state: checked };
    const raw = reply[1];
    return { ok: false, reason: "conflict", current: typeof raw === "string" ? parseStoredState(`redis key ${key}`, raw, deployment) : undefined };
  }

  /** Appends a no-change audit entry; the script stamps it with the current revision. */
  async record(deployment: string, entry: AuditEntry): Promise<void> {
    // Validated with a placeholder revision here; the script writes the real one atomically.
    const checked = checkRecordEntry(deployment, entry, 0);
    const done = await this.client.eval(RECORD_SCRIPT, 2, this.stateKey(deployment), this.auditKey(deployment), JSON.stringify(checked));
    if (done !== 1) throw new CasContractError(`cannot record an event for ${deployment}: it has no state yet`);
  }

  watch(deployment: string, onEvent: (event: StateEvent) => void): () => void {
    const listener: Listener = { deployment: DeploymentNameSchema.parse(deployment), onEvent, lastKey: undefined, chain: Promise.resolve() };
    this.listeners.add(listener);
    this.ensureSubscriber();
    void this.refresh(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopSubscriber();
    };
  }

  async auditLog(deployment: string, options?: { limit?: number }): Promise<AuditEntry[]> {
    const key = this.auditKey(deployment);
    // Some Redis versions read COUNT 0 as "no limit".
    if (options?.limit === 0) return [];
    const rows =
      options?.limit === undefined
        ? await this.client.xrange(key, "-", "+")
        : (await this.client.xrevrange(key, "+", "-", "COUNT", options.limit)).reverse();
    return rows.map(([id, fields]) => {
      const index = fields.indexOf("entry");
      return parseAuditLine(`redis stream ${key} entry ${id}`, fields[index + 1] ?? "");
    });
  }

  async list(): Promise<string[]> {
    return (await this.client.smembers(this.deploymentsKey)).sort();
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.stopSubscriber();
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private ensureSubscriber(): void {
    if (this.subscriber) return;
    const subscriber = new Redis(this.options.url, { ...this.options.redis, maxRetriesPerRequest: null });
    subscriber.on("error", () => undefined);
    subscriber.on("message", (_channel: string, message: string) => {
      const deployment = message.split(" ")[0];
      for (const listener of this.listeners) if (listener.deployment === deployment) void this.refresh(listener);
    });
    // ioredis resubscribes on reconnect; what was published meanwhile is caught by re-reading.
    subscriber.on("ready", () => {
      for (const listener of this.listeners) void this.refresh(listener);
    });
    void subscriber.subscribe(this.channel).catch(() => undefined);
    this.subscriber = subscriber;
    this.poll = setInterval(() => {
      for (const listener of this.listeners) void this.refresh(listener);
    }, this.pollIntervalMs);
    this.poll.unref();
  }

  private stopSubscriber(): void {
    clearInterval(this.poll);
    this.poll = undefined;
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private refresh(listener: Listener): Promise<void> {
    listener.chain = listener.chain.then(() => this.readAndReport(listener));
    return listener.chain;
  }

  private async readAndReport(listener: Listener): Promise<void> {
    let event: StateEvent;
    try {
      const state = await this.read(listener.deployment);
      event = state === undefined ? { kind: "missing" } : { kind: "state", state };
    } catch (error) {
      event = { kind: "invalid", error: error as Error };
    }
    const key = eventKey(event);
    if (key === listener.lastKey || !this.listeners.has(listener)) return;
    listener.lastKey = key;
    deliver(listener.onEvent, event);
  }
}
