import { mkdir, readdir, readFile, unlink } from "node:fs/promises";
import { basename } from "node:path";
import { InvalidStateError } from "../errors.js";
import { checkCasArguments, checkRecordEntry, parseAuditLine, parseStoredState } from "../parse.js";
import type { AuditEntry, RolloutState } from "../schema.js";
import type { CasResult, RolloutStore, StateEvent } from "../store.js";
import { appendSynced, fsyncDirectory, readLastLine, renameSynced, truncateTornTail, writeFileSynced } from "./durable.js";
import { withFileLock } from "./lock.js";
import { deploymentOfStateFile, deploymentPaths, parseStagedName, type DeploymentPaths } from "./paths.js";
import { watchStateFile } from "./watch.js";

export interface FileStoreOptions {
  /** The directory holding `<deployment>.json` and `<deployment>.audit.jsonl`. Created on first write. */
  dir: string;
  /** How long a writer waits for another writer's lock. Default 10 s. */
  lockTimeoutMs?: number;
  /** A lock file older than this is broken even if its pid is alive. Default 30 s. */
  staleLockMs?: number;
  /** Safety-net poll interval for watch(), in case fs.watch misses an event. Default 2 s. */
  pollIntervalMs?: number;
  /** fs.watch events are coalesced for this long before re-reading. Default 20 ms. */
  debounceMs?: number;
}

/**
 * The embedded store: one JSON file per deployment plus an append-only JSONL audit log.
 *
 * A write, under a per-deployment lock file, goes:
 *   1. stage the next state in `<dep>.json.<rev>.tmp`, fsync it and the directory;
 *   2. append the audit entry and fsync the log (the commit point);
 *   3. rename the staged file over `<dep>.json` and fsync the directory;
 * and only then resolves. A writer killed between 2 and 3 leaves an audit entry one
 * revision ahead of the state with its staged file next to it; the next writer
 * (recovery runs under the lock before every write) rolls that state forward. So
 * after any crash state and audit agree, and an acknowledged write is never lost.
 */
export class FileStore implements RolloutStore {
  readonly dir: string;
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;
  private readonly pollIntervalMs: number;
  private readonly debounceMs: number;
  private readonly watchers = new Set<() => void>();
  private dirReady: Promise<void> | undefined;

  constructor(options: FileStoreOptions) {
    this.dir = options.dir;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.staleLockMs = options.staleLockMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.debounceMs = options.debounceMs ?? 20;
  }

  async read(deployment: string): Promise<RolloutState | undefined> {
    const paths = deploymentPaths(this.dir, deployment);
    const raw = await readIfExists(paths.state);
    return raw === undefined ? undefined : parseStoredState(paths.state, raw, deployment);
  }

  async compareAndSet(deployment: string, expectedRevision: number | null, next: RolloutState, audit: AuditEntry): Promise<CasResult> {
    const checked = checkCasArguments(deployment, expectedRevision, next, audit);
    const paths = deploymentPaths(this.dir, deployment);
    await this.ensureDir();
    return withFileLock(paths.lock, { timeoutMs: this.lockTimeoutMs, staleMs: this.staleLockMs }, async () => {
      await this.recover(deployment, paths);
      const current = await this.read(deployment);
      if ((current?.revision ?? null) !== expectedRevision) return { ok: false, reason: "conflict", current };
      const staged = paths.staged(checked.revision);
      await writeFileSynced(staged, `${JSON.stringify(checked, null, 2)}\n`);
      // The staged name must be durable before the commit point: after a power loss, an
      // audit entry whose staged file vanished could be neither rolled forward nor undone.
      await fsyncDirectory(this.dir);
      await appendSynced(paths.audit, `${JSON.stringify(audit)}\n`);
      if (expectedRevision === null) await fsyncDirectory(this.dir); // the audit log may be new
      await renameSynced(staged, paths.state, this.dir);
      return { ok: true, state: checked };
    });
  }

  /** Appends a no-change audit entry, stamped with the current revision under the write lock. */
  async record(deployment: string, entry: AuditEntry): Promise<void> {
    const paths = deploymentPaths(this.dir, deployment);
    await this.ensureDir();
    await withFileLock(paths.lock, { timeoutMs: this.lockTimeoutMs, staleMs: this.staleLockMs }, async () => {
      await this.recover(deployment, paths);
      const revision = (await this.read(deployment))?.revision ?? null;
      const stamped = checkRecordEntry(deployment, entry, revision);
      await appendSynced(paths.audit, `${JSON.stringify(stamped)}\n`);
    });
  }

  watch(deployment: string, onEvent: (event: StateEvent) => void): () => void {
    const paths = deploymentPaths(this.dir, deployment);
    const stop = watchStateFile({
      dir: this.dir,
      file: paths.state,
      pollIntervalMs: this.pollIntervalMs,
      debounceMs: this.debounceMs,
      parse: (raw) => parseStoredState(paths.state, raw, deployment),
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
    const raw = await readIfExists(paths.audit);
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

  async close(): Promise<void> {
    for (const stop of [...this.watchers]) stop();
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

  /** Finishes or discards the work of a writer that died holding the lock. */
  private async recover(deployment: string, paths: DeploymentPaths): Promise<void> {
    await truncateTornTail(paths.audit);
    const lastLine = await readLastLine(paths.audit);
    const lastAudit = lastLine === undefined ? undefined : parseAuditLine(`${paths.audit} (last line)`, lastLine);
    const stateRaw = await readIfExists(paths.state);
    const stateRevision = stateRaw === undefined ? null : parseStoredState(paths.state, stateRaw, deployment).revision;
    // A commit entry one revision ahead of the state means the rename did not happen.
    const pending = lastAudit && lastAudit.fromRevision === stateRevision && lastAudit.toRevision !== stateRevision ? lastAudit.toRevision : undefined;
    for (const name of await readdir(this.dir)) {
      const staged = parseStagedName(name);
      if (staged?.deployment !== deployment) continue;
      const path = paths.staged(staged.revision);
      if (staged.revision === pending) {
        // Committed in the audit log but not yet renamed: roll forward.
        parseStoredState(path, await readFile(path, "utf8"), deployment);
        await renameSynced(path, paths.state, this.dir);
      } else {
        // Staged but never committed: the write was not acknowledged, drop it.
        await unlink(path);
      }
    }
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if ((error as NodeJS.ErrnoException).code === "EISDIR") throw new InvalidStateError(basename(path), "", "is a directory");
    throw error;
  }
}
