import { createHash, randomBytes } from "node:crypto";
import { link, readdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { StoreBusyError } from "../errors.js";

export interface LockOptions {
  /** Give up after this long (another writer holds the lock). */
  timeoutMs: number;
  /** A lock older than this is stale even if its pid looks alive (pid reuse guard). Holds last milliseconds. */
  staleMs: number;
}

/** "<pid> <token>\n". The space proves the pid is complete, so an older writer's half-written pid is never read as one. */
const LOCK_CONTENT = /^(\d+) ([0-9a-f]+)\n?$/;
/** `<lock>.<pid>.<token>.pending`: a finished lock waiting to be linked into place. */
const PENDING = /^(\d+)\.[0-9a-f]+\.pending$/;
/** `<lock>.<id>.breaking`: a breaker's claim on one stale lock. */
const BREAKING = /^[0-9a-f]+\.breaking$/;
/** `<lock>.<pid>.<hex>.stale`: left by the rename-based breaker of earlier versions. */
const LEGACY_STALE = /^(\d+)\.[0-9a-f]+\.stale$/;

/** Is a process with this pid alive on this host? EPERM means it exists but is not ours. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

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
    // stat first: if the file is swapped between the two calls, the content check of a breaker catches it.
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
 * A lock is stale when it is older than `staleMs` (a holder that hangs, or a reused pid) or
 * when its pid is dead. Content that is not "<pid> <token>" cannot come from our writers
 * (they publish a finished file with link), only from an older version or from outside:
 * its age alone decides, never a pid read from a partial write.
 */
function isStale(lock: LockView, staleMs: number): boolean {
  if (Date.now() - lock.mtimeMs > staleMs) return true;
  const match = LOCK_CONTENT.exec(lock.content);
  if (!match) return false;
  return !pidAlive(Number(match[1]));
}

/**
 * Removes a stale lock without ever removing a live one. The breaker first hard-links the
 * lock path to a claim named after the stale lock it judged (inode, mtime, content), which
 * fails with EEXIST for every other breaker of that same lock. The claim is the inode that
 * sat at the lock path at link time; only if it is the judged lock is the path unlinked. A
 * dead holder never removes its own lock and the claim keeps other breakers out, so the path
 * still holds the judged lock until this unlink. If a new lock took its place before the
 * link, the claim names that new inode, the check fails and only the claim is removed.
 */
async function breakStaleLock(path: string, judged: LockView, staleMs: number): Promise<boolean> {
  const id = createHash("sha256").update(`${judged.ino}:${judged.mtimeMs}:${judged.content}`).digest("hex").slice(0, 24);
  const claim = `${path}.${id}.breaking`;
  try {
    await link(path, claim);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return true; // already gone
    if (errorCode(error) !== "EEXIST") throw error;
    // Another breaker holds the claim. One killed mid-break leaves it behind, which would keep
    // this lock forever: a claim older than a stale lock is dropped so the next attempt can claim.
    const info = await stat(claim).catch(() => undefined);
    if (info && Date.now() - info.ctimeMs > staleMs) await unlink(claim).catch(() => undefined);
    return false;
  }
  try {
    const claimed = await readLock(claim);
    if (claimed && sameLock(claimed, judged)) await unlink(path);
    // Either way the judged lock is gone from the path: try to take it again at once.
    return true;
  } finally {
    await unlink(claim).catch(() => undefined);
  }
}

/**
 * Files a writer killed mid-acquire or mid-break leaves next to the lock: pending locks and
 * legacy `.stale` claims of dead pids, and claims older than a stale lock. Run under the lock,
 * so no pending file of ours is in flight.
 */
async function removeOrphans(path: string, staleMs: number): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const owner = PENDING.exec(rest) ?? LEGACY_STALE.exec(rest);
    const file = join(dir, name);
    if (owner) {
      const pid = Number(owner[1]);
      if (pid !== process.pid && !pidAlive(pid)) await unlink(file).catch(() => undefined);
    } else if (BREAKING.test(rest)) {
      const info = await stat(file).catch(() => undefined);
      if (info && Date.now() - info.ctimeMs > staleMs) await unlink(file).catch(() => undefined);
    }
  }
}

/**
 * A cross-process mutex: the lock file holds "<pid> <token>". It is written in full to a
 * private pending file first and then published with link(2), which fails with EEXIST while
 * another writer holds the lock. So the lock path never shows an empty or half-written file
 * that a waiting writer could misjudge as stale, and the holder is identified by pid so a
 * writer killed with SIGKILL does not block others for long.
 */
export async function withFileLock<T>(path: string, options: LockOptions, body: () => Promise<T>): Promise<T> {
  const token = randomBytes(8).toString("hex");
  const content = `${process.pid} ${token}\n`;
  const pending = `${path}.${process.pid}.${token}.pending`;
  const deadline = Date.now() + options.timeoutMs;
  let backoffMs = 1;
  await writeFile(pending, content, { flag: "wx" });
  try {
    for (;;) {
      try {
        await link(pending, path);
        break;
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw error;
      }
      const held = await readLock(path);
      if (held === undefined) continue; // released between our link and our read
      // A break another breaker is still doing falls through to the wait, so this never spins.
      if (isStale(held, options.staleMs) && (await breakStaleLock(path, held, options.staleMs))) continue;
      if (Date.now() > deadline) throw new StoreBusyError(`could not take the lock ${path} within ${options.timeoutMs} ms; another writer holds it`);
      await sleep(backoffMs + Math.random() * backoffMs);
      backoffMs = Math.min(backoffMs * 2, 25);
    }
  } finally {
    // The lock path keeps the inode; the pending name is only the way in.
    await unlink(pending).catch(() => undefined);
  }
  try {
    await removeOrphans(path, options.staleMs);
    return await body();
  } finally {
    await releaseLock(path, content);
  }
}

async function releaseLock(path: string, content: string): Promise<void> {
  // Only remove the lock if it is still ours (a breaker may have judged it stale by age after a long pause).
  const current = await readFile(path, "utf8").catch(() => "");
  if (current === content) await unlink(path).catch(() => undefined);
}
