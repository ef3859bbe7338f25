import { RedisSpecError, RedisStore } from "@agent-canary/rollout-state";
import { describe, expect, it, vi } from "vitest";
import { connectRedis, parseRedisTarget } from "../src/redis/connection.js";

// ioredis is an optional peer dependency: without it the Redis store must say what to
// install. lazy-ioredis.test.ts checks this on the built package in a fresh Node; this is
// the same check in-process, on the sources (so mutation testing sees it).
vi.mock("ioredis", () => {
  throw new Error("Cannot find package 'ioredis'");
});

describe("the Redis store without ioredis installed", () => {
  it("fails the first call with RedisSpecError saying what to install, followed by the import's own error", async () => {
    const error = await connectRedis(parseRedisTarget("redis://127.0.0.1:1"), {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisSpecError);
    expect((error as Error).name).toBe("RedisSpecError");
    expect((error as Error).message).toMatch(/^the Redis store needs the ioredis package: install it next to @agent-canary\/rollout-state \(npm install ioredis\)\. \S/);
    const store = new RedisStore({ url: "redis://127.0.0.1:1" });
    await expect(store.read("shop")).rejects.toThrow(/^the Redis store needs the ioredis package/);
    await store.close();
  });
});
