import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, type RolloutState, type StateEvent } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";
import { watchStateFile } from "../src/file/watch.js";
import { bumpPercent, seed } from "./fixtures.js";
import { countReads, NEVER } from "./file-store-watch-helpers.js";

// The file store's watcher: what a router hears, when, and that it stops. The timer-driven
// parts (poll, staleness, coalesced reads, stop) run on fake timers with a scripted read, so
// every step is decided by the test rather than by the machine's speed; the fs.watch parts
// run on a real directory and wait on the events themselves.

const state = (revision: number) => ({ revision }) as unknown as RolloutState;
const stateEvent = (revision: number): StateEvent => ({ kind: "state", state: state(revision) });

/** A scripted store read: each call takes the next answer; `hold()` makes the next call wait until released. */
function scriptedRead(answers: StateEvent[]) {
  let calls = 0;
  let running = 0;
  let maxRunning = 0;
  let held: { release: () => void } | undefined;
  let last: StateEvent = { kind: "missing" };
  const read = async (): Promise<StateEvent> => {
    calls++;
    running++;
    maxRunning = Math.max(maxRunning, running);
    if (held) await new Promise<void>((resolve) => (held = { release: resolve }));
    running--;
    last = answers.shift() ?? last;
    return last;
  };
  return {
    read,
    get calls() {
      return calls;
    },
    get maxRunning() {
      return maxRunning;
    },
    hold() {
      held = { release: () => undefined };
    },
    release() {
      const h = held;
      held = undefined;
      h?.release();
    },
    answer(event: StateEvent) {
      answers.push(event);
    },
  };
}

function startWatch(read: () => Promise<StateEvent>, options: { pollIntervalMs?: number; staleAfterMs?: number } = {}) {
  const events: StateEvent[] = [];
  const stop = watchStateFile({
    // No such directory, and none is made: no fs.watch event is ever read, only the timers drive reads.
    dir: join(tmpdir(), "agent-canary-no-such-dir", String(process.pid)),
    file: join(tmpdir(), "agent-canary-no-such-dir", String(process.pid), "shop.json"),
    pollIntervalMs: options.pollIntervalMs ?? 1_000,
    debounceMs: 20,
    staleAfterMs: options.staleAfterMs ?? 60_000,
    readEvent: read,
    onEvent: (event) => events.push(event),
  });
  return { events, stop };
}

describe("the file watcher's timers (scripted reads)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reads at once, then at every poll, and tells only what changed", async () => {
    vi.useFakeTimers();
    const script = scriptedRead([stateEvent(0)]);
    const { events, stop } = startWatch(script.read);
    await vi.advanceTimersByTimeAsync(0);
    expect(script.calls).toBe(1);
    expect(events).toEqual([stateEvent(0)]);
    // Three polls that read the same state tell nothing new.
    await vi.advanceTimersByTimeAsync(3_000);
    expect(script.calls).toBe(4);
    expect(events).toEqual([stateEvent(0)]);
    script.answer(stateEvent(1));
    script.answer({ kind: "missing" });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(events).toEqual([stateEvent(0), stateEvent(1), { kind: "missing" }]);
    stop();
  });

  it("stops reading and leaves no timer once stopped", async () => {
    vi.useFakeTimers();
    const script = scriptedRead([stateEvent(0)]);
    const { events, stop } = startWatch(script.read);
    await vi.advanceTimersByTimeAsync(2_000);
    const calls = script.calls;
    stop();
    expect(vi.getTimerCount()).toBe(0);
    script.answer(stateEvent(1));
    await vi.advanceTimersByTimeAsync(120_000);
    expect(script.calls).toBe(calls);
    expect(events).toEqual([stateEvent(0)]);
  });

  it("does not tell a change read after it was stopped", async () => {
    vi.useFakeTimers();
    const script = scriptedRead([stateEvent(0)]);
    const { events, stop } = startWatch(script.read);
    await vi.advanceTimersByTimeAsync(0);
    script.hold();
    script.answer(stateEvent(1));
    await vi.advanceTimersByTimeAsync(1_000);
    stop();
    script.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual([stateEvent(0)]);
  });

  it("never runs two reads at once: checks that arrive during a read become one more read after it", async () => {
    vi.useFakeTimers();
    const script = scriptedRead([stateEvent(0)]);
    const { events, stop } = startWatch(script.read, { pollIntervalMs: 100 });
    await vi.advanceTimersByTimeAsync(0);
    script.hold();
    // One poll starts a read that hangs; five more polls arrive while it runs.
    await vi.advanceTimersByTimeAsync(600);
    expect(script.calls).toBe(2);
    script.answer(stateEvent(1));
    script.answer(stateEvent(2));
    script.release();
    await vi.advanceTimersByTimeAsync(0);
    // The held read and the one follow-up read they asked for, not five.
    expect(script.calls).toBe(3);
    expect(script.maxRunning).toBe(1);
    expect(events).toEqual([stateEvent(0), stateEvent(1), stateEvent(2)]);
    stop();
  });

  it("stops the follow-up reads when stopped during a read", async () => {
    vi.useFakeTimers();
    const script = scriptedRead([stateEvent(0)]);
    const { stop } = startWatch(script.read, { pollIntervalMs: 100 });
    await vi.advanceTimersByTimeAsync(0);
    script.hold();
    await vi.advanceTimersByTimeAsync(300);
    stop();
    script.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(script.calls).toBe(2);
  });

  it("tells `unavailable` only once reads have failed past the staleness bound, then the state again once a read succeeds", async () => {
    vi.useFakeTimers();
    const failed: StateEvent = { kind: "unavailable", error: new Error("EIO") };
    const script = scriptedRead([stateEvent(0), failed]);
    const { events, stop } = startWatch(script.read, { pollIntervalMs: 1_000, staleAfterMs: 5_000 });
    await vi.advanceTimersByTimeAsync(0);
    // Failed reads by themselves are not told: a single failure must not fail routers closed.
    await vi.advanceTimersByTimeAsync(4_000);
    expect(events).toEqual([stateEvent(0)]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(events.map((e) => e.kind)).toEqual(["state", "unavailable"]);
    expect((events[1] as { error: Error }).error.message).toMatch(/^the file store has not confirmed the rollout state for \d+ s \(bound: 5 s\)$/);
    // The outage goes on: told once.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toHaveLength(2);
    script.answer(stateEvent(0));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(events.map((e) => e.kind)).toEqual(["state", "unavailable", "state"]);
    stop();
  });

  it("counts a read that found no state, or an invalid one, as the store answering", async () => {
    vi.useFakeTimers();
    const invalid: StateEvent = { kind: "invalid", error: new Error("bad field") };
    const script = scriptedRead([invalid]);
    const { events, stop } = startWatch(script.read, { pollIntervalMs: 1_000, staleAfterMs: 3_000 });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(events).toEqual([invalid]);
    stop();
  });
});

describe("the file watcher on a real directory", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("tells every committed change, each once and in order, and nothing after close()", async () => {
    dir = await mkdtemp(join(tmpdir(), "agent-canary-watch-"));
    const writer = new FileStore({ dir });
    await seed(writer, "shop");
    const watcher = new FileStore({ dir, pollIntervalMs: 100 });
    const revisions: number[] = [];
    watcher.watch("shop", (event) => {
      if (event.kind === "state") revisions.push(event.state.revision);
    });
    await waitFor(() => revisions.length === 1, { what: "the initial state" });
    for (let expected = 1; expected <= 5; expected++) {
      expect(await bumpPercent(writer, "shop", "test")).toBe(expected);
      await waitFor(() => revisions.includes(expected), { what: `revision ${expected}` });
    }
    expect(revisions).toEqual([0, 1, 2, 3, 4, 5]);
    await watcher.close();
    // A second store's watcher, started after close(), is the witness that revision 6 was
    // there to be read (the timers close() clears are counted in the next test).
    await bumpPercent(writer, "shop", "after-close");
    const witness = new FileStore({ dir, pollIntervalMs: 100 });
    const seen: number[] = [];
    witness.watch("shop", (event) => {
      if (event.kind === "state") seen.push(event.state.revision);
    });
    await waitFor(() => seen.includes(6), { what: "the witness to see revision 6" });
    await witness.close();
    expect(revisions).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("close() stops every watcher of the store, its poll and staleness timers with it", async () => {
    dir = await mkdtemp(join(tmpdir(), "agent-canary-watch-"));
    await seed(new FileStore({ dir }), "shop");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    try {
      const store = new FileStore({ dir });
      const stopOne = store.watch("shop", () => undefined);
      store.watch("shop", () => undefined);
      store.watch("billing", () => undefined);
      // Each watcher: a poll and a staleness check.
      expect(vi.getTimerCount()).toBe(6);
      stopOne();
      expect(vi.getTimerCount()).toBe(4);
      // Stopping one twice, or after close(), is harmless.
      stopOne();
      await store.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reads an in-place edit of the state file after the debounce, without waiting for the poll", async () => {
    dir = await mkdtemp(join(tmpdir(), "agent-canary-watch-"));
    const seeded = await seed(new FileStore({ dir }), "shop");
    const watcher = new FileStore({ dir, pollIntervalMs: NEVER, debounceMs: 10 });
    const events: StateEvent[] = [];
    const stop = watcher.watch("shop", (event) => events.push(event));
    await waitFor(() => events.length === 1, { what: "the initial state" });
    // Someone edits the file by hand (no rename): fs.watch says "change", the debounced read follows.
    await writeFile(join(dir, "shop.json"), JSON.stringify({ ...seeded, canaryPercent: 42 }));
    const edited = await waitFor(() => events.find((e) => e.kind === "state" && e.state.canaryPercent === 42), { what: "the edit" });
    expect(edited).toMatchObject({ state: { revision: 0 } });
    stop();
  });

  it("tells only a whole state from the read at a rename; anything else waits for the debounced read", async () => {
    dir = await mkdtemp(join(tmpdir(), "agent-canary-watch-"));
    const file = join(dir, "shop.json");
    // The eager read (at the rename) finds the file half-written by someone else's
    // non-atomic create; the debounced read after it finds the settled state.
    const script = scriptedRead([{ kind: "missing" }, { kind: "invalid", error: new Error("half written") }, stateEvent(1)]);
    const events: StateEvent[] = [];
    const stop = watchStateFile({ dir, file, pollIntervalMs: NEVER, debounceMs: 20, staleAfterMs: NEVER, readEvent: script.read, onEvent: (event) => events.push(event) });
    await waitFor(() => events.length === 1, { what: "the first read" });
    await writeFile(join(dir, "elsewhere"), "{}");
    await rename(join(dir, "elsewhere"), file);
    await waitFor(() => events.length === 2, { what: "the debounced read" });
    expect(events).toEqual([{ kind: "missing" }, stateEvent(1)]);
    expect(script.calls).toBeGreaterThanOrEqual(3);
    stop();
  });

  it("tells what a read asked for during the read at a rename finds, even when it is not a state", async () => {
    dir = await mkdtemp(join(tmpdir(), "agent-canary-watch-"));
    const file = join(dir, "shop.json");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    try {
      // Read 1 (at start) finds nothing; read 2, at the rename, is held until the debounced
      // check has asked for another read; that read (3) finds the file removed again.
      const answers: StateEvent[] = [{ kind: "missing" }, stateEvent(1), { kind: "missing" }];
      let releaseRename: () => void = () => undefined;
      const renameRead = new Promise<void>((resolve) => (releaseRename = resolve));
      let atRename: () => void = () => undefined;
      const renameHeard = new Promise<void>((resolve) => (atRename = resolve));
      let reads = 0;
      const events: StateEvent[] = [];
      const stop = watchStateFile({
        dir,
        file,
        pollIntervalMs: NEVER,
        debounceMs: 1_000,
        staleAfterMs: NEVER,
        readEvent: async () => {
          if (++reads === 2) {
            atRename();
            await renameRead;
          }
          return answers.shift() ?? { kind: "missing" };
        },
        onEvent: (event) => events.push(event),
      });
      await writeFile(join(dir, "staged"), "{}");
      await rename(join(dir, "staged"), file);
      await renameHeard;
      // The debounced read falls due while the read at the rename runs: it becomes read 3.
      await vi.advanceTimersByTimeAsync(1_000);
      releaseRename();
      await vi.advanceTimersByTimeAsync(0);
      expect(reads).toBe(3);
      // Only the read at the rename itself keeps a non-state to itself; the follow-up tells it.
      expect(events).toEqual([{ kind: "missing" }, stateEvent(1), { kind: "missing" }]);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it("stop() drops a debounced read that is still pending", async () => {
    dir = await mkdtemp(join(tmpdir(), "agent-canary-watch-"));
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    try {
      let eventRead: () => void = () => undefined;
      const heard = new Promise<void>((resolve) => (eventRead = resolve));
      let reads = 0;
      const stop = watchStateFile({
        dir,
        file: join(dir, "shop.json"),
        pollIntervalMs: NEVER,
        debounceMs: 60_000,
        staleAfterMs: NEVER,
        readEvent: async () => {
          if (++reads === 2) eventRead();
          return { kind: "missing" };
        },
        onEvent: () => undefined,
      });
      // The poll and the staleness check.
      expect(vi.getTimerCount()).toBe(2);
      // A rename onto the state file: read at once, and a debounced read scheduled.
      await writeFile(join(dir, "staged"), "{}");
      await rename(join(dir, "staged"), join(dir, "shop.json"));
      await heard;
      expect(vi.getTimerCount()).toBe(3);
      stop();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("stop() closes the directory watcher, which the polls never duplicated: a later rename is not read", async () => {
    dir = await mkdtemp(join(tmpdir(), "agent-canary-watch-"));
    const file = join(dir, "shop.json");
    // Each poll also restarts the directory watcher if it is gone; five polls must not leave
    // five watchers (stop() closes one).
    const stopped = countReads(dir, file, { pollIntervalMs: 5 });
    await stopped.readsReach(6);
    stopped.stop();
    const readsAtStop = stopped.reads();
    // The witness, started after it, hears each event after it (libuv calls a path's
    // watchers in the order they started), so once the witness has read at the rename,
    // the stopped watcher would have read too.
    const witness = countReads(dir, file);
    await witness.readsReach(1);
    await writeFile(join(dir, "staged"), "{}");
    await rename(join(dir, "staged"), file);
    await witness.readsReach(2);
    expect(stopped.reads()).toBe(readsAtStop);
    witness.stop();
  });

  it("keeps one debounced read pending however many events arrive before it", async () => {
    dir = await mkdtemp(join(tmpdir(), "agent-canary-watch-"));
    const file = join(dir, "shop.json");
    await writeFile(file, "{}");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    try {
      let renamed: () => void = () => undefined;
      const heardRename = new Promise<void>((resolve) => (renamed = resolve));
      let reads = 0;
      const stop = watchStateFile({
        dir,
        file,
        pollIntervalMs: NEVER,
        debounceMs: 60_000,
        staleAfterMs: NEVER,
        readEvent: async () => {
          if (++reads === 2) renamed();
          return { kind: "missing" };
        },
        onEvent: () => undefined,
      });
      // Five in-place edits ("change" events, debounced), then a rename (read at once): once
      // that read ran, every earlier event has been heard.
      for (let i = 0; i < 5; i++) await writeFile(file, `{"edit":${i}}`);
      await writeFile(join(dir, "staged"), "{}");
      await rename(join(dir, "staged"), file);
      await heardRename;
      // The poll, the staleness check and one debounced read.
      expect(vi.getTimerCount()).toBe(3);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it("reads at once only on a rename; an in-place edit waits for the debounce", async () => {
    dir = await mkdtemp(join(tmpdir(), "agent-canary-watch-"));
    const file = join(dir, "shop.json");
    await writeFile(file, "{}");
    // The tested watcher's debounce never ends; the witness, started after it, reads 1 ms
    // after the same event, by which time a read at once would have happened.
    const tested = countReads(dir, file);
    const witness = countReads(dir, file, { debounceMs: 1 });
    await waitFor(() => tested.reads() === 1 && witness.reads() === 1, { what: "the first reads" });
    await writeFile(file, '{"edited":true}');
    await waitFor(() => witness.reads() >= 2, { what: "the witness's debounced read" });
    expect(tested.reads()).toBe(1);
    tested.stop();
    witness.stop();
  });

  it("ignores other files in the directory", async () => {
    dir = await mkdtemp(join(tmpdir(), "agent-canary-watch-"));
    await seed(new FileStore({ dir }), "shop");
    // The shop watcher would read 1 ms after an event it took for its own; the witness,
    // watching the file that changes, reads 50 ms after the same event. Both hear each
    // event in the same turn of the event loop, so once the witness has read, the shop
    // watcher's 1 ms timer would have fired before it.
    // billing.json exists before: the edit below is a "change" event, read only after the
    // debounce (a "rename" of the watched file would be read at once).
    await writeFile(join(dir, "billing.json"), "{}");
    const shop = countReads(dir, join(dir, "shop.json"), { debounceMs: 1 });
    const witness = countReads(dir, join(dir, "billing.json"), { debounceMs: 50 });
    await waitFor(() => shop.reads() === 1 && witness.reads() === 1, { what: "the first reads" });
    await writeFile(join(dir, "billing.json"), '{"edited":true}');
    await waitFor(() => witness.reads() >= 2, { what: "the witness's read of billing.json" });
    expect(shop.reads()).toBe(1);
    shop.stop();
    witness.stop();
  });
});
