import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { StoreUnavailableError, type InvalidStateError } from "../errors.js";
import { KeyedQueue } from "../keyed-queue.js";
import { checkCasArguments, checkRecordEntry, parseAuditLine } from "../parse.js";
import type { AuditEntry, RolloutState } from "../schema.js";
import type { CasResult, DurabilityReport, RolloutStore, StateEvent } from "../store.js";
import { readStateEvent } from "../watch-events.js";
import { withTimeout } from "../timeout.js";
import { readCommitted } from "./committed.js";
import { appendSynced, fsyncDirectory, readOwnFile, renameSynced, writeFileSynced } from "./durable.js";
import { withFileLock, type HeldLock } from "./lock.js";
import { deploymentOfStateFile, deploymentPaths, type DeploymentPaths } from "./paths.js";
import { resolveFileStoreOptions, type FileStoreOptions, type ResolvedFileStoreOptions } from "./options.js";
import { recoverUnderLock } from "./recovery.js";
import { watchStateFile } from "./watch.js";

const WARNING_CODE = "AGENT_CANARY_STORE";
const PROBE_PREFIX = ".agent-canary-probe.";

/**
 * The embedded store: one JSON file per deployment plus an append-only JSONL audit log.
 *
 * A write, queued behind the other writes of this process to the same deployment and then
 * under a per-deployment lock file shared with other processes, goes:
 *   1. stage the next state in `<dep>.json.<rev>.<token>.tmp`, fsync it and the directory;
 *   2. append the audit entry and fsync the log (the commit point);
 *   3. rename the staged file over `<dep>.json` and fsync the directory;
 * and only then resolves. A writer killed between 2 and 3 leaves an audit entry one
 * revision ahead of the state with its staged file next to it: readers already see that
 * committed state, and the next writer renames it into place. So after any crash state and
 * audit agree, and an acknowledged write is never lost.
 */
export class FileStore implements RolloutStore {
  readonly dir: string;
  /** The options in force, defaults filled in. */
  readonly options: ResolvedFileStoreOptions;
  private readonly watchers = new Set<() => void>();
  private readonly writes = new KeyedQueue();
  private readonly warned = new Set<string>();
  private dirReady: Promise<void> | undefined;

  /** Throws a TypeError naming the option when one is not a usable number of milliseconds. */
  constructor(options: FileStoreOptions) {
    this.options = resolveFileStoreOptions(options);
    this.dir = this.options.dir;
  }

  async read(deployment: string): Promise<RolloutState | undefined> {
    return readCommitted(deploymentPaths(this.dir, deployment), deployment, this.onCorruptAudit);
  }

  async compareAndSet(deployment: string, expectedRevision: number | null, next: RolloutState, audit: AuditEntry): Promise<CasResult> {
    const checked = checkCasArguments(deployment, expectedRevision, next, audit);
    return this.underLock(deployment, async (paths, lock) => {
      const current = await recoverUnderLock(paths, deployment, this.onCorruptAudit);
      if ((current?.revision ?? null) !== expectedRevision) return { ok: false, reason: "conflict", current };
      await this.commit(paths, lock, checked, audit, expectedRevision === null);
      return { ok: true, state: checked };
    });
  }

  /** Appends a no-change audit entry, stamped with the current revision under the write lock. */
  async record(deployment: string, entry: AuditEntry): Promise<void> {
    await this.underLock(deployment, async (paths) => {
      const current = await recoverUnderLock(paths, deployment, this.onCorruptAudit);
      const stamped = checkRecordEntry(deployment, entry, current?.revision ?? null);
      await appendSynced(paths.audit, `${JSON.stringify(stamped)}\n`);
    });
  }

  watch(deployment: string, onEvent: (event: StateEvent) => void): () => void {
    const stop = watchStateFile({
      dir: this.dir,
      file: deploymentPaths(this.dir, deployment).state,
      pollIntervalMs: this.options.pollIntervalMs,
      debounceMs: this.options.debounceMs,
      staleAfterMs: this.options.staleAfterMs,
      readEvent: () => readStateEvent(() => this.read(deployment)),
      onEvent,
    });
    const unsubscribe = (): void => {
      stop();
      this.watchers.delete(unsubscribe);
    };
    this.watchers.add(unsubscribe);
    return unsubscribe;
  }

  async auditLog(deployment: string, options?: { limit?: number }): Promise<AuditEntry[]> {
    const paths = deploymentPaths(this.dir, deployment);
    // slice(-0) would return everything.
    if (options?.limit === 0) return [];
    const raw = await readOwnFile(paths.audit);
    if (raw === undefined) return [];
    const lines = raw.split("\n");
    // The text after the last newline is a torn append that was never acknowledged.
    lines.pop();
    const entries = lines.map((line, index) => parseAuditLine(`${paths.audit}:${index + 1}`, line));
    return options?.limit === undefined ? entries : entries.slice(-options.limit);
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return names.flatMap((name) => deploymentOfStateFile(name) ?? []).sort();
  }

  /** Creates, fsyncs and removes a probe file: the directory is there, writable, and the disk not full. */
  async probe(timeoutMs: number): Promise<void> {
    const work = async (): Promise<void> => {
      await this.ensureDir();
      const probe = join(this.dir, `${PROBE_PREFIX}${randomBytes(8).toString("hex")}`);
      await writeFileSynced(probe, "probe\n");
      await unlink(probe);
      await this.removeOldProbes();
    };
    try {
      await withTimeout(work(), timeoutMs, "the file store");
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      throw new StoreUnavailableError(`the file store's directory cannot be written (${code})`);
    }
  }

  durability(): Promise<DurabilityReport> {
    return Promise.resolve({ durable: true, findings: ["file store: every write is fsynced (state, audit line, directory) before it is acknowledged"] });
  }

  async close(): Promise<void> {
    for (const stop of [...this.watchers]) stop();
  }

  /** In-process writers of a deployment queue; then the file lock orders them against other processes. */
  private underLock<T>(deployment: string, body: (paths: DeploymentPaths, lock: HeldLock) => Promise<T>): Promise<T> {
    const paths = deploymentPaths(this.dir, deployment);
    return this.writes.run(deployment, async () => {
      await this.ensureDir();
      try {
        return await withFileLock(paths.lock, { timeoutMs: this.options.lockTimeoutMs, leaseMs: this.options.staleLockMs }, (lock) => body(paths, lock));
      } catch (error) {
        throw this.explainMissingDir(error);
      }
    });
  }

  /**
   * The directory was there when this store made it, and is gone now (removed, unmounted, being
   * restored). It is not made again: `cp -r backup dir` would then copy into it, one level too
   * deep. The write fails as unavailable (the receiver answers 503, Alertmanager retries) until
   * the directory is back.
   */
  private explainMissingDir(error: unknown): unknown {
    // Whatever the failure (ENOENT on the lock, ENOTDIR), a missing directory is the cause to tell.
    if (existsSync(this.dir)) return error;
    return new StoreUnavailableError("the file store's directory is gone (removed or unmounted after the store created it); restore it or create it again, nothing was written", { cause: error });
  }

  /** Stage, commit (audit append), rename: see the class comment. */
  private async commit(paths: DeploymentPaths, lock: HeldLock, next: RolloutState, audit: AuditEntry, first: boolean): Promise<void> {
    const staged = paths.staged(next.revision, randomBytes(8).toString("hex"));
    try {
      await writeFileSynced(staged, `${JSON.stringify(next, null, 2)}\n`);
      // The staged name must be durable before the commit point: after a power loss, an
      // audit entry whose staged file vanished could be neither rolled forward nor undone.
      await fsyncDirectory(this.dir);
      // A writer that stalled past its lease must not commit on top of the one that broke its lock.
      await lock.assertHeld();
    } catch (error) {
      await unlink(staged).catch(() => undefined);
      throw error;
    }
    // From here on the staged file stays until renamed: if the append reached the disk, it is committed.
    await appendSynced(paths.audit, `${JSON.stringify(audit)}\n`);
    if (first) await fsyncDirectory(this.dir); // the audit log may be new
    await renameSynced(staged, paths.state, this.dir);
  }

  /** A corrupt last audit line no longer blocks writes; it is reported once per line. */
  private readonly onCorruptAudit = (error: InvalidStateError): void => {
    if (this.warned.has(error.message)) return;
    this.warned.add(error.message);
    process.emitWarning(error.message, { code: WARNING_CODE });
  };

  private async removeOldProbes(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (!name.startsWith(PROBE_PREFIX)) continue;
      const file = join(this.dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > 60_000) await unlink(file).catch(() => undefined);
    }
  }

  private ensureDir(): Promise<void> {
    // A failure is not cached: a long-running receiver must recover once the directory can be made.
    this.dirReady ??= mkdir(this.dir, { recursive: true }).then(
      () => undefined,
      (error: unknown) => {
        this.dirReady = undefined;
        throw error;
      },
    );
    return this.dirReady;
  }
}
