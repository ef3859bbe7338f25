import { openStore } from "@agent-canary/rollout-state";
import { startRedis, type RedisHandle } from "@agent-canary/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seed } from "./fixtures.js";

// `--redis-prefix` (OpenStoreOptions.redisPrefix) keeps several environments apart on one
// Redis: a store opened from a spec with it writes only under that prefix.

let redis: RedisHandle | undefined;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

async function keysWrittenBy(redisPrefix: string | undefined): Promise<string[]> {
  const url = redis?.redisUrl ?? "";
  const raw = new Redis(url);
  const store = openStore(url, redisPrefix === undefined ? {} : { redisPrefix });
  try {
    await raw.flushall();
    await seed(store, "shop");
    return (await raw.keys("*")).sort();
  } finally {
    await store.close();
    raw.disconnect();
  }
}

describe("openStore with a Redis prefix", () => {
  it("writes only under the prefix it is given", async () => {
    const keys = await keysWrittenBy("staging:");
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((key) => key.startsWith("staging:"))).toBe(true);
  });

  // An empty prefix (an unset variable expanded into a config) is no prefix given, rather
  // than keys with no namespace at all.
  it("writes under agent-canary: without one, or with an empty one", async () => {
    for (const prefix of [undefined, ""]) {
      const keys = await keysWrittenBy(prefix);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((key) => key.startsWith("agent-canary:"))).toBe(true);
    }
  });
});
