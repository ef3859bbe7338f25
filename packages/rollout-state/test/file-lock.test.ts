import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { FileStore, StoreBusyError } from "@agent-canary/rollout-state";
import { afterEach, describe, expect, it } from "vitest";
import { withFileLock } from "../src/file/lock.js";
import { DEAD_PID, bumpPercent, ownerLock, seed } from "./fixtures.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "agent-canary-lock-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function seeded(options: { lockTimeoutMs?: number; staleLockMs?: number } = {}): Promise<{ dir: string; store: FileStore; lock: string }> {
  const dir = await tempDir();
  const store = new FileStore({ dir, ...options });
  await seed(store, "shop");
  return { dir, store, lock: join(dir, "shop.lock") };
}

describe("FileStore lock: who holds it", () => {
  it("breaks at once a lock whose holder ran in this PID namespace and is gone", async () => {
    const { store, lock } = await seeded({ lockTimeoutMs: 2_000, staleLockMs: 60_000 });
    await writeFile(lock, ownerLock(DEAD_PID, { start: "12345" }));
    expect(await bumpPercent(store, "shop", "after-crash")).toBe(1);
  });

  it("never breaks the lock of a live holder; breaks it once that process is gone", async () => {
    const { store, lock } = await seeded({ lockTimeoutMs: 300, staleLockMs: 60_000 });
    const holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const exited = new Promise((resolve) => holder.once("exit", resolve));
    try {
      const content = ownerLock(holder.pid ?? 0);
      await writeFile(lock, content);
      await expect(bumpPercent(store, "shop", "while-held")).rejects.toBeInstanceOf(StoreBusyError);
      expect(await readFile(lock, "utf8")).toBe(content);
      expect((await store.read("shop"))?.revision).toBe(0);
    } finally {
      holder.kill("SIGKILL");
      await exited;
    }
    expect(await bumpPercent(store, "shop", "after-holder-died")).toBe(1);
  });

  it("breaks a lock whose pid was reused by another process (its start time differs)", async () => {
    const { store, lock } = await seeded({ lockTimeoutMs: 2_000, staleLockMs: 60_000 });
    // Our parent is alive, but it is not the process that took this lock.
    await writeFile(lock, ownerLock(process.ppid, { start: "1" }));
    expect(await bumpPercent(store, "shop", "after-reuse")).toBe(1);
  });

  it("trusts no pid from another PID namespace or host: waits for the lease to run out", async () => {
    const { store, lock } = await seeded({ lockTimeoutMs: 300, staleLockMs: 5_000 });
    // Pid 1 of a container (or of a receiver restarted as PID 1): alive or not, it is not ours to check.
    for (const foreign of [{ pidns: "pid:[4026599999]" }, { boot: "00000000-0000-0000-0000-000000000000" }, { boot: null, pidns: null, start: null }]) {
      await writeFile(lock, ownerLock(1, { start: "1", ...foreign }));
      await expect(bumpPercent(store, "shop", "while-foreign")).rejects.toThrow(/renewed it \d+ ms ago/);
    }
    // Not renewed for longer than the lease: its holder is gone, wherever it ran.
    const longAgo = new Date(Date.now() - 10_000);
    await utimes(lock, longAgo, longAgo);
    expect(await bumpPercent(store, "shop", "after-lease")).toBe(1);
  });

  it("judges a lock an older version wrote ('<pid> <token>', or cut short) by the lease alone", async () => {
    const { store, lock, dir } = await seeded({ lockTimeoutMs: 300, staleLockMs: 30_000 });
    const twoSecondsAgo = new Date(Date.now() - 2_000);
    for (const legacy of ["", `${DEAD_PID}`, `${DEAD_PID} deadbeef\n`]) {
      await writeFile(lock, legacy);
      await utimes(lock, twoSecondsAgo, twoSecondsAgo);
      await expect(bumpPercent(store, "shop", "during-legacy")).rejects.toBeInstanceOf(StoreBusyError);
      expect(await readFile(lock, "utf8")).toBe(legacy);
    }
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(lock, longAgo, longAgo);
    expect(await bumpPercent(store, "shop", "after-stale")).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(["shop.audit.jsonl", "shop.json"]);
  });
});

describe("FileStore lock: the lease", () => {
  it("keeps a holder's lock while it renews, far past the lease", async () => {
    const dir = await tempDir();
    const path = join(dir, "x.lock");
    const order: string[] = [];
    let entered: () => void = () => undefined;
    const firstIn = new Promise<void>((resolve) => (entered = resolve));
    // Renewed every 200 ms: an event-loop stall of up to 800 ms (a loaded machine, a
    // mutation run) does not pass for a dead holder, as it could with a 200 ms lease.
    const first = withFileLock(path, { timeoutMs: 60_000, leaseMs: 1_000 }, async () => {
      order.push("first in");
      entered();
      // Held for three leases: only the renewals keep the waiter from breaking it.
      await sleep(3_000);
      order.push("first out");
    });
    await firstIn;
    const second = withFileLock(path, { timeoutMs: 60_000, leaseMs: 1_000 }, async () => {
      order.push("second in");
    });
    await Promise.all([first, second]);
    expect(order).toEqual(["first in", "first out", "second in"]);
  });

  it("stops a holder that stalled past its lease from committing after another writer broke its lock", async () => {
    const dir = await tempDir();
    const path = join(dir, "x.lock");
    const held = withFileLock(path, { timeoutMs: 5_000, leaseMs: 60_000 }, async (lock) => {
      // A stall: the lock looks unrenewed for longer than any lease, and another writer takes it.
      const longAgo = new Date(Date.now() - 120_000);
      await utimes(path, longAgo, longAgo);
      await withFileLock(path, { timeoutMs: 5_000, leaseMs: 60_000 }, async () => undefined).catch(() => undefined);
      await writeFile(path, "someone else's lock\n");
      await lock.assertHeld();
    });
    await expect(held).rejects.toThrow(/lost the lock .*nothing was committed/);
    // It does not remove the lock that is not its own.
    expect(await readFile(path, "utf8")).toBe("someone else's lock\n");
  });
});

describe("FileStore lock: leftovers", () => {
  it("removes pending files of dead holders and abandoned leftovers, and keeps a live waiter's pending lock", async () => {
    const { store, dir } = await seeded({ staleLockMs: 30_000 });
    const longAgo = new Date(Date.now() - 60_000);
    const deadPending = "shop.lock.aaaaaaaaaaaaaaaaaaaaaaaa.pending";
    await writeFile(join(dir, deadPending), ownerLock(DEAD_PID, { start: "5" }));
    const legacyPending = `shop.lock.${DEAD_PID}.0123456789abcdef.pending`;
    const legacyStale = `shop.lock.${DEAD_PID}.01234567.stale`;
    for (const name of [legacyPending, legacyStale]) {
      await writeFile(join(dir, name), "");
      await utimes(join(dir, name), longAgo, longAgo);
    }
    // A claim's age is its ctime, which utimes cannot move back: a claim made now is kept.
    const freshClaim = "shop.lock.0123456789abcdef01234567.breaking";
    await writeFile(join(dir, freshClaim), "");
    // A waiter in another process: alive, renewing.
    const livePending = "shop.lock.bbbbbbbbbbbbbbbbbbbbbbbb.pending";
    await writeFile(join(dir, livePending), ownerLock(process.ppid));
    expect(await bumpPercent(store, "shop", "cleanup")).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([freshClaim, livePending, "shop.audit.jsonl", "shop.json"].sort());
  });
});
