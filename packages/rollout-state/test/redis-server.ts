import { startRedis, type RedisHandle } from "@agent-canary/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";

export interface RedisServer {
  readonly redis: RedisHandle;
  /** A plain client, for writing what the store would not (hand edits, config, ACL users). */
  readonly admin: Redis;
}

/** One redis-server for the calling test file, with an admin client: started before its tests, stopped after. */
export function useRedisServer(): RedisServer {
  const server = {} as { redis: RedisHandle; admin: Redis };
  beforeAll(async () => {
    server.redis = await startRedis();
    server.admin = new Redis(server.redis.redisUrl);
  });
  afterAll(async () => {
    server.admin?.disconnect();
    await server.redis?.stop();
  });
  return server;
}
