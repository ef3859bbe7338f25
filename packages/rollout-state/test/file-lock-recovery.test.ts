import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, StoreBusyError } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { withFileLock } from "../src/file/lock.js";
import { newOwner, parseOwner, selfIdentity, startTimeFromStat } from "../src/file/lock-owner.js";
import { DEAD_PID, bumpPercent, ownerLock, seed } from "./fixtures.js";

// How the file store's lock recovers from writers that died at awkward moments, and what
// a writer that gives up says. Lock waits here are hang guards: each test ends on an event
// (a write succeeding, a file appearing or going), never on a timer.

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function seeded(options: { lockTimeoutMs?: number; staleLockMs?: number }): Promise<{ dir: string; store: FileStore; lock: string }> {
  const dir = await mkdtemp(join(tmpdir(), "agent-canary-lockrec-"));
  dirs.push(dir);
  const store = new FileStore({ dir, ...options });
  await seed(store, "shop");
  return { dir, store, lock: join(dir, "shop.lock") };
}

/** Waits until the file's ctime (which utimes cannot move back) is older than `ms`. */
async function ageCtime(path: string, ms: number): Promise<void> {
  await waitFor(async () => Date.now() - (await stat(path)).ctimeMs > ms, { what: `${path} older than ${ms} ms` });
}

/** The claim name a breaker of this lock file uses (lock.ts: inode, mtime, content). */
async function claimOf(lock: string, content: string): Promise<string> {
  const info = await stat(lock);
  const id = createHash("sha256").update(`${info.ino}:${info.mtimeMs}:${content}`).digest("hex").slice(0, 24);
  return `${lock}.${id}.breaking`;
}

describe("FileStore lock: a breaker killed mid-break", () => {
  it("does not keep a dead writer's lock forever: its claim is dropped once older than a lease, and the write goes through", async () => {
    const { dir, store, lock } = await seeded({ lockTimeoutMs: 60_000, staleLockMs: 300 });
    const content = ownerLock(DEAD_PID, { start: "9" });
    await writeFile(lock, content);
    // The breaker linked its claim, then died before unlinking the lock.
    const claim = await claimOf(lock, content);
    await link(lock, claim);
    expect(await bumpPercent(store, "shop", "after-dead-breaker")).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(["shop.audit.jsonl", "shop.json"]);
  });
});

describe("FileStore lock: a waiter whose pending file was swept", () => {
  it("writes its pending file again and takes the lock once the holder is done", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-lockrec-"));
    dirs.push(dir);
    const path = join(dir, "x.lock");
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered: () => void = () => undefined;
    const firstIn = new Promise<void>((resolve) => (entered = resolve));
    const first = withFileLock(path, { timeoutMs: 60_000, leaseMs: 60_000 }, async () => {
      entered();
      await released;
    });
    await firstIn;
    const second = withFileLock(path, { timeoutMs: 60_000, leaseMs: 60_000 }, async () => parseOwner(await readFile(path, "utf8")));
    // Another process's orphan sweep (or an operator) removed the waiting writer's pending file.
    const pending = await waitFor(async () => (await readdir(dir)).find((name) => name.endsWith(".pending")), { what: "the waiter's pending file" });
    await unlink(join(dir, pending));
    release();
    await first;
    // The pending file written again names its holder, so other writers can judge it.
    expect(await second).toMatchObject({ v: 2, pid: process.pid });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe("FileStore lock: while and after it is held", () => {
  async function lockDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "agent-canary-lockrec-"));
    dirs.push(dir);
    return dir;
  }

  it("the lock file names its holder while it is held", async () => {
    const path = join(await lockDir(), "x.lock");
    const owner = await withFileLock(path, { timeoutMs: 60_000, leaseMs: 60_000 }, async () => parseOwner(await readFile(path, "utf8")));
    expect(owner).toMatchObject({ v: 2, ...selfIdentity() });
  });

  it("refuses to commit when its lock file was removed meanwhile", async () => {
    const path = join(await lockDir(), "x.lock");
    const held = withFileLock(path, { timeoutMs: 60_000, leaseMs: 60_000 }, async (lock) => {
      await unlink(path);
      await lock.assertHeld();
    });
    await expect(held).rejects.toThrow(/^lost the lock .*nothing was committed, retry$/);
  });
});

describe("FileStore lock: what is not a lock", () => {
  it("fails a write on a directory at the lock path instead of waiting on it forever", async () => {
    const { store, lock } = await seeded({ lockTimeoutMs: 60_000, staleLockMs: 60_000 });
    await mkdir(lock);
    await expect(bumpPercent(store, "shop", "blocked")).rejects.toMatchObject({ code: "EISDIR" });
    expect((await store.read("shop"))?.revision).toBe(0);
  });

  it("never breaks the lock of a live holder in this PID namespace whose start time is unknown", async () => {
    const { store, lock } = await seeded({ lockTimeoutMs: 200, staleLockMs: 60_000 });
    await writeFile(lock, ownerLock(process.ppid, { start: null }));
    await expect(bumpPercent(store, "shop", "while-held")).rejects.toBeInstanceOf(StoreBusyError);
  });
});

describe("FileStore lock: a writer that gives up says who holds the lock", () => {
  it("names the holder's pid and host, how long ago it renewed, and the lease", async () => {
    const { store, lock } = await seeded({ lockTimeoutMs: 200, staleLockMs: 60_000 });
    await writeFile(lock, ownerLock(1, { start: "1", pidns: "pid:[4026599999]", host: "node-7" }));
    const error = await bumpPercent(store, "shop", "busy").catch((e: unknown) => e);
    assert.ok(error instanceof StoreBusyError, `expected a StoreBusyError, got ${String(error)}`);
    expect(error.message).toMatch(new RegExp(`^could not take the lock ${lock.replace(/[./-]/g, "\\$&")} within 200 ms: pid 1 on node-7 holds it and renewed it \\d+ ms ago \\(it is broken once not renewed for 60000 ms\\)$`));
    // How long ago, not a sum of timestamps: the lock was written during this test.
    expect(Number(/renewed it (\d+) ms ago/.exec(error.message)?.[1])).toBeLessThan(60_000);
    expect((await store.read("shop"))?.revision).toBe(0);
  });

  it("calls a lock it cannot read the owner of a writer of an older version", async () => {
    const { store, lock } = await seeded({ lockTimeoutMs: 200, staleLockMs: 60_000 });
    await writeFile(lock, `${DEAD_PID} deadbeef\n`);
    await expect(bumpPercent(store, "shop", "busy")).rejects.toThrow(/: a writer of an older version holds it and renewed it \d+ ms ago/);
  });
});

describe("FileStore lock: leftovers next to the lock", () => {
  it("drops a breaker's claim older than a lease", async () => {
    const { dir, store } = await seeded({ lockTimeoutMs: 60_000, staleLockMs: 300 });
    const oldClaim = "shop.lock.00112233445566778899aabb.breaking";
    await writeFile(join(dir, oldClaim), "");
    await ageCtime(join(dir, oldClaim), 300);
    expect(await bumpPercent(store, "shop", "sweep")).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(["shop.audit.jsonl", "shop.json"]);
  });

  it("drops a pending file not renewed for a lease, keeps what is fresh or not its own", async () => {
    // A long lease, so "fresh" holds however slowly this test runs.
    const { dir, store } = await seeded({ lockTimeoutMs: 60_000, staleLockMs: 60_000 });
    const longAgo = new Date(Date.now() - 120_000);
    // A waiter in a live process that stopped renewing (frozen past its lease).
    const unrenewed = "shop.lock.cccccccccccccccccccccccc.pending";
    // Not the lock's: another deployment's leftover, and names the lock never makes.
    const others = ["billing.lock.dddddddddddddddddddddddd.pending", "shop.lock.notes", "shop.lock.123.xyz.stale"];
    for (const name of [unrenewed, ...others]) {
      await writeFile(join(dir, name), name === unrenewed ? ownerLock(process.ppid) : "");
      await utimes(join(dir, name), longAgo, longAgo);
    }
    // Fresh: a pending file that is not a lock (cut short), and an earlier version's leftover.
    const freshCut = "shop.lock.eeeeeeeeeeeeeeeeeeeeeeee.pending";
    const freshLegacy = `shop.lock.${DEAD_PID}.0123abcd.stale`;
    await writeFile(join(dir, freshCut), '{"v":2,"tok');
    await writeFile(join(dir, freshLegacy), "");
    expect(await bumpPercent(store, "shop", "sweep")).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([...others, freshCut, freshLegacy, "shop.audit.jsonl", "shop.json"].sort());
  });
});

describe("FileStore lock: which leftover names are the lock's", () => {
  const hex = (n: number) => "0123456789abcdef".repeat(5).slice(0, n);

  it("sweeps unrenewed pending files and earlier versions' leftovers by their exact names, and nothing that only looks like them", async () => {
    const { dir, store } = await seeded({ lockTimeoutMs: 60_000, staleLockMs: 60_000 });
    const swept = [`shop.lock.${hex(16)}.pending`, `shop.lock.${hex(64)}.pending`, "shop.lock.123.abc.pending", "shop.lock.123.abc.stale"];
    const kept = [
      `shop.lock.${hex(15)}.pending`,
      `shop.lock.${hex(65)}.pending`,
      `shop.lock.${hex(16).toUpperCase().replace(/[0-9]/g, "A")}.pending`,
      `shop.lock.x${hex(16)}.pending`,
      `shop.lock.${hex(16)}.pending.bak`,
      "shop.lock.12a.abc.stale",
      "shop.lock.123.xyz.stale",
      "shop.lock.123.abc.old",
      "shop.lock.123.abc.stalex",
      "shop.lock.123..stale",
      "shop.lock..abc.stale",
      "shop.lock.v1.abc.stale",
      // As long as the "shop.lock." prefix, with a pending file's name after it: not the lock's.
      `billing.lo${hex(16)}.pending`,
    ];
    const longAgo = new Date(Date.now() - 120_000);
    for (const name of [...swept, ...kept]) {
      await writeFile(join(dir, name), "");
      await utimes(join(dir, name), longAgo, longAgo);
    }
    expect(await bumpPercent(store, "shop", "sweep")).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([...kept, "shop.audit.jsonl", "shop.json"].sort());
  });

  it("drops aged claims by their exact name only", async () => {
    const { dir, store } = await seeded({ lockTimeoutMs: 60_000, staleLockMs: 300 });
    const claim = `shop.lock.${hex(24)}.breaking`;
    const kept = [`shop.lock.${hex(24)}.breakingx`, "shop.lock.xyz.breaking", "shop.lock.x0a.breaking", "shop.lock..breaking", `shop.lock.${hex(24)}.breaking.bak`];
    for (const name of [claim, ...kept]) await writeFile(join(dir, name), "");
    await ageCtime(join(dir, claim), 300);
    expect(await bumpPercent(store, "shop", "sweep")).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([...kept, "shop.audit.jsonl", "shop.json"].sort());
  });
});

describe("lock owner parsing", () => {
  it("reads the start time after the command name, whatever it holds", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    // Field 22 is the 20th after "<pid> (<comm>)"; fields[19] is "22".
    expect(startTimeFromStat(`4242 (my) (odd name) ${fields.join(" ")}`)).toBe("22");
    expect(startTimeFromStat("4242 (short) S 1")).toBeNull();
  });

  it("names this process as another process reading /proc would: boot id, PID namespace, pid, start time", () => {
    // Two writers (or two versions) on one host must agree on who holds a lock, byte for byte.
    expect(selfIdentity()).toEqual({
      host: hostname(),
      boot: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(),
      pidns: readlinkSync("/proc/self/ns/pid"),
      pid: process.pid,
      start: startTimeFromStat(readFileSync(`/proc/${process.pid}/stat`, "utf8")),
    });
    expect(selfIdentity().start).toMatch(/^\d+$/);
    const a = newOwner();
    const b = newOwner();
    expect(a).toMatchObject({ v: 2, ...selfIdentity() });
    expect(a.token).toMatch(/^[0-9a-f]{24}$/);
    expect(b.token).not.toBe(a.token);
  });

  it("takes only a whole, current-format owner", () => {
    const owner = JSON.parse(ownerLock(process.pid)) as Record<string, unknown>;
    expect(parseOwner(JSON.stringify(owner))).toEqual(owner);
    expect(parseOwner(JSON.stringify({ ...owner, v: 1 }))).toBeUndefined();
    expect(parseOwner(JSON.stringify({ ...owner, token: "xyz" }))).toBeUndefined();
    expect(parseOwner(JSON.stringify({ ...owner, pid: 0 }))).toBeUndefined();
    expect(parseOwner(`${DEAD_PID} deadbeef`)).toBeUndefined();
    expect(parseOwner("{")).toBeUndefined();
    expect(hostname()).toBe(owner.host);
  });
});
