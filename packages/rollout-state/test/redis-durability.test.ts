import { RedisStore, StoreUnavailableError, rollback, transition } from "@agent-canary/rollout-state";
import { startRedis, waitFor, type RedisHandle } from "@agent-canary/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { infoFields, redisDurability } from "../src/redis/durability.js";
import { duplicateAlertEntry, seed } from "./fixtures.js";

// What the durability report says about a real master with a real replica, and what a
// store that waits for replicas does with a write they do not acknowledge.

let master: RedisHandle;
let replica: RedisHandle;
let admin: Redis;
let prefixCounter = 0;

beforeAll(async () => {
  master = await startRedis();
  replica = await startRedis({ args: ["--replicaof", "127.0.0.1", String(master.port)] });
  admin = new Redis(master.redisUrl);
  const replicaClient = new Redis(replica.redisUrl);
  try {
    await waitFor(async () => infoFields(await replicaClient.info("replication")).get("master_link_status") === "up", { what: "the replica's link to the master" });
    await waitFor(async () => infoFields(await admin.info("replication")).get("connected_slaves") === "1", { what: "the master to count its replica" });
  } finally {
    replicaClient.disconnect();
  }
});
afterAll(async () => {
  admin?.disconnect();
  await replica?.stop();
  await master?.stop();
});

const ADVICE = "make acknowledgements durable with `appendonly yes` and `appendfsync always` on every master (redis.conf or CONFIG SET), or run replicas and pass waitReplicas (--redis-wait-replicas N) so each write is acknowledged only once N replicas have it";

/** Runs `body` with the master's persistence set as given, then puts the defaults back. */
async function withPersistence(appendonly: "yes" | "no", appendfsync: string, body: () => Promise<void>): Promise<void> {
  await admin.config("SET", "appendonly", appendonly, "appendfsync", appendfsync);
  try {
    await body();
  } finally {
    await admin.config("SET", "appendonly", "no", "appendfsync", "everysec");
  }
}

describe("infoFields", () => {
  it("reads `field:value` lines of an INFO reply, skipping section headers and lines without a field", () => {
    const fields = infoFields("# Persistence\r\naof_enabled:1\r\nmaster_host:10.0.0.1:6379\n:orphan\nno colon\r\nrole: master \r\n");
    expect([...fields]).toEqual([
      ["aof_enabled", "1"],
      ["master_host", "10.0.0.1:6379"],
      ["role", "master"],
    ]);
  });
});

describe("the durability report on a real Redis", () => {
  it("on the default configuration: not durable, says what is on, and advises how to fix it", async () => {
    expect(await redisDurability([admin], 0)).toEqual({ durable: false, findings: ["redis: appendonly no, appendfsync everysec, 1 connected replica(s)"], advice: ADVICE });
  });

  it("durable when every write waits for the replicas that are connected, not when it waits for more", async () => {
    expect(await redisDurability([admin], 1)).toEqual({ durable: true, findings: ["redis: appendonly no, appendfsync everysec, 1 connected replica(s), writes wait for 1"] });
    expect(await redisDurability([admin], 2)).toEqual({
      durable: false,
      findings: ["redis: appendonly no, appendfsync everysec, 1 connected replica(s), writes wait for 2"],
      advice: ADVICE,
    });
  });

  it("durable with appendonly yes and appendfsync always; AOF with fsync every second or none is not", async () => {
    await withPersistence("yes", "always", async () => {
      expect(await redisDurability([admin], 0)).toEqual({ durable: true, findings: ["redis: appendonly yes, appendfsync always, 1 connected replica(s)"] });
    });
    await withPersistence("yes", "everysec", async () => {
      expect(await redisDurability([admin], 0)).toMatchObject({ durable: false, findings: ["redis: appendonly yes, appendfsync everysec, 1 connected replica(s)"], advice: ADVICE });
    });
    // appendfsync always without AOF writes nothing to fsync.
    await withPersistence("no", "always", async () => {
      expect(await redisDurability([admin], 0)).toMatchObject({ durable: false, findings: ["redis: appendonly no, appendfsync always, 1 connected replica(s)"] });
    });
  });

  it("says `unknown` where CONFIG is refused (managed Redis), and does not guess durable", async () => {
    const user = `noconfig${++prefixCounter}`;
    await admin.acl("SETUSER", user, "on", ">pw", "~*", "&*", "+@all", "-config");
    const limited = new Redis(master.redisUrl, { username: user, password: "pw" });
    try {
      await withPersistence("yes", "always", async () => {
        expect(await redisDurability([limited], 0)).toEqual({ durable: false, findings: ["redis: appendonly yes, appendfsync unknown, 1 connected replica(s)"], advice: ADVICE });
      });
    } finally {
      limited.disconnect();
      await admin.acl("DELUSER", user);
    }
  });

  it("names each master when there are several, and is durable only when all are", async () => {
    const replicaClient = new Redis(replica.redisUrl);
    try {
      const report = await redisDurability([admin, replicaClient], 1);
      expect(report).toEqual({
        durable: false,
        findings: ["master 1/2: appendonly no, appendfsync everysec, 1 connected replica(s), writes wait for 1", "master 2/2: appendonly no, appendfsync everysec, 0 connected replica(s), writes wait for 1"],
        advice: ADVICE,
      });
    } finally {
      replicaClient.disconnect();
    }
  });

  it("with no master at all, claims nothing", async () => {
    expect(await redisDurability([], 0)).toEqual({ durable: false, findings: [], advice: ADVICE });
  });
});

describe("RedisStore waiting for replicas", () => {
  it("acknowledges a write once the replica has it, and reports itself durable", async () => {
    const prefix = `wait${++prefixCounter}:`;
    const store = new RedisStore({ url: master.redisUrl, prefix, waitReplicas: 1, waitTimeoutMs: 30_000 });
    const onReplica = new RedisStore({ url: replica.redisUrl, prefix });
    try {
      expect(await store.durability()).toMatchObject({ durable: true, findings: [expect.stringMatching(/writes wait for 1$/)] });
      await seed(store, "shop");
      await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
      // WAIT returned 1, so the replica already holds the rollback: no polling needed.
      expect(await onReplica.read("shop")).toMatchObject({ phase: "rolled_back", revision: 1 });
      const state = await store.read("shop");
      if (!state) throw new Error("no state");
      await store.record("shop", duplicateAlertEntry(state));
      expect((await onReplica.auditLog("shop", { limit: 1 }))[0]).toMatchObject({ reason: "again", fromRevision: 1, toRevision: 1 });
    } finally {
      await store.close();
      await onReplica.close();
    }
  });

  it("refuses to acknowledge a write fewer replicas have than asked for, saying how many did and to retry", async () => {
    const prefix = `short${++prefixCounter}:`;
    const store = new RedisStore({ url: master.redisUrl, prefix, waitReplicas: 2, waitTimeoutMs: 100 });
    try {
      const error = await seed(store, "shop").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toBe("the write reached 1 of 2 replicas within 100 ms; it is not acknowledged (retry)");
      const state = await store.read("shop");
      if (!state) throw new Error("no state");
      const recorded = await store
        .record("shop", duplicateAlertEntry(state))
        .catch((e: unknown) => e);
      expect(recorded).toBeInstanceOf(StoreUnavailableError);
      expect((recorded as Error).message).toMatch(/^the write reached 1 of 2 replicas/);
    } finally {
      await store.close();
    }
  });
});

describe("RedisStore on a replica (a stale address after a failover)", () => {
  it("refuses writes naming READONLY, not the address, and still reads", async () => {
    const prefix = `ro${++prefixCounter}:`;
    const onMaster = new RedisStore({ url: master.redisUrl, prefix, waitReplicas: 1, waitTimeoutMs: 30_000 });
    const onReplica = new RedisStore({ url: replica.redisUrl, prefix });
    try {
      await seed(onMaster, "shop");
      const error = await transition(onReplica, "shop", rollback("shop"), { by: "receiver", reason: "gate" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toBe("redis could not write the state (READONLY)");
      expect(await onReplica.read("shop")).toMatchObject({ revision: 0 });
    } finally {
      await onMaster.close();
      await onReplica.close();
    }
  });
});
