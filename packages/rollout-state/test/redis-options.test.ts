import { RedisStore, StoreUnavailableError } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { connectRedis, parseRedisTarget } from "../src/redis/connection.js";
import { useRedisServer } from "./redis-server.js";
import { duplicateAlertEntry, seed } from "./fixtures.js";

// The store's options and their defaults, as a user relies on them: extra ioredis
// options reach the connection, commands are bounded by default, the connection is made
// before the first call.

const server = useRedisServer();
let n = 0;

/** How many of this server's clients have the connection name `name`. */
async function namedClients(name: string): Promise<number> {
  return ((await server.admin.client("LIST")) as string).split("\n").filter((line) => line.includes(` name=${name} `)).length;
}

describe("RedisStore options", () => {
  it("passes `redis` options to the connection (here a database number)", async () => {
    const store = new RedisStore({ url: server.redis.redisUrl, prefix: `opt${++n}:`, redis: { db: 3 } });
    const db3 = new Redis(server.redis.redisUrl, { db: 3 });
    try {
      await seed(store, "shop");
      expect(await db3.hget(`opt${n}:{shop}:state`, "revision")).toBe("0");
      expect(await server.admin.exists(`opt${n}:{shop}:state`)).toBe(0);
    } finally {
      await store.close();
      db3.disconnect();
    }
  });

  it("connects with the documented bounds by default (connect 5 s, each command 3 s, one retry), which `redis` options override", async () => {
    // The client is private; its options are what a hung or unreachable Redis meets.
    const clientOf = (store: RedisStore) => (store as unknown as { client(): Promise<Redis> }).client();
    const plain = new RedisStore({ url: server.redis.redisUrl, prefix: `bounds${++n}:` });
    const tuned = new RedisStore({ url: server.redis.redisUrl, prefix: `bounds${n}:`, connectTimeoutMs: 700, commandTimeoutMs: 800, redis: { maxRetriesPerRequest: 4 } });
    try {
      expect((await clientOf(plain)).options).toMatchObject({ connectTimeout: 5_000, commandTimeout: 3_000, maxRetriesPerRequest: 1 });
      expect((await clientOf(tuned)).options).toMatchObject({ connectTimeout: 700, commandTimeout: 800, maxRetriesPerRequest: 4 });
    } finally {
      await plain.close();
      await tuned.close();
    }
  });

  it("connects when constructed, so the first call does not wait for the connection; close() ends it", async () => {
    const name = `eager${++n}`;
    const store = new RedisStore({ url: server.redis.redisUrl, prefix: `${name}:`, redis: { connectionName: name } });
    try {
      await waitFor(async () => (await namedClients(name)) === 1, { what: "the store's connection before any call" });
    } finally {
      await store.close();
    }
    await waitFor(async () => (await namedClients(name)) === 0, { what: "close() to end the connection" });
  });

  it("sends no WAIT when it waits for no replica (the default): a write costs no extra round trip", async () => {
    const store = new RedisStore({ url: server.redis.redisUrl, prefix: `nowait${++n}:` });
    try {
      await server.admin.config("RESETSTAT");
      const state = await seed(store, "shop");
      await store.record("shop", duplicateAlertEntry(state));
      const stats = await server.admin.info("commandstats");
      // The writes did happen (the CAS and record scripts), and no WAIT went with them.
      expect(stats).toMatch(/^cmdstat_eval:calls=2,/m);
      expect(stats).not.toMatch(/^cmdstat_wait:/m);
    } finally {
      await store.close();
    }
  });

  it("by default waits 2 s for replicas it asked for", async () => {
    const store = new RedisStore({ url: server.redis.redisUrl, prefix: `waitdefault${++n}:`, waitReplicas: 1 });
    try {
      const error = await seed(store, "shop").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toBe("the write reached 0 of 1 replicas within 2000 ms; it is not acknowledged (retry)");
    } finally {
      await store.close();
    }
  });

  it("by default bounds a command on a hung Redis (it fails as `timed out` while Redis is still stopped)", async () => {
    const store = new RedisStore({ url: server.redis.redisUrl, prefix: `cmddefault${++n}:` });
    try {
      await store.probe(5_000);
      server.redis.process.kill("SIGSTOP");
      try {
        await expect(store.read("shop")).rejects.toThrow("redis could not read the state (timed out)");
      } finally {
        server.redis.process.kill("SIGCONT");
      }
    } finally {
      await store.close();
    }
  });

  it("a Sentinel target keeps the connection options (timeouts, retries) it was given", async () => {
    const client = (await connectRedis(parseRedisTarget("redis+sentinel://127.0.0.1:1/m"), { lazyConnect: true, connectTimeout: 1_234, commandTimeout: 567 })) as Redis;
    try {
      expect(client.options).toMatchObject({ connectTimeout: 1_234, commandTimeout: 567, name: "m", db: 0 });
    } finally {
      client.disconnect();
    }
  });
});
