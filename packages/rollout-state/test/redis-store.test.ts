import { RedisStore } from "@agent-canary/rollout-state";
import { startRedis, type RedisHandle } from "@agent-canary/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeConformance } from "./conformance.js";
import { bumpPercent, seed } from "./fixtures.js";
import { waitFor } from "@agent-canary/testkit";
import type { StateEvent } from "@agent-canary/rollout-state";

let redis: RedisHandle;
let prefixCounter = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

storeConformance("RedisStore", async () => {
  // A fresh key prefix per test keeps tests apart on one server.
  const prefix = `t${++prefixCounter}:`;
  const store = new RedisStore({ url: redis.redisUrl, prefix, pollIntervalMs: 500 });
  const other = new RedisStore({ url: redis.redisUrl, prefix, pollIntervalMs: 500 });
  const raw = new Redis(redis.redisUrl);
  return {
    store,
    other,
    corrupt: async (deployment, text) => {
      await raw.hset(`${prefix}state:${deployment}`, "state", text);
    },
    cleanup: async () => {
      await store.close();
      await other.close();
      raw.disconnect();
    },
  };
});

describe("RedisStore reconnects", () => {
  it("re-reads after its subscriber reconnects, so a change made while it was away is seen", async () => {
    const prefix = `reconnect${++prefixCounter}:`;
    const store = new RedisStore({ url: redis.redisUrl, prefix, pollIntervalMs: 60_000 });
    const writer = new RedisStore({ url: redis.redisUrl, prefix });
    const admin = new Redis(redis.redisUrl);
    try {
      await seed(writer, "shop");
      const events: StateEvent[] = [];
      const stop = store.watch("shop", (event) => events.push(event));
      await waitFor(() => events.length === 1, { what: "initial event" });
      // Drop the subscriber connection and change the state before it comes back.
      await admin.client("KILL", "TYPE", "pubsub");
      await bumpPercent(writer, "shop", "while-away");
      const seen = await waitFor(() => events.find((e) => e.kind === "state" && e.state.revision === 1), { what: "change after reconnect" });
      expect(seen).toBeDefined();
      stop();
    } finally {
      await store.close();
      await writer.close();
      admin.disconnect();
    }
  });
});
