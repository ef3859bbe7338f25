import { createHash } from "node:crypto";
import { link, open, readdir, readFile, stat, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { StoreBusyError } from "../errors.js";
import { certainlyDead, newOwner, parseOwner, type LockOwner } from "./lock-owner.js";

export interface LockOptions {
  /** Give up after this long (another writer holds the lock). */
  timeoutMs: number;
  /**
   * The lease: a lock its holder has not renewed for this long is stale. Holders renew
   * it (the lock file's mtime) every leaseMs / 5 while they wait and while they hold it.
   */
  leaseMs: number;
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

/** `<lock>.<token>.pending`: a finished lock waiting to be linked into place. */
const PENDING = /^([0-9a-f]{16,64})\.pending$/;
/** Left by earlier versions: `<lock>.<pid>.<token>.pending` and `<lock>.<pid>.<hex>.stale`. */
const LEGACY_LEFTOVER = /^\d+\.[0-9a-f]+\.(pending|stale)$/;
/** `<lock>.<id>.breaking`: a breaker's claim on one stale lock. */
const BREAKING = /^[0-9a-f]+\.breaking$/;

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** One lock file as a waiting writer saw it. */
interface LockView {
  content: string;
  ino: number;
  mtimeMs: number;
}

async function readLock(path: string): Promise<LockView | undefined> {
  try {
    // stat first: if the file is swapped between the two calls, the claim check of a breaker catches it.
    const info = await stat(path);
    const content = await readFile(path, "utf8");
    return { content, ino: info.ino, mtimeMs: info.mtimeMs };
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
}

function sameLock(a: LockView, b: LockView): boolean {
  return a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.content === b.content;
}

/**
 * Stale when its holder let the lease run out (renewals stopped: the holder died, hung, or
 * lost its host), or when the holder is certainly dead (same boot and PID namespace as us,
 * and its pid is gone or names a process started at another time). A lock written by an
 * older version, or by anything else, is judged by the lease alone: its pid might belong to
 * another namespace, so it is never trusted.
 */
async function isStale(lock: LockView, leaseMs: number): Promise<boolean> {
  if (Date.now() - lock.mtimeMs > leaseMs) return true;
  const owner = parseOwner(lock.content);
  return owner !== undefined && (await certainlyDead(owner));
}

/**
 * Removes a stale lock without ever removing a live one. The breaker first hard-links the
 * lock path to a claim named after the stale lock it judged (inode, mtime, content), which
 * fails with EEXIST for every other breaker of that same lock. The claim is the inode that
 * sat at the lock path at link time; only if it is still the judged lock, unrenewed since
 * it was judged (same mtime), is the path unlinked. A holder that renewed in between is
 * alive: its new mtime fails the check and only the claim is removed.
 */
async function breakStaleLock(path: string, judged: LockView, leaseMs: number): Promise<boolean> {
  const id = createHash("sha256").update(`${judged.ino}:${judged.mtimeMs}:${judged.content}`).digest("hex").slice(0, 24);
  const claim = `${path}.${id}.breaking`;
  try {
    await link(path, claim);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return true; // already gone
    if (errorCode(error) !== "EEXIST") throw error;
    // Another breaker holds the claim. One killed mid-break leaves it behind, which would keep
    // this lock forever: a claim older than a lease is dropped so the next attempt can claim.
    const info = await stat(claim).catch(() => undefined);
    if (info && Date.now() - info.ctimeMs > leaseMs) await unlink(claim).catch(() => undefined);
    return false;
  }
  try {
    const claimed = await readLock(claim);
    if (claimed && sameLock(claimed, judged)) await unlink(path);
    return true;
  } finally {
    await unlink(claim).catch(() => undefined);
  }
}

/** Is this leftover next to the lock abandoned? Only called under the lock. */
async function abandoned(file: string, rest: string, leaseMs: number): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  if (!info) return false;
  if (BREAKING.test(rest)) return Date.now() - info.ctimeMs > leaseMs;
  if (Date.now() - info.mtimeMs > leaseMs) return PENDING.test(rest) || LEGACY_LEFTOVER.test(rest);
  if (!PENDING.test(rest)) return false;
  // A waiter renews its pending file like a lock; one whose owner is certainly dead goes at once.
  const owner = parseOwner(await readFile(file, "utf8").catch(() => ""));
  return owner !== undefined && (await certainlyDead(owner));
}

/** Removes what writers killed mid-acquire or mid-break left next to the lock. */
async function removeOrphans(path: string, leaseMs: number): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const file = join(dir, name);
    if (await abandoned(file, name.slice(prefix.length), leaseMs)) await unlink(file).catch(() => undefined);
  }
}

/**
 * Writes the finished lock content to a private file and keeps it open: the handle renews
 * the lease on this inode whichever name it has (pending, then the lock path). A failed
 * write (a full disk) removes the file, so no empty pending file is left behind.
 */
async function createPending(pending: string, content: string): Promise<FileHandle> {
  const handle = await open(pending, "wx");
  try {
    await handle.writeFile(content);
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(pending).catch(() => undefined);
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

async function sameInode(path: string, handle: FileHandle): Promise<boolean> {
  const [atPath, ours] = await Promise.all([stat(path).catch(() => undefined), handle.stat()]);
  return atPath !== undefined && atPath.ino === ours.ino && atPath.dev === ours.dev;
}

/**
 * Takes the lock: links our pending file to the lock path (EEXIST while another writer holds
 * it), breaking stale locks on the way. `holder.handle` ends up open on the inode now at the
 * lock path (it is replaced if an orphan sweep removed the pending file meanwhile).
 */
async function acquire(path: string, owner: LockOwner, options: LockOptions, holder: { handle: FileHandle }): Promise<void> {
  const content = `${JSON.stringify(owner)}\n`;
  const pending = `${path}.${owner.token}.pending`;
  const deadline = Date.now() + options.timeoutMs;
  let backoffMs = 1;
  try {
    for (;;) {
      try {
        await link(pending, path);
        return;
      } catch (error) {
        // An orphan sweep removed our pending file while we waited: write it again.
        if (errorCode(error) === "ENOENT") {
          await holder.handle.close().catch(() => undefined);
          holder.handle = await createPending(pending, content);
          continue;
        }
        if (errorCode(error) !== "EEXIST") throw error;
      }
      const held = await readLock(path);
      if (held === undefined) continue; // released between our link and our read
      // A break another breaker is still doing falls through to the wait, so this never spins.
      if ((await isStale(held, options.leaseMs)) && (await breakStaleLock(path, held, options.leaseMs))) continue;
      if (Date.now() > deadline) {
        const holderOwner = parseOwner(held.content);
        const who = holderOwner ? `pid ${holderOwner.pid} on ${holderOwner.host}` : "a writer of an older version";
        throw new StoreBusyError(
          `could not take the lock ${path} within ${options.timeoutMs} ms: ${who} holds it and renewed it ${Math.round(Date.now() - held.mtimeMs)} ms ago (it is broken once not renewed for ${options.leaseMs} ms)`,
        );
      }
      await sleep(backoffMs + Math.random() * backoffMs);
      backoffMs = Math.min(backoffMs * 2, 25);
    }
  } finally {
    // The lock path keeps the inode; the pending name is only the way in.
    await unlink(pending).catch(() => undefined);
  }
}

/**
 * A cross-process, cross-container mutex on a shared directory. The lock file names its
 * holder (see lock-owner.ts) and is published whole with link(2), so a waiting writer never
 * sees an empty or half-written lock. The holder renews a lease on it; a waiter breaks it
 * when the lease ran out or the holder is certainly dead, never on a pid it cannot check.
 */
export async function withFileLock<T>(path: string, options: LockOptions, body: (lock: HeldLock) => Promise<T>): Promise<T> {
  const owner = newOwner();
  const holder = { handle: await createPending(`${path}.${owner.token}.pending`, `${JSON.stringify(owner)}\n`) };
  const stopRenewing = renewEvery(() => holder.handle, options.leaseMs);
  try {
    await acquire(path, owner, options, holder);
    const held: HeldLock = {
      assertHeld: async () => {
        if (!(await sameInode(path, holder.handle))) {
          throw new StoreBusyError(`lost the lock ${path}: this writer was stalled longer than the ${options.leaseMs} ms lease and another writer broke it; nothing was committed, retry`);
        }
      },
    };
    try {
      await removeOrphans(path, options.leaseMs);
      return await body(held);
    } finally {
      // Only remove the lock if it is still ours.
      if (await sameInode(path, holder.handle).catch(() => false)) await unlink(path).catch(() => undefined);
    }
  } finally {
    stopRenewing();
    await holder.handle.close().catch(() => undefined);
  }
}
