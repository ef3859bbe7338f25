import { RedisStore } from "@agent-canary/rollout-state";
import { startRedisCluster, type RedisClusterHandle } from "@agent-canary/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The durability report on Redis Cluster: a write lives on the master that owns its slot,
// so every master has to keep it. Apart from redis-cluster.test.ts (the whole store
// contract) so the mutation run can afford it: one small cluster, one test.

let cluster: RedisClusterHandle;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

/** Sets appendonly/appendfsync on the first `count` masters. */
async function persist(count: number, appendonly: "yes" | "no", appendfsync: string): Promise<void> {
  for (const node of cluster.nodes.slice(0, count)) {
    const client = new Redis(node.redisUrl);
    try {
      await client.config("SET", "appendonly", appendonly, "appendfsync", appendfsync);
    } finally {
      client.disconnect();
    }
  }
}

describe("RedisStore.durability() on Redis Cluster", () => {
  it("names every master, and is durable only once all of them fsync every write", async () => {
    const store = new RedisStore({ url: cluster.storeSpec, prefix: "durability:" });
    try {
      const before = await store.durability();
      expect(before.durable).toBe(false);
      expect(before.findings).toEqual([1, 2, 3].map((i) => `master ${i}/3: appendonly no, appendfsync everysec, 0 connected replica(s)`));
      expect(before.advice).toMatch(/appendfsync always/);

      await persist(2, "yes", "always");
      const partly = await store.durability();
      expect(partly.durable).toBe(false);
      expect(partly.findings.filter((line) => line.includes("appendonly yes, appendfsync always"))).toHaveLength(2);

      await persist(3, "yes", "always");
      expect(await store.durability()).toEqual({ durable: true, findings: [1, 2, 3].map((i) => `master ${i}/3: appendonly yes, appendfsync always, 0 connected replica(s)`) });
    } finally {
      await persist(3, "no", "everysec");
      await store.close();
    }
  });
});
