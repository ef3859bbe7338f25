import type { FileHandle } from "node:fs/promises";
import { StoreBusyError } from "../errors.js";
import { breakStaleLock, errorCode, isStale, readLock } from "./lock-break.js";
import { nodeLockIo, type LockIo } from "./lock-io.js";
import { newOwner, parseOwner, type LockOwner } from "./lock-owner.js";
import { removeOrphans } from "./lock-sweep.js";

export interface LockOptions {
  /** Give up after this long (another writer holds the lock). */
  timeoutMs: number;
  /**
   * The lease: a lock its holder has not renewed for this long is stale. Holders renew
   * it (the lock file's mtime) every leaseMs / 5 while they wait and while they hold it.
   */
  leaseMs: number;
  /** The file-system calls and clock the lock uses (default: node:fs/promises and the wall clock); tests replace some. */
  io?: Partial<LockIo>;
}

/** What the body of withFileLock can ask of the lock it runs under. */
export interface HeldLock {
  /**
   * Throws StoreBusyError unless the lock path still holds our lock. A holder that
   * stalled past its lease (SIGSTOP, a frozen VM) may have had it broken; the file store
   * calls this right before its commit point so such a holder commits nothing.
   */
  assertHeld(): Promise<void>;
}

/** The longest wait, in ms before jitter, between two attempts to take the lock. */
const MAX_BACKOFF_MS = 25;

/**
 * Writes the finished lock content to a private file and keeps it open: the handle renews
 * the lease on this inode whichever name it has (pending, then the lock path). A failed
 * write (a full disk) removes the file, so no empty pending file is left behind.
 */
async function createPending(io: LockIo, pending: string, content: string): Promise<FileHandle> {
  const handle = await io.open(pending, "wx");
  try {
    await handle.writeFile(content);
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await io.unlink(pending).catch(() => undefined);
    throw error;
  }
}

/** Renews the lease of the inode behind `handle` until stopped. */
function renewEvery(getHandle: () => FileHandle, leaseMs: number): () => void {
  const timer = setInterval(() => {
    const now = new Date();
    getHandle().utimes(now, now).catch(() => undefined);
  }, Math.max(50, Math.floor(leaseMs / 5)));
  timer.unref();
  return () => clearInterval(timer);
}

async function sameInode(io: LockIo, path: string, handle: FileHandle): Promise<boolean> {
  const [atPath, ours] = await Promise.all([io.stat(path).catch(() => undefined), handle.stat()]);
  return atPath !== undefined && atPath.ino === ours.ino && atPath.dev === ours.dev;
}

/**
 * Takes the lock: links our pending file to the lock path (EEXIST while another writer holds
 * it), breaking stale locks on the way. `holder.handle` ends up open on the inode now at the
 * lock path (it is replaced if an orphan sweep removed the pending file meanwhile).
 */
async function acquire(io: LockIo, path: string, owner: LockOwner, options: LockOptions, holder: { handle: FileHandle }): Promise<void> {
  const content = `${JSON.stringify(owner)}\n`;
  const pending = `${path}.${owner.token}.pending`;
  const deadline = io.now() + options.timeoutMs;
  let backoffMs = 1;
  try {
    for (;;) {
      try {
        await io.link(pending, path);
        return;
      } catch (error) {
        // An orphan sweep removed our pending file while we waited: write it again.
        if (errorCode(error) === "ENOENT") {
          await holder.handle.close().catch(() => undefined);
          holder.handle = await createPending(io, pending, content);
          continue;
        }
        if (errorCode(error) !== "EEXIST") throw error;
      }
      const held = await readLock(io, path);
      if (held === undefined) continue; // released between our link and our read
      // A break another breaker is still doing falls through to the wait, so this never spins.
      if ((await isStale(io, held, options.leaseMs)) && (await breakStaleLock(io, path, held, options.leaseMs))) continue;
      if (io.now() > deadline) {
        const holderOwner = parseOwner(held.content);
        const who = holderOwner ? `pid ${holderOwner.pid} on ${holderOwner.host}` : "a writer of an older version";
        throw new StoreBusyError(
          `could not take the lock ${path} within ${options.timeoutMs} ms: ${who} holds it and renewed it ${Math.round(io.now() - held.mtimeMs)} ms ago (it is broken once not renewed for ${options.leaseMs} ms)`,
        );
      }
      // Doubling, jittered (so waiters that collided spread out), and capped: a waiter looks at
      // least every 2 * MAX_BACKOFF_MS, however long it has waited.
      await io.sleep(backoffMs + io.random() * backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  } finally {
    // The lock path keeps the inode; the pending name is only the way in.
    await io.unlink(pending).catch(() => undefined);
  }
}

/**
 * A cross-process, cross-container mutex on a shared directory. The lock file names its
 * holder (see lock-owner.ts) and is published whole with link(2), so a waiting writer never
 * sees an empty or half-written lock. The holder renews a lease on it; a waiter breaks it
 * when the lease ran out or the holder is certainly dead, never on a pid it cannot check.
 */
export async function withFileLock<T>(path: string, options: LockOptions, body: (lock: HeldLock) => Promise<T>): Promise<T> {
  const io: LockIo = { ...nodeLockIo, ...options.io };
  const owner = newOwner();
  const holder = { handle: await createPending(io, `${path}.${owner.token}.pending`, `${JSON.stringify(owner)}\n`) };
  const stopRenewing = renewEvery(() => holder.handle, options.leaseMs);
  try {
    await acquire(io, path, owner, options, holder);
    const held: HeldLock = {
      assertHeld: async () => {
        if (!(await sameInode(io, path, holder.handle))) {
          throw new StoreBusyError(`lost the lock ${path}: this writer was stalled longer than the ${options.leaseMs} ms lease and another writer broke it; nothing was committed, retry`);
        }
      },
    };
    try {
      await removeOrphans(io, path, options.leaseMs);
      return await body(held);
    } finally {
      // Only remove the lock if it is still ours.
      if (await sameInode(io, path, holder.handle).catch(() => false)) await io.unlink(path).catch(() => undefined);
    }
  } finally {
    stopRenewing();
    await holder.handle.close().catch(() => undefined);
  }
}
