import { randomBytes } from "node:crypto";
import { link, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { StoreBusyError } from "../errors.js";

export interface LockOptions {
  /** Give up after this long (another writer holds the lock). */
  timeoutMs: number;
  /** A lock older than this is stale even if its pid looks alive (pid reuse guard). Holds last milliseconds. */
  staleMs: number;
}

/** Is a process with this pid alive on this host? EPERM means it exists but is not ours. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function lockIsStale(path: string, staleMs: number): Promise<boolean> {
  try {
    const [content, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    const pid = Number.parseInt(content.split(" ")[0] ?? "", 10);
    if (Date.now() - info.mtimeMs > staleMs) return true;
    // An empty file is a holder killed between create and write: stale once it is not brand new.
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - info.mtimeMs > 1000;
    return !pidAlive(pid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/**
 * Breaks a stale lock without racing another breaker: renaming is atomic, so only
 * one process claims the stale file. If the claimed file turns out to be live (it was
 * replaced between our check and our rename) it is linked back; link fails rather
 * than overwrite should a third process have created a lock meanwhile.
 */
async function breakStaleLock(path: string, staleMs: number): Promise<void> {
  const claimed = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.stale`;
  try {
    await rename(path, claimed);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (await lockIsStale(claimed, staleMs)) {
    await unlink(claimed);
    return;
  }
  await link(claimed, path).catch(() => undefined);
  await unlink(claimed);
}

/**
 * A cross-process mutex: a lock file created with O_CREAT|O_EXCL ("wx") holding
 * "<pid> <token>". O_EXCL creation is atomic on local file systems, the holder is
 * identified by pid so a writer killed with SIGKILL does not block others for long.
 */
export async function withFileLock<T>(path: string, options: LockOptions, body: () => Promise<T>): Promise<T> {
  const token = randomBytes(8).toString("hex");
  const deadline = Date.now() + options.timeoutMs;
  let backoffMs = 1;
  for (;;) {
    try {
      const handle = await open(path, "wx");
      try {
        await handle.writeFile(`${process.pid} ${token}`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (await lockIsStale(path, options.staleMs)) {
      await breakStaleLock(path, options.staleMs);
      continue;
    }
    if (Date.now() > deadline) throw new StoreBusyError(`could not take the lock ${path} within ${options.timeoutMs} ms; another writer holds it`);
    await sleep(backoffMs + Math.random() * backoffMs);
    backoffMs = Math.min(backoffMs * 2, 25);
  }
  try {
    return await body();
  } finally {
    await releaseLock(path, token);
  }
}

async function releaseLock(path: string, token: string): Promise<void> {
  // Only remove the lock if it is still ours (a stale breaker may have taken it after a long pause).
  const content = await readFile(path, "utf8").catch(() => "");
  if (content.endsWith(` ${token}`)) await unlink(path).catch(() => undefined);
}
