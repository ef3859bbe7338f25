import { RedisStore } from "@agent-canary/rollout-state";
import { redisCliCommand, startRedisCluster, type RedisClusterHandle } from "@agent-canary/testkit";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisHarness, storeConformance } from "./conformance.js";
import { seed } from "./fixtures.js";

let cluster: RedisClusterHandle;
let prefixCounter = 0;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

// The whole contract on a three-master Redis Cluster: every script touches only keys with
// one deployment's hash tag, so none fails with CROSSSLOT, whichever node owns the slot.
storeConformance("RedisStore on Redis Cluster", async () =>
  redisHarness(cluster.storeSpec, `c${++prefixCounter}:`, new Cluster(cluster.nodes.map((n) => ({ host: "127.0.0.1", port: n.port })))),
);

describe("RedisStore on Redis Cluster: key placement", () => {
  it("keeps each deployment's keys in one hash slot, and spreads deployments over the masters", async () => {
    const store = new RedisStore({ url: cluster.storeSpec, prefix: "slots:" });
    try {
      const names = Array.from({ length: 12 }, (_, i) => `dep-${i}`);
      for (const name of names) await seed(store, name);
      const node = cluster.nodes[0];
      if (!node) throw new Error("no cluster node");
      const slotOf = async (key: string) => Number((await redisCliCommand(node.port, "cluster", "keyslot", key)).trim());
      const slots = new Set<number>();
      for (const name of names) {
        const state = await slotOf(`slots:{${name}}:state`);
        expect(await slotOf(`slots:{${name}}:audit`)).toBe(state);
        slots.add(state);
      }
      expect(slots.size).toBeGreaterThan(1);
      expect(await store.list()).toEqual([...names].sort());
    } finally {
      await store.close();
    }
  });
});
