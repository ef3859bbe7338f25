import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeLockIo, type LockIo } from "../src/file/lock-io.js";

// Shared by the file-lock-* suites that drive the lock through its io facade: a clock the
// test moves itself, and a guard that turns a lock looping without end into a failure.

/** A clock that only moves when the lock sleeps; every wait is recorded. Jitter is fixed at one half. */
export function steppedClock(start = Date.now()): { waits: number[]; io: Pick<LockIo, "now" | "sleep" | "random"> } {
  let now = start;
  const waits: number[] = [];
  return {
    waits,
    io: {
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
      random: () => 0.5,
    },
  };
}

/** An ErrnoException as node:fs rejects with. */
export function fsError(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected by the test, ${syscall}`), { code, syscall });
}

/**
 * Fails the lock's link calls after `max` of them, and every stat from then on (so a loop
 * that swallows the first failure still ends): a lock that retries an error forever, or
 * never waits between attempts, ends the test with this error instead of hanging it.
 */
export function bounded(io: Partial<LockIo>, max = 50): Partial<LockIo> {
  const { link, stat } = { ...nodeLockIo, ...io };
  let calls = 0;
  const tripped = () => new Error(`the lock called link ${calls} times: it loops instead of failing or waiting`);
  return {
    ...io,
    link: async (existingPath, newPath) => {
      calls += 1;
      if (calls > max) throw tripped();
      await link(existingPath, newPath);
    },
    stat: async (path) => {
      if (calls > max) throw tripped();
      return stat(path);
    },
  };
}

/** A fresh directory for one test; `cleanup` removes them all. */
export function tempDirs(prefix: string): { make: () => Promise<string>; cleanup: () => Promise<void> } {
  const dirs: string[] = [];
  return {
    make: async () => {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    cleanup: async () => {
      for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
    },
  };
}
