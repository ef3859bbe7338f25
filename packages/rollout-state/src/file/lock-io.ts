import { link, open, readdir, readFile, stat, unlink, type FileHandle } from "node:fs/promises";
import type { Stats } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Every file-system call and clock reading the lock makes, in one place. The lock runs on
 * node:fs/promises and the wall clock; tests hand it a copy with some calls wrapped, to
 * put a second writer at an exact step (between judging a lock stale and claiming it, say)
 * or to fail one call with EIO, and a clock they advance themselves, so no verdict depends
 * on how fast the machine is.
 */
export interface LockIo {
  link(existingPath: string, newPath: string): Promise<void>;
  /** Only ever "wx": a new private file. */
  open(path: string, flags: "wx"): Promise<FileHandle>;
  readdir(dir: string): Promise<string[]>;
  readFile(path: string, encoding: "utf8"): Promise<string>;
  stat(path: string): Promise<Stats>;
  unlink(path: string): Promise<void>;
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
  /** Waits `ms` between two attempts to take the lock. */
  sleep(ms: number): Promise<void>;
  /** In [0, 1), as Math.random(): the jitter of those waits. */
  random(): number;
}

export const nodeLockIo: LockIo = {
  link,
  open,
  readdir: (dir) => readdir(dir),
  readFile,
  stat: (path) => stat(path),
  unlink,
  now: () => Date.now(),
  sleep: async (ms) => {
    await sleep(ms);
  },
  random: () => Math.random(),
};
