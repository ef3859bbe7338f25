import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { describe, expect, it } from "vitest";
import { storeConformance } from "./conformance.js";
import { bumpPercent, seed } from "./fixtures.js";

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "agent-canary-filestore-"));
}

storeConformance("FileStore", async () => {
  const dir = await tempDir();
  // The lock wait is a hang guard, not a verdict: under mutation testing on a loaded
  // machine a queue of writers can wait far longer than the 10 s default, and a store
  // that gives up then fails the "loses no update" test for no fault of the code.
  const store = new FileStore({ dir, pollIntervalMs: 200, lockTimeoutMs: 300_000 });
  const other = new FileStore({ dir, pollIntervalMs: 200, lockTimeoutMs: 300_000 });
  return {
    store,
    other,
    corrupt: (deployment, raw) => writeFile(join(dir, `${deployment}.json`), raw),
    cleanup: async () => {
      await store.close();
      await other.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe("FileStore files", () => {
  it("writes once its directory can be made, after a first attempt failed", async () => {
    const parent = await tempDir();
    // A file where the store's directory should be: mkdir fails until it is moved away.
    await writeFile(join(parent, "state"), "not a directory");
    const store = new FileStore({ dir: join(parent, "state") });
    // A first state and its audit entry, made elsewhere, to write straight through compare-and-set.
    const elsewhere = new FileStore({ dir: join(parent, "elsewhere") });
    const first = await seed(elsewhere, "shop");
    const [entry] = await elsewhere.auditLog("shop");
    if (!entry) throw new Error("seed wrote no audit entry");
    await expect(store.compareAndSet("shop", null, first, entry)).rejects.toThrow(/EEXIST|ENOTDIR/);
    await rm(join(parent, "state"));
    expect(await store.compareAndSet("shop", null, first, entry)).toMatchObject({ ok: true });
    expect(await store.read("shop")).toEqual(first);
  });

  it("leaves only the state, the audit log and no temp or lock files after writes", async () => {
    const dir = await tempDir();
    const store = new FileStore({ dir });
    await seed(store, "shop");
    expect((await readdir(dir)).sort()).toEqual(["shop.audit.jsonl", "shop.json"]);
    await rm(dir, { recursive: true, force: true });
  });

  it("names the file and line of a corrupt audit entry", async () => {
    const dir = await tempDir();
    const store = new FileStore({ dir });
    await seed(store, "shop");
    await writeFile(join(dir, "shop.audit.jsonl"), '{"broken": true}\n');
    await expect(store.auditLog("shop")).rejects.toThrow(/shop\.audit\.jsonl:1/);
    await rm(dir, { recursive: true, force: true });
  });

  it("watches a directory that does not exist yet and hears of the first state written there", async () => {
    const dir = join(await tempDir(), "not-yet");
    const watcher = new FileStore({ dir, pollIntervalMs: 100 });
    const events: string[] = [];
    const stop = watcher.watch("shop", (event) => events.push(event.kind));
    await waitFor(() => events[0] === "missing", { what: "missing event" });
    await seed(new FileStore({ dir }), "shop");
    await waitFor(() => events.includes("state"), { what: "state event after the directory appeared" });
    stop();
  });

  it("delivers a committed change through fs.watch's rename event, not the debounce or the poll", async () => {
    const dir = await tempDir();
    const writer = new FileStore({ dir });
    await seed(writer, "shop");
    // Poll and debounce both far beyond the test's timeout (and under setTimeout's 2^31 ms cap):
    // only the eager read on the rename that commits a write can deliver the change.
    const never = 2_000_000_000;
    const watcher = new FileStore({ dir, pollIntervalMs: never, debounceMs: never });
    const revisions: number[] = [];
    const stop = watcher.watch("shop", (event) => {
      if (event.kind === "state") revisions.push(event.state.revision);
    });
    await waitFor(() => revisions.length === 1, { what: "the initial state", timeoutMs: 10_000 });
    const next = await bumpPercent(writer, "shop", "test");
    await waitFor(() => revisions.includes(next), { what: `revision ${next} through the watch path`, timeoutMs: 10_000 });
    stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a deployment name that could escape the directory", async () => {
    const store = new FileStore({ dir: await tempDir() });
    await expect(store.read("../etc/passwd")).rejects.toThrow(/a-z, 0-9/);
  });
});
