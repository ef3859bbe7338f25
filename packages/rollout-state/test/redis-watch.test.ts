import { RedisStore, rollback, transition, type RedisStoreOptions, type RolloutState, type StateEvent } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { describe, expect, it } from "vitest";
import { useRedisServer } from "./redis-server.js";
import { bumpPercent, seed } from "./fixtures.js";

// How a router hears of changes: pub/sub for each write, a re-read on every poll and
// (re)connect, one subscriber connection per store. Most tests set the poll so far off
// (10 min) that only a notification can explain an event.

const NO_POLL = 600_000;
let prefixCounter = 0;

const server = useRedisServer();

/** A router (watching) and a writer on one fresh prefix; both closed after `body`. */
async function withPair(options: Partial<RedisStoreOptions>, body: (router: RedisStore, writer: RedisStore, prefix: string) => Promise<void>): Promise<void> {
  const prefix = `w${++prefixCounter}:`;
  const router = new RedisStore({ url: server.redis.redisUrl, prefix, pollIntervalMs: NO_POLL, staleAfterMs: NO_POLL, ...options });
  const writer = new RedisStore({ url: server.redis.redisUrl, prefix });
  try {
    await body(router, writer, prefix);
  } finally {
    await router.close();
    await writer.close();
  }
}

/** Watches `deployment` and waits for the first event (the state as it is now). */
async function watchFirst(store: RedisStore, deployment: string): Promise<{ events: StateEvent[]; stop: () => void }> {
  const events: StateEvent[] = [];
  const stop = store.watch(deployment, (event) => events.push(event));
  await waitFor(() => events.length === 1, { what: `the first event of ${deployment}` });
  return { events, stop };
}

const revisions = (events: StateEvent[]) => events.map((e) => (e.kind === "state" ? e.state.revision : e.kind));

/** How many connections of this server are subscribed to a channel. */
async function subscriberConnections(): Promise<number> {
  const list = (await server.admin.call("CLIENT", "LIST", "TYPE", "pubsub")) as string;
  return list.split("\n").filter((line) => line.includes("sub=1")).length;
}

describe("RedisStore.watch", () => {
  it("tells a watcher of every change, each as it is written, from pub/sub alone", async () => {
    await withPair({}, async (router, writer) => {
      await seed(writer, "shop");
      const { events, stop } = await watchFirst(router, "shop");
      for (let revision = 1; revision <= 5; revision++) {
        await bumpPercent(writer, "shop", `step${revision}`);
        await waitFor(() => events.length === revision + 1, { what: `revision ${revision}` });
      }
      expect(revisions(events)).toEqual([0, 1, 2, 3, 4, 5]);
      stop();
    });
  });

  it("after a burst of writes, ends on the last one (a notification during a read is not lost)", async () => {
    await withPair({}, async (router, writer) => {
      await seed(writer, "shop");
      const { events, stop } = await watchFirst(router, "shop");
      for (let i = 0; i < 30; i++) await bumpPercent(writer, "shop", `burst${i}`);
      await waitFor(() => events.at(-1)?.kind === "state" && (events.at(-1) as { state: RolloutState }).state.revision === 30, { what: "revision 30" });
      const seen = revisions(events);
      // In order, each at most once (unchanged re-reads are not reported).
      expect(seen).toEqual([...new Set(seen)].sort((a, b) => Number(a) - Number(b)));
      stop();
    });
  });

  it("tells each watcher of its own deployment only, and every watcher of one deployment", async () => {
    await withPair({}, async (router, writer) => {
      await seed(writer, "shop");
      await seed(writer, "billing");
      const shop: StateEvent[] = [];
      const shop2: StateEvent[] = [];
      const billing: StateEvent[] = [];
      const stops = [router.watch("shop", (e) => shop.push(e)), router.watch("shop", (e) => shop2.push(e)), router.watch("billing", (e) => billing.push(e))];
      await waitFor(() => shop.length === 1 && shop2.length === 1 && billing.length === 1, { what: "three initial states" });
      await transition(writer, "billing", rollback("billing"), { by: "receiver", reason: "gate" });
      await waitFor(() => billing.length === 2, { what: "billing's rollback" });
      await transition(writer, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
      await waitFor(() => shop.length === 2 && shop2.length === 2, { what: "shop's rollback at both watchers" });
      expect([revisions(shop), revisions(shop2), revisions(billing)]).toEqual([
        [0, 1],
        [0, 1],
        [0, 1],
      ]);
      expect(billing[1]).toMatchObject({ kind: "state", state: { deployment: "billing", phase: "rolled_back" } });
      for (const stop of stops) stop();
    });
  });

  it("tells a watcher `missing` before the first write, then the state once it is created", async () => {
    await withPair({}, async (router, writer) => {
      const events: StateEvent[] = [];
      const stop = router.watch("shop", (event) => events.push(event));
      await waitFor(() => events.length === 1, { what: "the first event" });
      await seed(writer, "shop");
      await waitFor(() => events.length === 2, { what: "the created state" });
      expect(revisions(events)).toEqual(["missing", 0]);
      stop();
    });
  });

  it("sees a change written without a notification at the next poll", async () => {
    await withPair({ pollIntervalMs: 100 }, async (router, writer, prefix) => {
      const state = await seed(writer, "shop");
      const { events, stop } = await watchFirst(router, "shop");
      // A hand edit: no script, so no PUBLISH.
      await server.admin.hset(`${prefix}{shop}:state`, "state", JSON.stringify({ ...state, canaryPercent: 0, phase: "rolled_back" }));
      expect(await waitFor(() => events[1], { what: "the hand edit" })).toMatchObject({ kind: "state", state: { phase: "rolled_back", canaryPercent: 0 } });
      stop();
    });
  });

  it("tells a watcher a state that turned invalid at once, and the repaired state after", async () => {
    await withPair({}, async (router, writer, prefix) => {
      const state = await seed(writer, "shop");
      const { events, stop } = await watchFirst(router, "shop");
      await server.admin.hset(`${prefix}{shop}:state`, "state", JSON.stringify({ ...state, canaryPercent: 250 }));
      await server.admin.publish(`${prefix}changes`, "shop 0");
      const invalid = await waitFor(() => events[1], { what: "the invalid state" });
      expect(invalid).toMatchObject({ kind: "invalid", error: { field: "canaryPercent", source: `redis key ${prefix}{shop}:state` } });
      await server.admin.hset(`${prefix}{shop}:state`, "state", JSON.stringify(state));
      await server.admin.publish(`${prefix}changes`, "shop 0");
      expect(await waitFor(() => events[2], { what: "the repaired state" })).toMatchObject({ kind: "state", state: { revision: 0 } });
      stop();
    });
  });

  it("shares one subscriber connection among a store's watchers and closes it with the last one", async () => {
    await withPair({}, async (router, writer) => {
      await seed(writer, "shop");
      const before = await subscriberConnections();
      const events: StateEvent[] = [];
      const stopA = router.watch("shop", (e) => events.push(e));
      const stopB = router.watch("billing", (e) => events.push(e));
      await waitFor(async () => (await subscriberConnections()) === before + 1, { what: "one subscriber connection" });
      await waitFor(() => events.length === 2, { what: "both initial events" });
      expect(await subscriberConnections()).toBe(before + 1);
      stopA();
      expect(await subscriberConnections()).toBe(before + 1);
      // The other watcher still hears of changes by pub/sub (the poll is 10 min off).
      await seed(writer, "billing");
      await waitFor(() => events.some((e) => e.kind === "state" && e.state.deployment === "billing"), { what: "billing's state at the remaining watcher" });
      stopB();
      await waitFor(async () => (await subscriberConnections()) === before, { what: "the subscriber connection to close" });
      // A later watch opens it again and still hears of changes.
      const again: StateEvent[] = [];
      const stopAgain = router.watch("shop", (e) => again.push(e));
      await waitFor(() => again.length === 1, { what: "the state after re-watching" });
      await bumpPercent(writer, "shop", "later");
      await waitFor(() => again.length === 2, { what: "the change after re-watching" });
      stopAgain();
    });
  });

  it("tells a stopped watcher nothing more, while the others go on", async () => {
    await withPair({}, async (router, writer) => {
      await seed(writer, "shop");
      const stopped: StateEvent[] = [];
      const kept: StateEvent[] = [];
      const stop = router.watch("shop", (e) => stopped.push(e));
      const keep = router.watch("shop", (e) => kept.push(e));
      await waitFor(() => stopped.length === 1 && kept.length === 1, { what: "both initial events" });
      stop();
      await bumpPercent(writer, "shop", "after-stop");
      await waitFor(() => kept.length === 2, { what: "the change at the kept watcher" });
      expect(revisions(stopped)).toEqual([0]);
      keep();
    });
  });

  it("close() ends every watch and its subscriber connection", async () => {
    const prefix = `close${++prefixCounter}:`;
    const writer = new RedisStore({ url: server.redis.redisUrl, prefix });
    const router = new RedisStore({ url: server.redis.redisUrl, prefix, pollIntervalMs: NO_POLL });
    try {
      await seed(writer, "shop");
      const before = await subscriberConnections();
      const events: StateEvent[] = [];
      router.watch("shop", (e) => events.push(e));
      await waitFor(async () => events.length === 1 && (await subscriberConnections()) === before + 1, { what: "the watch to start" });
      await router.close();
      await waitFor(async () => (await subscriberConnections()) === before, { what: "the subscriber connection to close" });
      // A third watcher on the prefix proves the change was published and read.
      const witness: StateEvent[] = [];
      const stopWitness = writer.watch("shop", (e) => witness.push(e));
      await bumpPercent(writer, "shop", "after-close");
      await waitFor(() => witness.some((e) => e.kind === "state" && e.state.revision === 1), { what: "the witness to see the change" });
      stopWitness();
      expect(revisions(events)).toEqual([0]);
    } finally {
      await router.close();
      await writer.close();
    }
  });
});
