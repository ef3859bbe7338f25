import { mkdirSync, renameSync, watch as fsWatch, type FSWatcher } from "node:fs";
import { cp, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { FileStore, type StateEvent } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { watchDirectory, type WatchFunction } from "../src/file/dir-watch.js";
import { bumpPercent, seed } from "./fixtures.js";
import { countReads, NEVER } from "./file-store-watch-helpers.js";

// The file watcher when its directory goes away: restored from a backup, swapped for
// another, made only after the watcher started. Every watcher here has a poll that never
// fires (or fake timers that only the test advances), so what it hears it heard by event.

let base: string;
let dir: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "agent-canary-dir-watch-"));
  dir = join(base, "state");
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(base, { recursive: true, force: true });
});

/** What a router heard, one label per event: the revision of a state, else the kind. */
function listen(store: FileStore, deployment: string) {
  const heard: string[] = [];
  const stop = store.watch(deployment, (event: StateEvent) => heard.push(event.kind === "state" ? String(event.state.revision) : event.kind));
  const hears = (labels: string[], what: string) => waitFor(() => heard.length >= labels.length, { what }).then(() => expect(heard).toEqual(labels));
  return { heard, stop, hears };
}

/** Fails the test instead of hanging it when an awaited event never comes (the fake timers leave node:timers alone). */
async function within<T>(work: Promise<T>, what: string): Promise<T> {
  const guard = new AbortController();
  try {
    return await Promise.race([work, sleep(20_000, undefined, { signal: guard.signal }).then(() => Promise.reject(new Error(`gave up waiting for ${what}`)))]);
  } finally {
    guard.abort();
  }
}

/** fs.watch that never reports an event naming the watched directory (its removal, or its creation in the parent). */
function droppingDirEventsOf(target: () => string): WatchFunction {
  return (path, listener) =>
    fsWatch(path, { persistent: false }, (eventType, filename) => {
      if (filename !== basename(target())) listener(eventType, filename);
    });
}

describe("the file watcher when its directory is removed, replaced or not there yet (by event, no poll)", () => {
  // A copy of the directory at revision 0 is put back while the state is at revision 1: a
  // rollback routers must hear at once, and the next write after it.
  it.each([
    {
      how: "restored from a backup (rm -rf dir && cp -r backup dir)",
      heard: ["1", "missing", "0"],
      restore: async (router: ReturnType<typeof listen>, copy: string) => {
        await rm(dir, { recursive: true });
        await router.hears(["1", "missing"], "the removal");
        await cp(copy, dir, { recursive: true });
      },
    },
    {
      how: "swapped for a prepared copy by rename",
      heard: ["1", "0"],
      // Both renames before the watcher hears the first: its re-arm finds the copy in place.
      restore: async (_router: ReturnType<typeof listen>, copy: string) => {
        renameSync(dir, join(base, "old"));
        renameSync(copy, dir);
      },
    },
  ])("hears the state directory $how, then a write in it, by event", async ({ heard, restore }) => {
    const writer = new FileStore({ dir });
    await seed(writer, "shop");
    const copy = join(base, "copy");
    await cp(dir, copy, { recursive: true });
    await bumpPercent(writer, "shop", "test");
    const router = listen(new FileStore({ dir, pollIntervalMs: NEVER }), "shop");
    await router.hears(["1"], "the current state");
    await restore(router, copy);
    await router.hears(heard, "the restored state");
    expect(await bumpPercent(writer, "shop", "after-restore")).toBe(1);
    await router.hears([...heard, "1"], "the write after the restore");
    router.stop();
  });

  it("hears the first write into a directory (two levels) that did not exist when it started, and the next one", async () => {
    const deep = join(base, "volume", "state");
    const router = listen(new FileStore({ dir: deep, pollIntervalMs: NEVER }), "shop");
    await router.hears(["missing"], "the first read");
    const writer = new FileStore({ dir: deep });
    await seed(writer, "shop");
    await router.hears(["missing", "0"], "the first write");
    await bumpPercent(writer, "shop", "test");
    await router.hears(["missing", "0", "1"], "the second write");
    router.stop();
  });

  it("close() while it waits for the directory: the directory made later is not read", async () => {
    const file = join(dir, "shop.json");
    const stopped = countReads(dir, file);
    await stopped.readsReach(1);
    stopped.stop();
    // The witness waits on the same parent and, started later, hears each of its events
    // after the stopped watcher would have (libuv calls a path's watchers in the order they
    // started); its read when the directory appears is made in that event's callback.
    const witness = countReads(dir, file);
    await witness.readsReach(1);
    await mkdir(dir);
    await witness.readsReach(2);
    expect(stopped.reads()).toBe(1);
    witness.stop();
  });

  it("follows the wait up when the parent it waits in is removed, and hears the directory made later", async () => {
    const parent = join(base, "volume");
    const deep = join(parent, "state");
    await mkdir(parent);
    const router = listen(new FileStore({ dir: deep, pollIntervalMs: NEVER }), "shop");
    await router.hears(["missing"], "the first read");
    // The watcher waits in volume/ for state/; volume/ goes away and comes back with it.
    await rm(parent, { recursive: true });
    await seed(new FileStore({ dir: deep }), "shop");
    await router.hears(["missing", "0"], "the first write");
    router.stop();
  });
});

describe("the poll, when fs.watch drops the directory's own events (as on a network file system)", () => {
  // Each case changes the directory while no event can tell; the poll reads (2) and finds
  // another directory at the path: re-armed, the watcher reads (3) and hears by event again.
  it.each([
    { change: "remade", before: () => mkdir(dir), after: () => rm(dir, { recursive: true }).then(() => mkdir(dir)) },
    { change: "made while it waited", before: async () => undefined, after: () => mkdir(dir) },
  ])("re-arms at the next poll on a directory $change, and hears by event again", async ({ before, after }) => {
    await before();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    const file = join(dir, "shop.json");
    const watcher = countReads(dir, file, { pollIntervalMs: 1_000, watch: droppingDirEventsOf(() => dir) });
    // The witness hears every event, after the tested watcher would (started later): once it
    // has read at the change, the tested watcher has shown it heard nothing.
    const witness = countReads(dir, file);
    await within(Promise.all([watcher.readsReach(1), witness.readsReach(1)]), "the first reads");
    await after();
    await within(witness.readsReach(2), "the witness's read at the change");
    expect(watcher.reads()).toBe(1);
    witness.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    await within(watcher.readsReach(3), "the read after re-arming");
    await writeFile(join(base, "staged"), "{}");
    await rename(join(base, "staged"), file);
    await within(watcher.readsReach(4), "the read at the rename");
    watcher.stop();
  });
});

describe("verify(), the poll's check of which directory is watched", () => {
  /** A directory watch counting its re-arms and the events it passes on. */
  function watchCounting(watch?: WatchFunction) {
    const events: (string | null)[] = [];
    let rearms = 0;
    const watcher = watchDirectory({ dir, onEvent: (_type, filename) => events.push(filename), onRearm: () => rearms++, ...(watch ? { watch } : {}) });
    return { watcher, events, rearms: () => rearms };
  }
  const droppingAll: WatchFunction = (path) => fsWatch(path, { persistent: false }, () => undefined);

  it("re-arms only when another directory is at the path, once however many checks overlap, and passes on the new directory's events", async () => {
    await mkdir(dir);
    const { watcher, events, rearms } = watchCounting(droppingDirEventsOf(() => dir));
    await watcher.verify();
    await watcher.verify();
    expect(rearms()).toBe(0);
    await rm(dir, { recursive: true });
    await mkdir(dir);
    await Promise.all([watcher.verify(), watcher.verify()]);
    expect(rearms()).toBe(1);
    await writeFile(join(dir, "shop.json"), "{}");
    await waitFor(() => events.includes("shop.json"), { what: "the event from the new directory" });
    watcher.close();
  });

  it("re-arms on a directory made while it waited without an event", async () => {
    const { watcher, rearms } = watchCounting(droppingAll);
    await mkdir(dir);
    await watcher.verify();
    expect(rearms()).toBe(1);
    watcher.close();
  });

  it("does nothing once closed, even when the directory changed while it checked", async () => {
    await mkdir(dir);
    const { watcher, rearms } = watchCounting(droppingAll);
    await rm(dir, { recursive: true });
    await mkdir(dir);
    const checked = watcher.verify();
    watcher.close();
    await checked;
    await watcher.verify();
    expect(rearms()).toBe(0);
  });

  it("re-arms on a watcher's error and ignores errors of watchers it replaced", async () => {
    await mkdir(dir);
    const started: FSWatcher[] = [];
    let closedWatchers = 0;
    const { watcher, events, rearms } = watchCounting((path, listener) => {
      const w = fsWatch(path, { persistent: false }, listener);
      w.on("close", () => closedWatchers++);
      started.push(w);
      return w;
    });
    started[0]?.emit("error", new Error("EIO"));
    expect(rearms()).toBe(1);
    started[0]?.emit("error", new Error("EIO again"));
    expect(rearms()).toBe(1);
    await writeFile(join(dir, "shop.json"), "{}");
    await waitFor(() => events.includes("shop.json"), { what: "the event through the new watcher" });
    // Each re-arm closed the watcher it replaced; close() closes the last one.
    watcher.close();
    expect(started).toHaveLength(2);
    // FSWatcher emits "close" on a later tick.
    await waitFor(() => closedWatchers === 2, { what: "both watchers closed" });
  });

  it("does not walk forever on a directory that exists but cannot be watched (permissions): the poll retries", async () => {
    await mkdir(dir);
    let denied = true;
    const { watcher, rearms } = watchCounting((path, listener) => {
      if (denied && path === dir) throw Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
      return fsWatch(path, { persistent: false }, listener);
    });
    denied = false;
    await watcher.verify();
    expect(rearms()).toBe(1);
    watcher.close();
  });

  it("carries on when no watch can start (inotify's watch limit reached), and arms at a poll once one can", async () => {
    await mkdir(dir);
    let full = true;
    const { watcher, events, rearms } = watchCounting((path, listener) => {
      if (full) throw Object.assign(new Error("ENOSPC: System limit for number of file watchers reached"), { code: "ENOSPC" });
      return fsWatch(path, { persistent: false }, listener);
    });
    await watcher.verify();
    expect(rearms()).toBe(0);
    full = false;
    await watcher.verify();
    expect(rearms()).toBe(1);
    await writeFile(join(dir, "shop.json"), "{}");
    await waitFor(() => events.includes("shop.json"), { what: "the event once watched" });
    watcher.close();
  });

  it("walks again when the directory is made while its parent's watch starts (an event that parent never hears)", async () => {
    const { watcher, events } = watchCounting((path, listener) => {
      if (path === base) mkdirSync(dir, { recursive: true });
      return fsWatch(path, { persistent: false }, listener);
    });
    await writeFile(join(dir, "shop.json"), "{}");
    await waitFor(() => events.includes("shop.json"), { what: "the event from the directory" });
    watcher.close();
  });
});
