import { createServer } from "node:net";
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

/** A loopback port nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const address = listener.address();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
