import { readlinkSync } from "node:fs";
import { appendFile, mkdtemp, open, readdir, readFile, realpath, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { FileStore, StoreBusyError, StoreUnavailableError, rollback, transition } from "@agent-canary/rollout-state";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { bumpPercent, seed } from "./fixtures.js";

// An acknowledged write must survive a power cut, which a test cannot cause; what it can
// see is which files the store fsyncs, and in which order, before the write resolves.
// Every fsync goes through FileHandle.prototype.sync: the spy names the synced file by its
// descriptor (/proc/self/fd), so the order of the durable steps can be read back.

let dir: string;
let synced: string[];
/** Runs before the fsync of a file whose name (as recorded) it is given; the fsync waits for it. */
let beforeSync: ((name: string) => Promise<void>) | undefined;

beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), "agent-canary-fsync-")));
  synced = [];
  beforeSync = undefined;
  const probe = await open(dir, "r");
  const prototype = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const sync = prototype.sync;
  vi.spyOn(prototype, "sync").mockImplementation(function (this: { fd: number }) {
    const path = readlinkSync(`/proc/self/fd/${this.fd}`);
    const name = path === dir ? "<dir>" : basename(path).replace(/\.[0-9a-f]{16}\.tmp$/, ".<token>.tmp");
    synced.push(name);
    return (beforeSync?.(name) ?? Promise.resolve()).then(() => sync.call(this));
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** What the store synced (no lock files: the lock is another module's) while `work` ran. */
async function syncsDuring(work: () => Promise<unknown>): Promise<string[]> {
  synced = [];
  await work();
  return synced.filter((name) => !name.includes(".lock"));
}

describe("what the file store fsyncs before it acknowledges a write", () => {
  it("the first write: staged state, its directory entry, the new audit log, its directory entry, then the rename", async () => {
    const store = new FileStore({ dir });
    expect(await syncsDuring(() => seed(store, "shop"))).toEqual(["shop.json.0.<token>.tmp", "<dir>", "shop.audit.jsonl", "<dir>", "<dir>"]);
  });

  it("a later write: staged state and its name before the audit append (the commit point), then the rename", async () => {
    const store = new FileStore({ dir });
    await seed(store, "shop");
    expect(await syncsDuring(() => bumpPercent(store, "shop", "next"))).toEqual(["shop.json.1.<token>.tmp", "<dir>", "shop.audit.jsonl", "<dir>"]);
    expect(await syncsDuring(() => transition(store, "shop", rollback("shop"), { by: "gate", reason: "cost" }))).toEqual([
      "shop.json.2.<token>.tmp",
      "<dir>",
      "shop.audit.jsonl",
      "<dir>",
    ]);
  });

  it("a recorded event: the audit append alone", async () => {
    const store = new FileStore({ dir });
    const state = await seed(store, "shop");
    const entry = { at: state.updatedAt, by: "am", action: "rollback" as const, toPhase: state.phase, toPercent: state.canaryPercent, reason: "resolved", deployment: "shop", fromRevision: 0, toRevision: 0 };
    expect(await syncsDuring(() => store.record("shop", entry))).toEqual(["shop.audit.jsonl"]);
  });

  it("a torn audit tail is cut and the cut synced before the next append", async () => {
    const store = new FileStore({ dir });
    await seed(store, "shop");
    await appendFile(join(dir, "shop.audit.jsonl"), '{"torn');
    expect(await syncsDuring(() => bumpPercent(store, "shop", "next"))).toEqual(["shop.audit.jsonl", "shop.json.1.<token>.tmp", "<dir>", "shop.audit.jsonl", "<dir>"]);
  });

  it("probe() syncs its probe file", async () => {
    const store = new FileStore({ dir });
    const names = await syncsDuring(() => store.probe(60_000));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^\.agent-canary-probe\.[0-9a-f]{16}$/);
  });

  it("a writer whose lock was broken while it staged commits nothing and leaves no staged file", async () => {
    const store = new FileStore({ dir });
    await seed(store, "shop");
    const before = { state: await readFile(join(dir, "shop.json"), "utf8"), audit: await readFile(join(dir, "shop.audit.jsonl"), "utf8") };
    // While the staged state is being synced, another writer breaks the lock and takes it
    // (a new lock file: another inode), as after this writer stalled past its lease.
    beforeSync = async (name) => {
      if (name !== "shop.json.1.<token>.tmp") return;
      beforeSync = undefined;
      await writeFile(join(dir, "other-writer.lock"), "{}");
      await rename(join(dir, "other-writer.lock"), join(dir, "shop.lock"));
    };
    const error = await bumpPercent(store, "shop", "stalled").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreBusyError);
    expect((error as Error).message).toMatch(/^lost the lock .*shop\.lock: .*nothing was committed, retry$/);
    expect((await readdir(dir)).sort()).toEqual(["shop.audit.jsonl", "shop.json", "shop.lock"]);
    expect({ state: await readFile(join(dir, "shop.json"), "utf8"), audit: await readFile(join(dir, "shop.audit.jsonl"), "utf8") }).toEqual(before);
  });

  it("probe() bounds its wait: a hung fsync is reported as the store not answering", async () => {
    const store = new FileStore({ dir });
    let release: () => void = () => undefined;
    beforeSync = (name) => (name.startsWith(".agent-canary-probe.") ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve());
    const error = await store.probe(50).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe("the file store did not answer within 50 ms");
    release();
  });

  it("probe() reports an fsync failure without an errno code as an error writing the directory", async () => {
    const store = new FileStore({ dir });
    beforeSync = () => Promise.reject(new Error("the device went away"));
    const error = await store.probe(60_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe("the file store's directory cannot be written (error)");
  });
});
