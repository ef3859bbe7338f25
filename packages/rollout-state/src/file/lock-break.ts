import { createHash } from "node:crypto";
import { certainlyDead, parseOwner } from "./lock-owner.js";
import type { LockIo } from "./lock-io.js";

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** One lock file as a waiting writer saw it. */
export interface LockView {
  content: string;
  ino: number;
  mtimeMs: number;
}

export async function readLock(io: LockIo, path: string): Promise<LockView | undefined> {
  try {
    // stat first: if the file is swapped between the two calls, the claim check of a breaker catches it.
    const info = await io.stat(path);
    const content = await io.readFile(path, "utf8");
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
export async function isStale(io: LockIo, lock: LockView, leaseMs: number): Promise<boolean> {
  if (io.now() - lock.mtimeMs > leaseMs) return true;
  const owner = parseOwner(lock.content);
  return owner !== undefined && (await certainlyDead(owner));
}

/**
 * Removes a stale lock without ever removing a live one; true when the caller may try to
 * take the lock at once, false when another breaker is at it (wait, then look again). The
 * breaker first hard-links the lock path to a claim named after the stale lock it judged
 * (inode, mtime, content), which fails with EEXIST for every other breaker of that same
 * lock. The claim is the inode that sat at the lock path at link time; only if it is still
 * the judged lock, unrenewed since it was judged (same mtime), is the path unlinked. A
 * holder that renewed in between is alive: its new mtime fails the check and only the
 * claim is removed.
 */
export async function breakStaleLock(io: LockIo, path: string, judged: LockView, leaseMs: number): Promise<boolean> {
  const id = createHash("sha256").update(`${judged.ino}:${judged.mtimeMs}:${judged.content}`).digest("hex").slice(0, 24);
  const claim = `${path}.${id}.breaking`;
  try {
    await io.link(path, claim);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return true; // already gone
    if (errorCode(error) !== "EEXIST") throw error;
    // Another breaker holds the claim. One killed mid-break leaves it behind, which would keep
    // this lock forever: a claim older than a lease is dropped so the next attempt can claim.
    const info = await io.stat(claim).catch(() => undefined);
    if (info && io.now() - info.ctimeMs > leaseMs) await io.unlink(claim).catch(() => undefined);
    return false;
  }
  try {
    const claimed = await readLock(io, claim);
    if (claimed && sameLock(claimed, judged)) await io.unlink(path);
    return true;
  } finally {
    await io.unlink(claim).catch(() => undefined);
  }
}
