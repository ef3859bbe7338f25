import type { Cluster, RedisOptions } from "ioredis";
import { CasContractError, InvalidStateError, StoreUnavailableError } from "../errors.js";
import { checkCasArguments, checkRecordEntry, parseAuditLine, parseStoredState } from "../parse.js";
import { DeploymentNameSchema, type AuditEntry, type RolloutState } from "../schema.js";
import type { CasResult, DurabilityReport, RolloutStore, StateEvent } from "../store.js";
import { readStateEvent } from "../watch-events.js";
import { withTimeout } from "../timeout.js";
import { errorKind } from "./error-kind.js";
import { connectRedis, parseRedisTarget, type RedisClient, type RedisTarget } from "./connection.js";
import { redisDurability } from "./durability.js";
import { CAS_SCRIPT, RECORD_SCRIPT, REPAIR_REVISION_SCRIPT } from "./scripts.js";
import { RedisWatchers } from "./watchers.js";

export interface RedisStoreOptions {
  /**
   * redis://[user:pass@]host:port[/db], rediss://... (TLS),
   * redis+sentinel://[user:pass@]s1:26379,s2:26379/<master name>[/db],
   * redis+cluster://[user:pass@]n1:7000,n2:7001
   */
  url: string;
  /** Key prefix, so several environments can share one Redis. Default "agent-canary:". */
  prefix?: string;
  /** watch() re-reads every this often on top of pub/sub; each read confirms the state. Default 1 s. */
  pollIntervalMs?: number;
  /**
   * A watcher whose store has confirmed nothing for this long is told `unavailable`, so
   * routers fail closed. Default max(5 s, 3 × pollIntervalMs).
   */
  staleAfterMs?: number;
  /** A command without a reply after this long fails (a hung Redis). Default 3 s. */
  commandTimeoutMs?: number;
  /** Connecting gives up after this long, then retries. Default 5 s. */
  connectTimeoutMs?: number;
  /**
   * After each write, wait until this many replicas have it (Redis WAIT) before
   * acknowledging; fewer within waitTimeoutMs fails the write (the caller retries). Default 0.
   * Not on Redis Cluster (WAIT is per node and the client cannot aim it).
   */
  waitReplicas?: number;
  /** How long a write waits for its replicas. Default 2 s. */
  waitTimeoutMs?: number;
  /** Extra ioredis options (TLS certificates, ...), applied to every connection. */
  redis?: RedisOptions;
}

/**
 * The store for many replicas. Each deployment has a state hash (`state`, `revision`) and an
 * audit stream whose keys share the hash tag `{<deployment>}`, so one script can write both on
 * Redis Cluster; a set lists the deployments. Every write publishes `<deployment> <revision>`,
 * so routers learn of a rollback within milliseconds, and re-read on every (re)connect and
 * every second, so a router whose store stops answering fails closed within staleAfterMs.
 *
 * ioredis is loaded on first use. Durability is Redis's: see durability().
 */
export class RedisStore implements RolloutStore {
  private readonly target: RedisTarget;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly clientOptions: RedisOptions;
  private readonly waitReplicas: number;
  private readonly waitTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private clientPromise: Promise<RedisClient> | undefined;
  private readonly watchers: RedisWatchers;
  private readonly warned = new Set<string>();

  constructor(options: RedisStoreOptions) {
    this.target = parseRedisTarget(options.url);
    this.prefix = options.prefix ?? "agent-canary:";
    this.channel = `${this.prefix}changes`;
    this.waitReplicas = options.waitReplicas ?? 0;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 2_000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 3_000;
    if (this.waitReplicas > 0 && this.target.mode === "cluster") throw new CasContractError("waitReplicas is not supported on Redis Cluster: WAIT cannot be aimed at the node that owns a deployment's keys");
    this.clientOptions = {
      connectTimeout: options.connectTimeoutMs ?? 5_000,
      commandTimeout: this.commandTimeoutMs,
      maxRetriesPerRequest: 1,
      ...options.redis,
    };
    const pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.watchers = new RedisWatchers({
      channel: this.channel,
      pollIntervalMs,
      staleAfterMs: options.staleAfterMs ?? Math.max(5_000, 3 * pollIntervalMs),
      client: () => this.client(),
      readEvent: (deployment) => readStateEvent(() => this.read(deployment)),
    });
    // Connect now, as before the import became lazy: the first webhook should not pay for it.
    this.client().catch(() => undefined);
  }

  private key(deployment: string, kind: "state" | "audit"): string {
    return `${this.prefix}{${DeploymentNameSchema.parse(deployment)}}:${kind}`;
  }
  private get deploymentsKey(): string {
    return `${this.prefix}deployments`;
  }

  async read(deployment: string): Promise<RolloutState | undefined> {
    const key = this.key(deployment, "state");
    const raw = await this.run("read the state", (client) => client.hget(key, "state"));
    return raw === null ? undefined : parseStoredState(keySource(key), raw, deployment);
  }

  async compareAndSet(deployment: string, expectedRevision: number | null, next: RolloutState, audit: AuditEntry): Promise<CasResult> {
    const checked = checkCasArguments(deployment, expectedRevision, next, audit);
    return this.run("write the state", (client) => this.casWith(client, deployment, expectedRevision, checked, audit));
  }

  private async casWith(client: RedisClient, deployment: string, expectedRevision: number | null, checked: RolloutState, audit: AuditEntry): Promise<CasResult> {
    // Listed before it exists, so the set never misses a deployment that has a state; the
    // set is an index in its own hash slot, outside the atomic script.
    if (expectedRevision === null) await client.sadd(this.deploymentsKey, deployment);
    const key = this.key(deployment, "state");
    const run = async () =>
      (await client.eval(
        CAS_SCRIPT,
        2,
        key,
        this.key(deployment, "audit"),
        String(expectedRevision ?? -1),
        JSON.stringify(checked),
        String(checked.revision),
        JSON.stringify(audit),
        this.channel,
        `${deployment} ${checked.revision}`,
      )) as [number, string | null | false | undefined, string | null | false | undefined];
    let reply = await run();
    if (reply[0] !== 1 && (await this.repairRevisionField(client, key, deployment, reply[1], reply[2], expectedRevision))) reply = await run();
    if (reply[0] === 1) {
      await this.waitForReplicas(client);
      return { ok: true, state: checked };
    }
    const raw = reply[1];
    return { ok: false, reason: "conflict", current: typeof raw === "string" ? parseStoredState(keySource(key), raw, deployment) : undefined };
  }

  /** Appends a no-change audit entry; the script stamps it with the current revision. */
  async record(deployment: string, entry: AuditEntry): Promise<void> {
    // Validated with a placeholder revision; the script writes the real one atomically.
    const { fromRevision: _from, toRevision: _to, ...unstamped } = checkRecordEntry(deployment, entry, 0);
    const key = this.key(deployment, "state");
    await this.run("record an audit entry", async (client) => {
      const done = await client.eval(RECORD_SCRIPT, 2, key, this.key(deployment, "audit"), JSON.stringify(unstamped));
      // A data defect, not an outage: retrying cannot help, repairing the field does.
      if (typeof done === "string") throw new InvalidStateError(keySource(key), "revision", `is ${JSON.stringify(done)} in the revision field, not a whole number (set it to the state JSON's revision)`);
      if (done !== 1) throw new CasContractError(`cannot record an event for ${deployment}: it has no state yet`);
      await this.waitForReplicas(client);
    });
  }

  watch(deployment: string, onEvent: (event: StateEvent) => void): () => void {
    return this.watchers.add(DeploymentNameSchema.parse(deployment), onEvent);
  }

  async auditLog(deployment: string, options?: { limit?: number }): Promise<AuditEntry[]> {
    const key = this.key(deployment, "audit");
    // Some Redis versions read COUNT 0 as "no limit".
    if (options?.limit === 0) return [];
    const rows = await this.run("read the audit log", async (client) =>
      options?.limit === undefined ? client.xrange(key, "-", "+") : (await client.xrevrange(key, "+", "-", "COUNT", options.limit)).reverse(),
    );
    return rows.map(([id, fields]) => {
      const source = `redis stream ${key} entry ${id}`;
      const index = fields.indexOf("entry");
      const line = index < 0 ? undefined : fields[index + 1];
      if (line === undefined) throw new InvalidStateError(source, "entry", "is missing (this store writes each audit entry as the stream entry's `entry` field)");
      return parseAuditLine(source, line);
    });
  }

  async list(): Promise<string[]> {
    return (await this.run("list deployments", (client) => client.smembers(this.deploymentsKey))).sort();
  }

  /** A write and a read of a probe key: catches a hung or stopped Redis, a read-only replica, an out-of-memory refusal. */
  async probe(timeoutMs: number): Promise<void> {
    const key = `${this.prefix}{probe}`;
    const work = this.run("write a probe key", async (client) => {
      await client.set(key, String(Date.now()), "PX", 60_000);
      await client.get(key);
    });
    await withTimeout(work, timeoutMs, "redis");
  }

  async durability(): Promise<DurabilityReport> {
    const client = await this.client();
    const masters = isCluster(client) ? client.nodes("master") : [client];
    return redisDurability(masters, this.waitReplicas);
  }

  async close(): Promise<void> {
    this.watchers.close();
    const pending = this.clientPromise;
    this.clientPromise = undefined;
    // disconnect, not quit: QUIT waits for a reply (forever on a hung Redis, and it is
    // queued until a reconnect on a lost one); the store's own writes are awaited already.
    (await pending?.catch(() => undefined))?.disconnect();
  }

  /**
   * Runs commands; a failure of Redis itself (timeout, refused or lost connection, READONLY
   * after a failover) becomes StoreUnavailableError, whose message names no address, so the
   * receiver answers 503 and callers can tell "retry" from "repair the data".
   */
  private async run<T>(what: string, body: (client: RedisClient) => Promise<T>): Promise<T> {
    const client = await this.client();
    try {
      return await body(client);
    } catch (error) {
      if (error instanceof InvalidStateError || error instanceof CasContractError || error instanceof StoreUnavailableError) throw error;
      const kind = errorKind(error);
      throw Object.assign(new StoreUnavailableError(`redis could not ${what} (${kind})`, { cause: error }), { code: kind });
    }
  }

  private client(): Promise<RedisClient> {
    this.clientPromise ??= connectRedis(this.target, this.clientOptions).then((client) => {
      // Connection errors surface on the commands that fail; the event itself must not crash the process.
      client.on("error", () => undefined);
      return client;
    });
    return this.clientPromise;
  }

  /**
   * The revision field disagrees with the state JSON when the JSON has exactly the revision
   * the caller expects but the field does not: every compare-and-set would conflict, and no
   * rollback could be written. The JSON is what routers act on, so the field is set to it.
   */
  private async repairRevisionField(client: RedisClient, key: string, deployment: string, raw: unknown, field: unknown, expected: number | null): Promise<boolean> {
    if (typeof raw !== "string" || expected === null) return false;
    let json: RolloutState;
    try {
      json = parseStoredState(keySource(key), raw, deployment);
    } catch {
      return false;
    }
    if (json.revision !== expected || String(field) === String(expected)) return false;
    this.warnOnce(`redis key ${key}: the revision field (${String(field)}) disagrees with the state JSON (${json.revision}); set the field to ${json.revision} so writes can go on`);
    return (await client.eval(REPAIR_REVISION_SCRIPT, 1, key, raw, String(json.revision))) === 1;
  }

  private async waitForReplicas(client: RedisClient): Promise<void> {
    // The constructor refuses waitReplicas on Cluster, so 0 there too.
    if (this.waitReplicas === 0) return;
    const acked = await client.wait(this.waitReplicas, this.waitTimeoutMs);
    if (acked < this.waitReplicas) {
      throw new StoreUnavailableError(`the write reached ${acked} of ${this.waitReplicas} replicas within ${this.waitTimeoutMs} ms; it is not acknowledged (retry)`);
    }
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    process.emitWarning(message, { code: "AGENT_CANARY_STORE" });
  }
}

/** Where a state lives, for error messages and warnings. */
function keySource(key: string): string {
  return `redis key ${key}`;
}

function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster;
}
