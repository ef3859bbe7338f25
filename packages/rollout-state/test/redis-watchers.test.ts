import type { RolloutState, StateEvent } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { Redis } from "ioredis";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { RedisWatchers } from "../src/redis/watchers.js";
import { bumpPercent, seed } from "./fixtures.js";
import { MemoryStore } from "./memory-store.js";
import { useRedisServer } from "./redis-server.js";

// RedisWatchers with a real subscriber connection and pub/sub, and reads the test answers
// by hand: that is how a test can hold a read open while notifications arrive, which with
// a real store depends on which socket the event loop serves first.

const server = useRedisServer();
const NEVER = 600_000;
let channelCounter = 0;
let states: RolloutState[] = [];

beforeAll(async () => {
  const memory = new MemoryStore();
  await seed(memory, "shop");
  await bumpPercent(memory, "shop", "one");
  const latest = memory.states.get("shop") as RolloutState;
  // Three states told apart by their revision.
  states = [0, 1, 2].map((revision) => ({ ...latest, revision }));
});

interface HeldRead {
  deployment: string;
  answer: (event: StateEvent) => void;
}

/** Watchers on a fresh channel; `hold` names the deployments whose reads wait for the test. */
function harness(options: { hold: string[]; pollIntervalMs?: number; staleAfterMs?: number; answer?: StateEvent }) {
  const channel = `watchers${++channelCounter}:changes`;
  const client = new Redis(server.redis.redisUrl);
  const held: HeldRead[] = [];
  const readsOf = new Map<string, number>();
  const watchers = new RedisWatchers({
    channel,
    pollIntervalMs: options.pollIntervalMs ?? NEVER,
    staleAfterMs: options.staleAfterMs ?? NEVER,
    client: async () => client,
    readEvent: (deployment) => {
      readsOf.set(deployment, (readsOf.get(deployment) ?? 0) + 1);
      if (!options.hold.includes(deployment)) return Promise.resolve(options.answer ?? { kind: "missing" });
      return new Promise<StateEvent>((answer) => held.push({ deployment, answer }));
    },
  });
  const subscribed = () => waitFor(async () => ((await server.admin.pubsub("NUMSUB", channel)) as [string, number])[1] === 1, { what: "the subscription" });
  return {
    watchers,
    held,
    reads: (deployment: string) => readsOf.get(deployment) ?? 0,
    publish: (message: string) => server.admin.publish(channel, message),
    subscribed,
    close: () => {
      watchers.close();
      client.disconnect();
    },
  };
}

const stateEvent = (revision: number): StateEvent => ({ kind: "state", state: states[revision] as RolloutState });

describe("RedisWatchers: one read at a time per watcher", () => {
  it("does not start a second read while one is open; notifications meanwhile ask for exactly one more, whose answer is delivered", async () => {
    const h = harness({ hold: ["shop"] });
    try {
      // "other" answers at once: a read of it proves that earlier messages were handled.
      h.watchers.add("other", () => undefined);
      await h.subscribed();
      const events: StateEvent[] = [];
      h.watchers.add("shop", (event) => events.push(event));
      expect(h.reads("shop")).toBe(1);
      const otherBefore = h.reads("other");
      for (const message of ["shop 1", "shop 2", "other 1"]) await h.publish(message);
      await waitFor(() => h.reads("other") === otherBefore + 1, { what: "the notification for other" });
      expect(h.reads("shop")).toBe(1);

      h.held.shift()?.answer(stateEvent(0));
      await waitFor(() => h.reads("shop") === 2, { what: "the one read the notifications asked for" });
      expect(events).toEqual([stateEvent(0)]);
      h.held.shift()?.answer(stateEvent(2));
      await waitFor(() => events.length === 2, { what: "the state the second read found" });
      expect(events).toEqual([stateEvent(0), stateEvent(2)]);

      // Nothing more was asked for: no third read of shop by the time a later message is handled.
      await h.publish("other 2");
      await waitFor(() => h.reads("other") === otherBefore + 2, { what: "the second notification for other" });
      expect(h.reads("shop")).toBe(2);
      expect(h.held).toEqual([]);
    } finally {
      h.close();
    }
  });

  it("re-reads only the deployment a notification names", async () => {
    const h = harness({ hold: [] });
    try {
      for (const deployment of ["billing", "shop", "search"]) h.watchers.add(deployment, () => undefined);
      await h.subscribed();
      const before = ["billing", "shop", "search"].map((d) => h.reads(d));
      await h.publish("shop 7");
      await waitFor(() => h.reads("shop") === (before[1] ?? 0) + 1, { what: "the re-read of shop" });
      // A message for billing, handled after shop's: by then shop's message caused no other read.
      await h.publish("billing 3");
      await waitFor(() => h.reads("billing") === (before[0] ?? 0) + 1, { what: "the re-read of billing" });
      expect(["billing", "shop", "search"].map((d) => h.reads(d))).toEqual([(before[0] ?? 0) + 1, (before[1] ?? 0) + 1, before[2]]);
    } finally {
      h.close();
    }
  });
});

describe("RedisWatchers without a client", () => {
  it("a watch whose store could not make a client (ioredis missing) is told `unavailable` by its bound, and stops cleanly", async () => {
    // No subscriber could be made: stopping must not touch one (an unhandled rejection would end the agent's process).
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on("unhandledRejection", onRejection);
    const unavailable = { kind: "unavailable", error: new Error("the Redis store needs the ioredis package") } as const;
    const watchers = new RedisWatchers({
      channel: "nowhere:changes",
      pollIntervalMs: 50,
      staleAfterMs: 200,
      client: () => Promise.reject(new Error("the Redis store needs the ioredis package")),
      readEvent: () => Promise.resolve(unavailable),
    });
    try {
      const events: StateEvent[] = [];
      const stop = watchers.add("shop", (event) => events.push(event));
      const told = await waitFor(() => events[0], { what: "the staleness bound's `unavailable`" });
      expect(told).toMatchObject({ kind: "unavailable", error: { message: expect.stringMatching(/^redis has not confirmed the rollout state/) } });
      stop();
      watchers.add("billing", () => undefined);
      watchers.close();
      // Rejections surface after the promise chain settles: give it a macrotask, then look.
      await new Promise((resolve) => setImmediate(resolve));
      expect(rejections).toEqual([]);
    } finally {
      process.off("unhandledRejection", onRejection);
    }
  });
});

describe("RedisWatchers: timers", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a watcher whose reads keep succeeding is never told `unavailable`, however long it runs", async () => {
    // Only Date and the intervals are fake (the poll and the staleness check); ioredis's own timeouts stay real.
    vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"] });
    const h = harness({ hold: [], pollIntervalMs: 1_000, staleAfterMs: 5_000, answer: stateEvent(0) });
    try {
      const events: StateEvent[] = [];
      h.watchers.add("shop", (event) => events.push(event));
      for (let second = 0; second < 30; second++) await vi.advanceTimersByTimeAsync(1_000);
      expect(h.reads("shop")).toBeGreaterThanOrEqual(30);
      expect(events).toEqual([stateEvent(0)]);
    } finally {
      h.close();
    }
  });

  it("leaves no interval behind: a stopped watcher's staleness check and, with the last one, the poll end", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const h = harness({ hold: [] });
    try {
      const stopShop = h.watchers.add("shop", () => undefined);
      const stopBilling = h.watchers.add("billing", () => undefined);
      // The poll, and one staleness check per watcher.
      expect(vi.getTimerCount()).toBe(3);
      stopShop();
      expect(vi.getTimerCount()).toBe(2);
      stopBilling();
      expect(vi.getTimerCount()).toBe(0);
      h.watchers.add("shop", () => undefined);
      h.watchers.add("search", () => undefined);
      expect(vi.getTimerCount()).toBe(3);
      h.watchers.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      h.close();
    }
  });
});
