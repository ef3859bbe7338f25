import { InvalidStateError, KeyedQueue, StoreUnavailableError, type RolloutState, type StateEvent } from "@agent-canary/rollout-state";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Staleness } from "../src/staleness.js";
import { withTimeout } from "../src/timeout.js";
import { deliver, eventKey, readStateEvent } from "../src/watch-events.js";

// The helpers both stores share: the per-deployment write queue, the bound on a wait,
// the staleness bound that fails a hung store's routers closed, and how a read becomes
// the event a watcher is told.

/** A promise with its resolve and reject in hand, to settle a job exactly when the test says. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("KeyedQueue", () => {
  it("runs one key's jobs one after another, in order, and other keys side by side", async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const first = deferred();
    const a1 = queue.run("a", async () => {
      log.push("a1 start");
      await first.promise;
      log.push("a1 end");
      return 1;
    });
    const a2 = queue.run("a", async () => {
      log.push("a2");
      return 2;
    });
    const b1 = queue.run("b", async () => {
      log.push("b1");
      return 3;
    });
    await b1;
    await flush();
    // b ran while a1 was still holding key a; a2 waits for a1.
    expect(log).toEqual(["a1 start", "b1"]);
    expect(queue.size).toBe(1);
    first.resolve();
    expect(await Promise.all([a1, a2])).toEqual([1, 2]);
    expect(log).toEqual(["a1 start", "b1", "a1 end", "a2"]);
  });

  it("goes on with the next job after one failed, and hands the failure only to its caller", async () => {
    const queue = new KeyedQueue();
    const failed = queue.run("a", () => Promise.reject(new Error("disk full")));
    const next = queue.run("a", () => Promise.resolve("written"));
    await expect(failed).rejects.toThrow("disk full");
    expect(await next).toBe("written");
  });

  it("forgets a key once its last job settled, but not while a job is queued behind", async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const first = queue.run("a", () => gate.promise);
    const second = queue.run("a", () => Promise.resolve());
    gate.resolve();
    await first;
    // The first job's tail is no longer the key's tail: the key stays for the second job.
    expect(queue.size).toBe(1);
    await second;
    await flush();
    expect(queue.size).toBe(0);
    await queue.run("b", () => Promise.reject(new Error("x"))).catch(() => undefined);
    await flush();
    expect(queue.size).toBe(0);
  });
});

describe("withTimeout", () => {
  it("settles with the work when it answers first", async () => {
    expect(await withTimeout(Promise.resolve(42), 60_000, "the file store")).toBe(42);
    await expect(withTimeout(Promise.reject(new Error("EIO")), 60_000, "the file store")).rejects.toThrow("EIO");
  });

  it("rejects with StoreUnavailableError naming the store and the bound when the work hangs", async () => {
    const hung = new Promise<never>(() => undefined);
    const error = await withTimeout(hung, 5, "the file store").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe("the file store did not answer within 5 ms");
  });

  it("leaves no timer behind once the work answered", async () => {
    vi.useFakeTimers();
    try {
      await withTimeout(Promise.resolve(1), 1_000, "redis");
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("Staleness", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("tells the watcher `unavailable` once the store has been silent past the bound, with how long and the bound", () => {
    vi.useFakeTimers();
    const stale: StoreUnavailableError[] = [];
    const staleness = new Staleness(4_000, (error) => stale.push(error), "the file store");
    // Checked every quarter of the bound: silent 3 s of 4 s is not yet stale.
    vi.advanceTimersByTime(3_000);
    expect(stale).toEqual([]);
    vi.advanceTimersByTime(2_000);
    expect(stale.length).toBeGreaterThan(0);
    expect(stale[0]).toBeInstanceOf(StoreUnavailableError);
    expect(stale[0]?.message).toBe("the file store has not confirmed the rollout state for 5 s (bound: 4 s)");
    staleness.stop();
  });

  it("is not stale at exactly the bound, only past it", () => {
    vi.useFakeTimers();
    const stale: Error[] = [];
    const staleness = new Staleness(4_000, (error) => stale.push(error), "redis");
    vi.advanceTimersByTime(4_000);
    expect(stale).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(stale).toHaveLength(1);
    staleness.stop();
  });

  it("starts the bound again at each confirmed read", () => {
    vi.useFakeTimers();
    const stale: Error[] = [];
    const staleness = new Staleness(4_000, (error) => stale.push(error), "redis");
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(3_000);
      staleness.confirm();
    }
    expect(stale).toEqual([]);
    staleness.stop();
  });

  it("checks at least every second however long the bound, and at most every 50 ms however short", () => {
    vi.useFakeTimers();
    const long: Error[] = [];
    const longBound = new Staleness(60_000, (error) => long.push(error), "redis");
    // A 60 s bound is checked every second, so 61 s of silence is reported by 61 s, not 75 s.
    vi.advanceTimersByTime(61_000);
    expect(long).toHaveLength(1);
    longBound.stop();

    const short: Error[] = [];
    const shortBound = new Staleness(40, (error) => short.push(error), "redis");
    vi.advanceTimersByTime(49);
    expect(short).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(short).toHaveLength(1);
    shortBound.stop();
  });

  it("stops checking when stopped, and never keeps the process alive", () => {
    vi.useFakeTimers();
    const stale: Error[] = [];
    const staleness = new Staleness(100, (error) => stale.push(error), "redis");
    expect(vi.getTimerCount()).toBe(1);
    staleness.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(stale).toEqual([]);
  });
});

describe("watch events", () => {
  const state = { revision: 3, canaryPercent: 10 } as unknown as RolloutState;

  it("turns a read into state, missing, invalid (a state that does not parse) or unavailable (a failed read)", async () => {
    expect(await readStateEvent(() => Promise.resolve(state))).toEqual({ kind: "state", state });
    expect(await readStateEvent(() => Promise.resolve(undefined))).toEqual({ kind: "missing" });
    const invalid = new InvalidStateError("/s/shop.json", "canaryPercent", "too big");
    expect(await readStateEvent(() => Promise.reject(invalid))).toEqual({ kind: "invalid", error: invalid });
    const io = Object.assign(new Error("EIO: i/o error"), { code: "EIO" });
    expect(await readStateEvent(() => Promise.reject(io))).toEqual({ kind: "unavailable", error: io });
    const thrown = await readStateEvent(() => Promise.reject("a string"));
    expect(thrown).toMatchObject({ kind: "unavailable" });
    expect(thrown.kind === "unavailable" && thrown.error).toBeInstanceOf(Error);
    expect(thrown.kind === "unavailable" && thrown.error.message).toBe("a string");
  });

  it("keys events so an unchanged re-read is not told again, and one outage is told once", () => {
    const keys = [
      eventKey({ kind: "state", state }),
      eventKey({ kind: "state", state: { ...state, revision: 4 } }),
      eventKey({ kind: "missing" }),
      eventKey({ kind: "invalid", error: new Error("a") }),
      eventKey({ kind: "invalid", error: new Error("b") }),
      eventKey({ kind: "unavailable", error: new Error("a") }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(eventKey({ kind: "state", state: { ...state } })).toBe(keys[0]);
    expect(eventKey({ kind: "unavailable", error: new Error("another reason") })).toBe(keys[5]);
    // A state and an invalid event whose texts happen to agree are still different events.
    expect(eventKey({ kind: "invalid", error: new Error(JSON.stringify(state)) })).not.toBe(keys[0]);
  });

  it("reports a watcher's throw as a process warning and does not pass it on", async () => {
    const warnings: { message: string; code: string | undefined }[] = [];
    const onWarning = (warning: Error & { code?: string }) => warnings.push({ message: warning.message, code: warning.code });
    process.on("warning", onWarning);
    try {
      const seen: StateEvent[] = [];
      deliver((event) => seen.push(event), { kind: "missing" });
      expect(seen).toEqual([{ kind: "missing" }]);
      expect(() =>
        deliver(() => {
          throw new Error("router bug");
        }, { kind: "missing" }),
      ).not.toThrow();
      expect(() =>
        deliver(() => {
          throw "plain text";
        }, { kind: "missing" }),
      ).not.toThrow();
      await flush();
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toEqual([
      { message: "rollout state watcher threw: router bug", code: "AGENT_CANARY_WATCHER" },
      { message: "rollout state watcher threw: plain text", code: "AGENT_CANARY_WATCHER" },
    ]);
  });
});
