import type { FileHandle } from "node:fs/promises";
import { link, open, readdir, readFile, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StoreBusyError } from "@agent-canary/rollout-state";
import { afterEach, describe, expect, it, vi } from "vitest";
import { withFileLock } from "../src/file/lock.js";
import { breakStaleLock, readLock } from "../src/file/lock-break.js";
import { nodeLockIo, type LockIo } from "../src/file/lock-io.js";
import { DEAD_PID, ownerLock } from "./fixtures.js";
import { bounded, fsError, steppedClock, tempDirs } from "./file-lock-io.js";

// Two writers at one lock, each step where the other can act between two of our calls put
// there on purpose: the lock's io facade runs the other writer's step inside our call.
// Waits run on a stepped clock (file-lock-io.ts), so a writer that would wait for the
// timeout gives up at once and no verdict depends on the machine's speed.

const dirs = tempDirs("agent-canary-lockrace-");
afterEach(() => dirs.cleanup());

const isClaim = (file: string) => file.endsWith(".breaking");
const deadLock = () => ownerLock(DEAD_PID, { start: "9" });
const liveLock = () => ownerLock(process.pid);

async function lockPath(): Promise<string> {
  return join(await dirs.make(), "x.lock");
}

/** Writes a lock file whose mtime is a whole millisecond, so a test can put it back exactly. */
async function writeLock(path: string, content: string, mtime = new Date()): Promise<Date> {
  await writeFile(path, content);
  await utimes(path, mtime, mtime);
  return mtime;
}

/** The io of a waiter: stepped clock, bounded links, `link` running `before(newPath)` first. */
function waiterIo(clock: ReturnType<typeof steppedClock>, before: (newPath: string) => Promise<void> = async () => undefined): Partial<LockIo> {
  return bounded({
    ...clock.io,
    link: async (existing, newPath) => {
      await before(newPath);
      await link(existing, newPath);
    },
  });
}

describe("file lock: between judging a lock stale and claiming it", () => {
  it("does not break a lock its holder renewed in between", async () => {
    const path = await lockPath();
    const content = liveLock();
    // Not renewed for two minutes: stale under a one-minute lease.
    await writeLock(path, content, new Date(Date.now() - 120_000));
    const clock = steppedClock();
    const renewOnClaim = async (newPath: string) => {
      if (isClaim(newPath)) await utimes(path, new Date(), new Date());
    };
    await expect(withFileLock(path, { timeoutMs: 1_000, leaseMs: 60_000, io: waiterIo(clock, renewOnClaim) }, async () => "taken")).rejects.toBeInstanceOf(StoreBusyError);
    expect(await readFile(path, "utf8")).toBe(content);
  });

  it("does not break a live writer's lock that took the judged lock's inode and mtime (inode reuse)", async () => {
    const path = await lockPath();
    // Its holder is dead: stale at once, whatever its mtime.
    const mtime = await writeLock(path, deadLock());
    const { ino } = await stat(path);
    const live = liveLock();
    const replaceOnClaim = async (newPath: string) => {
      if (!isClaim(newPath)) return;
      // Another writer broke the dead lock and took it; its file got the same inode number
      // and, within one timestamp tick, the same mtime.
      await writeLock(path, live, mtime);
    };
    await expect(withFileLock(path, { timeoutMs: 1_000, leaseMs: 60_000, io: waiterIo(steppedClock(), replaceOnClaim) }, async () => "taken")).rejects.toBeInstanceOf(StoreBusyError);
    expect(await readFile(path, "utf8")).toBe(live);
    expect((await stat(path)).ino).toBe(ino);
  });

  it("takes the lock at once, without waiting, when the judged lock is gone by the time it claims it", async () => {
    const path = await lockPath();
    await writeLock(path, deadLock());
    const clock = steppedClock();
    const releaseOnClaim = async (newPath: string) => {
      if (isClaim(newPath)) await unlink(path);
    };
    const owner = await withFileLock(path, { timeoutMs: 1_000, leaseMs: 60_000, io: waiterIo(clock, releaseOnClaim) }, async () => readFile(path, "utf8"));
    expect(JSON.parse(owner)).toMatchObject({ pid: process.pid });
    expect(clock.waits).toEqual([]);
  });

  it("takes a dead holder's lock at once, without waiting, once it broke it", async () => {
    const path = await lockPath();
    await writeLock(path, deadLock());
    const clock = steppedClock();
    expect(await withFileLock(path, { timeoutMs: 1_000, leaseMs: 60_000, io: waiterIo(clock) }, async () => "taken")).toBe("taken");
    expect(clock.waits).toEqual([]);
    expect(await readdir(join(path, ".."))).toEqual([]);
  });
});

describe("file lock: two breakers of one stale lock", () => {
  it("leaves the lock and the other breaker's claim alone and waits; takes the lock once that breaker is done", async () => {
    const path = await lockPath();
    await writeLock(path, deadLock());
    const judged = await readLock(nodeLockIo, path);
    if (!judged) throw new Error("no lock to judge");

    // Breaker B claims the lock, checks its claim, and stops right before unlinking the lock.
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let atUnlink: () => void = () => undefined;
    const reachedUnlink = new Promise<void>((resolve) => (atUnlink = resolve));
    const gatedUnlink = async (file: string) => {
      if (file === path) {
        atUnlink();
        await gate;
      }
      await unlink(file);
    };
    const breakerB = breakStaleLock({ ...nodeLockIo, unlink: gatedUnlink }, path, judged, 60_000);
    await reachedUnlink;

    // Writer W judges the same lock stale, finds B's claim, and waits: at its first wait
    // the lock and the claim are as B left them; then B finishes.
    const clock = steppedClock();
    let atFirstWait: { lockIno: number; files: string[] } | undefined;
    const sleep = async (ms: number) => {
      if (!atFirstWait) {
        atFirstWait = { lockIno: (await stat(path)).ino, files: (await readdir(join(path, ".."))).sort() };
        openGate();
        await breakerB;
      }
      await clock.io.sleep(ms);
    };
    const claims = async () => (await readdir(join(path, ".."))).filter(isClaim);
    try {
      await withFileLock(path, { timeoutMs: 1_000, leaseMs: 60_000, io: { ...waiterIo(clock), sleep } }, async (lock) => {
        // Whatever W did, B now finishes: it must not remove W's lock.
        openGate();
        expect(await breakerB).toBe(true);
        await lock.assertHeld();
      });
    } finally {
      openGate();
    }
    expect(atFirstWait?.lockIno).toBe(judged.ino);
    expect(atFirstWait?.files.filter(isClaim)).toHaveLength(1);
    expect(await claims()).toEqual([]);
  });
});

describe("file lock: a link that fails for another reason than a held lock", () => {
  for (const [step, fails] of [
    ["linking its pending file to the lock path", (newPath: string) => newPath.endsWith("x.lock")],
    ["claiming a stale lock", isClaim],
  ] as const) {
    it(`surfaces EIO from ${step} instead of retrying, and leaves no pending file`, async () => {
      const path = await lockPath();
      const content = deadLock();
      await writeLock(path, content);
      const failing = async (newPath: string) => {
        if (fails(newPath)) throw fsError("EIO", "link");
      };
      await expect(withFileLock(path, { timeoutMs: 1_000, leaseMs: 60_000, io: waiterIo(steppedClock(), failing) }, async () => "taken")).rejects.toMatchObject({ code: "EIO" });
      expect(await readdir(join(path, ".."))).toEqual(["x.lock"]);
      expect(await readFile(path, "utf8")).toBe(content);
    });
  }
});

describe("file lock: sweeping leftovers under the lock", () => {
  it("skips a leftover that went away between listing the directory and looking at it", async () => {
    const path = await lockPath();
    const dir = join(path, "..");
    const leftover = join(dir, "x.lock.0123456789abcdef.pending");
    const longAgo = new Date(Date.now() - 120_000);
    await writeLock(leftover, deadLock(), longAgo);
    const vanishing = async (listed: string) => {
      const names = await readdir(listed);
      await unlink(leftover); // its writer finished meanwhile
      return names;
    };
    expect(await withFileLock(path, { timeoutMs: 1_000, leaseMs: 60_000, io: { readdir: vanishing } }, async () => "taken")).toBe("taken");
  });

  it("keeps a fresh pending file it cannot read (its owner unknown), to its lease", async () => {
    const path = await lockPath();
    const dir = join(path, "..");
    const pending = join(dir, "x.lock.0123456789abcdef.pending");
    await writeLock(pending, deadLock());
    const unreadable = async (file: string, encoding: "utf8") => {
      if (file === pending) throw fsError("EIO", "read");
      return readFile(file, encoding);
    };
    expect(await withFileLock(path, { timeoutMs: 1_000, leaseMs: 60_000, io: { readFile: unreadable } }, async () => "taken")).toBe("taken");
    expect(await readdir(dir)).toEqual(["x.lock.0123456789abcdef.pending"]);
  });

  it("keeps fresh files that only share the lock's prefix, even holding a dead writer's lock; sweeps a dead waiter's pending file", async () => {
    const path = await lockPath();
    const dir = join(path, "..");
    const kept = ["x.lock.backup", "x.lock.123.abc.stale", "x.lock.0123456789abcdef.breaking.keep"];
    for (const name of [...kept, "x.lock.0123456789abcdef.pending"]) await writeLock(join(dir, name), deadLock());
    expect(await withFileLock(path, { timeoutMs: 1_000, leaseMs: 60_000 }, async () => "taken")).toBe("taken");
    expect((await readdir(dir)).sort()).toEqual(kept.sort());
  });
});

describe("file lock: releasing it", () => {
  it("leaves the lock to its lease when it cannot tell whether the lock at the path is still its own", async () => {
    const path = await lockPath();
    const handles: FileHandle[] = [];
    const keepHandle = async (file: string, flags: "wx") => {
      const handle = await open(file, flags);
      handles.push(handle);
      return handle;
    };
    await withFileLock(path, { timeoutMs: 1_000, leaseMs: 60_000, io: { open: keepHandle } }, async () => {
      for (const handle of handles) vi.spyOn(handle, "stat").mockRejectedValue(fsError("EIO", "fstat"));
    });
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ pid: process.pid });
  });
});
