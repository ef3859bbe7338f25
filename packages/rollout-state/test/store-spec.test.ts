import { join } from "node:path";
import { FileStore, RedisSpecError, RedisStore, StoreSpecError, openStore, parseRedisTarget } from "@agent-canary/rollout-state";
import type { Cluster, Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { connectRedis, duplicateForSubscribing } from "../src/redis/connection.js";

// How a store spec (`--store`, `store:` in a config file) becomes a store. The Sentinel and
// Cluster suites run these specs against real servers; here each part of the spec is pinned.

describe("openStore: file specs", () => {
  it("refuses `file:` without a directory, saying what to write", () => {
    expect(() => openStore("file:")).toThrow(StoreSpecError);
    expect(() => openStore("file:")).toThrow('store "file:" has no directory; use file:<dir>, e.g. file:./rollout-state');
  });

  it("resolves a relative directory when opened, so the store does not move with the working directory", () => {
    const store = openStore("file:rollout-state");
    expect(store).toBeInstanceOf(FileStore);
    expect((store as FileStore).dir).toBe(join(process.cwd(), "rollout-state"));
    expect((openStore("file:/srv/state") as FileStore).dir).toBe("/srv/state");
  });
});

describe("openStore: Redis specs and the rest", () => {
  it.each(["redis://127.0.0.1:1", "rediss://127.0.0.1:1", "redis+sentinel://127.0.0.1:1/m", "rediss+sentinel://127.0.0.1:1/m", "redis+cluster://127.0.0.1:1", "rediss+cluster://127.0.0.1:1"])(
    "opens %s as a Redis store without connecting first",
    async (spec) => {
      const store = openStore(spec, { connectTimeoutMs: 50, redis: { lazyConnect: true, retryStrategy: () => null } });
      expect(store).toBeInstanceOf(RedisStore);
      await store.close();
    },
  );

  it("turns a bad Redis spec into StoreSpecError with the same message", () => {
    const error = (() => {
      try {
        openStore("redis+sentinel://s1:26379");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(StoreSpecError);
    expect((error as Error).message).toMatch(/^store "redis\+sentinel:\/\/s1:26379" names no master: add \/<master name>/);
  });

  it("passes other errors of the Redis store through unchanged", () => {
    expect(() => openStore("redis+cluster://127.0.0.1:1", { waitReplicas: 1 })).toThrow(/waitReplicas is not supported on Redis Cluster/);
    expect(() => openStore("redis+cluster://127.0.0.1:1", { waitReplicas: 1 })).not.toThrow(StoreSpecError);
  });

  it("refuses anything else, naming both kinds with examples", () => {
    for (const spec of ["memcached://x", "./state", "File:./state", "redis:/x"]) {
      expect(() => openStore(spec)).toThrow(
        `store "${spec}" is neither file:<dir> nor redis://host:port (or redis+sentinel://s1:26379/<master>, redis+cluster://n1:7000,n2:7001); e.g. file:./rollout-state or redis://127.0.0.1:6379`,
      );
    }
  });
});

describe("parseRedisTarget", () => {
  it("keeps a standalone URL whole, and refuses one the URL parser refuses", () => {
    expect(parseRedisTarget("redis://u:p@h:6380/3")).toEqual({ mode: "standalone", url: "redis://u:p@h:6380/3" });
    expect(parseRedisTarget("rediss://h")).toEqual({ mode: "standalone", url: "rediss://h" });
    expect(() => parseRedisTarget("redis://a b")).toThrow(/^store "redis:\/\/a b" is not a valid Redis URL; e\.g\. redis:\/\/host:6379/);
  });

  it("reads sentinels (default port 26379), master, db, decoded credentials and TLS", () => {
    expect(parseRedisTarget("redis+sentinel://ops:p%40ss:w@s1,s2:26380/mymaster/2")).toEqual({
      mode: "sentinel",
      sentinels: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26380 },
      ],
      name: "mymaster",
      auth: { username: "ops", password: "p@ss:w" },
      db: 2,
      tls: false,
    });
    expect(parseRedisTarget("rediss+sentinel://s1/m")).toEqual({ mode: "sentinel", sentinels: [{ host: "s1", port: 26379 }], name: "m", auth: {}, db: 0, tls: true });
    expect(parseRedisTarget("redis+sentinel://:secret@s1/m")).toMatchObject({ auth: { password: "secret" } });
    expect(parseRedisTarget("redis+sentinel://:secret@s1/m")).not.toHaveProperty("auth.username");
  });

  it("reads cluster nodes (default port 6379, bracketed IPv6), a user without a password, and TLS", () => {
    expect(parseRedisTarget("redis+cluster://reader@[::1]:7000, n2")).toEqual({
      mode: "cluster",
      nodes: [
        { host: "::1", port: 7000 },
        { host: "n2", port: 6379 },
      ],
      auth: { username: "reader" },
      tls: false,
    });
    expect(parseRedisTarget("rediss+cluster://n1:1,n2:65535")).toEqual({
      mode: "cluster",
      nodes: [
        { host: "n1", port: 1 },
        { host: "n2", port: 65535 },
      ],
      auth: {},
      tls: true,
    });
  });

  it("names the entry that is not host:port", () => {
    for (const [spec, entry] of [
      ["redis+cluster://n1:0", "n1:0"],
      ["redis+cluster://n1:65536", "n1:65536"],
      ["redis+cluster://n1,,n2", ""],
      ["redis+sentinel://s1:abc/m", "s1:abc"],
      ["redis+cluster://n1:123456", "n1:123456"],
      ["redis+cluster://::1:7000", "::1:7000"],
      ["redis+cluster://[]:7000", "[]:7000"],
    ] as const) {
      expect(() => parseRedisTarget(spec)).toThrow(new RedisSpecError(`store "${spec}": "${entry}" is not host:port; e.g. redis://host:6379[/db], rediss://host:6380, redis+sentinel://s1:26379,s2:26379/mymaster, redis+cluster://n1:7000,n2:7001`));
    }
  });

  it("refuses a spec that is no URL, one without a master, and an unknown scheme", () => {
    expect(() => parseRedisTarget("redis+cluster://")).toThrow(/^store "redis\+cluster:\/\/" is not a Redis URL; e\.g\. /);
    expect(() => parseRedisTarget("redis+cluster://n1?x=1")).toThrow(/is not a Redis URL/);
    expect(() => parseRedisTarget("Redis+cluster://n1")).toThrow(/is not a Redis URL/);
    expect(() => parseRedisTarget("redis+sentinel://s1/")).toThrow(/names no master/);
    expect(() => parseRedisTarget("redis+shard://n1")).toThrow(/^store "redis\+shard:\/\/n1" has an unknown scheme "redis\+shard"; e\.g\. /);
  });
});

describe("connectRedis: what ioredis is given", () => {
  it("a Sentinel target authenticates to the sentinels with the same password, and asks for TLS on both", async () => {
    const client = (await connectRedis(parseRedisTarget("rediss+sentinel://ops:pw@127.0.0.1:1/mymaster/4"), { lazyConnect: true })) as Redis;
    try {
      expect(client.options).toMatchObject({
        sentinels: [{ host: "127.0.0.1", port: 1 }],
        name: "mymaster",
        db: 4,
        username: "ops",
        password: "pw",
        sentinelPassword: "pw",
        tls: {},
        enableTLSForSentinelMode: true,
      });
      const plain = (await connectRedis(parseRedisTarget("redis+sentinel://127.0.0.1:1/m"), { lazyConnect: true })) as Redis;
      expect(plain.options.sentinelPassword).toBeUndefined();
      expect(plain.options.tls).toBeUndefined();
      expect(plain.options.enableTLSForSentinelMode).toBe(false);
      plain.disconnect();
    } finally {
      client.disconnect();
    }
  });

  it("a Cluster target gives every node the credentials, TLS and options, and bounds the slot refresh by the connect timeout", async () => {
    const cluster = (await connectRedis(parseRedisTarget("rediss+cluster://ops:pw@127.0.0.1:1"), { lazyConnect: true, connectTimeout: 1_234 })) as Cluster;
    try {
      expect(cluster.isCluster).toBe(true);
      expect(cluster.options.redisOptions).toMatchObject({ username: "ops", password: "pw", tls: {}, connectTimeout: 1_234 });
      expect(cluster.options.slotsRefreshTimeout).toBe(1_234);
      const plain = (await connectRedis(parseRedisTarget("redis+cluster://127.0.0.1:1"), { lazyConnect: true })) as Cluster;
      expect(plain.options.redisOptions?.tls).toBeUndefined();
      expect(plain.options.slotsRefreshTimeout).toBe(5_000);
      plain.disconnect();
    } finally {
      cluster.disconnect();
    }
  });

  it("a subscriber connection retries forever (a router must hear of rollbacks however long Redis was away)", async () => {
    const client = (await connectRedis(parseRedisTarget("redis://127.0.0.1:1"), { lazyConnect: true, maxRetriesPerRequest: 1 })) as Redis;
    const cluster = (await connectRedis(parseRedisTarget("redis+cluster://127.0.0.1:1"), { lazyConnect: true })) as Cluster;
    const subscriber = duplicateForSubscribing(client) as Redis;
    const clusterSubscriber = duplicateForSubscribing(cluster);
    try {
      expect(client.options.maxRetriesPerRequest).toBe(1);
      expect(subscriber.options.maxRetriesPerRequest).toBeNull();
      expect(subscriber.options.port).toBe(1);
      expect(clusterSubscriber.isCluster).toBe(true);
    } finally {
      for (const c of [client, cluster, subscriber, clusterSubscriber]) c.disconnect();
    }
  });
});
