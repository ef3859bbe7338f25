import type { FileHandle } from "node:fs/promises";
import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StoreBusyError } from "@agent-canary/rollout-state";
import { afterEach, describe, expect, it, vi } from "vitest";
import { withFileLock } from "../src/file/lock.js";
import { ownerLock } from "./fixtures.js";
import { bounded, steppedClock, tempDirs } from "./file-lock-io.js";

// When the lock looks again and when it renews, on a clock the test moves (no wall-clock waits).

const dirs = tempDirs("agent-canary-locktime-");
afterEach(async () => {
  vi.useRealTimers();
  await dirs.cleanup();
});

describe("file lock: a waiter's backoff", () => {
  it("doubles from 1 ms, jittered, up to 25 ms, and gives up at its first look past the timeout", async () => {
    const path = join(await dirs.make(), "x.lock");
    // Held by this (live) process, freshly renewed: never stale within the test.
    await writeFile(path, ownerLock(process.pid));
    const clock = steppedClock();
    const timeoutMs = 1_000;
    await expect(withFileLock(path, { timeoutMs, leaseMs: 60_000, io: bounded(clock.io, 100) }, async () => "taken")).rejects.toBeInstanceOf(StoreBusyError);
    // Each wait is backoff * (1 + jitter), the jitter fixed at 0.5 here.
    expect(clock.waits.slice(0, 7)).toEqual([1.5, 3, 6, 12, 24, 37.5, 37.5]);
    expect(new Set(clock.waits.slice(5))).toEqual(new Set([37.5]));
    const total = clock.waits.reduce((sum, ms) => sum + ms, 0);
    const beforeLast = total - (clock.waits.at(-1) ?? 0);
    expect(beforeLast).toBeLessThanOrEqual(timeoutMs);
    expect(total).toBeGreaterThan(timeoutMs);
  });
});

describe("file lock: renewing the lease", () => {
  it("renews every lease / 5 while held and stops once released", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const path = join(await dirs.make(), "x.lock");
    let renewals = 0;
    const countingOpen = async (file: string, flags: "wx"): Promise<FileHandle> => {
      const handle = await open(file, flags);
      const utimes = handle.utimes.bind(handle);
      vi.spyOn(handle, "utimes").mockImplementation(async (atime, mtime) => {
        renewals += 1;
        await utimes(atime, mtime);
      });
      return handle;
    };
    await withFileLock(path, { timeoutMs: 1_000, leaseMs: 1_000, io: { open: countingOpen } }, async () => {
      vi.advanceTimersByTime(1_000);
      expect(renewals).toBe(5);
    });
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(renewals).toBe(5);
  });
});
