import { CasContractError, InvalidStateError, RedisStore, rollback, transition, type AuditEntry, type RedisStoreOptions } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { describe, expect, it } from "vitest";
import { useRedisServer } from "./redis-server.js";
import { seed } from "./fixtures.js";

// What the Redis store does with data it did not write itself: a state or audit entry that
// fails the schema, a revision field that disagrees with the state, keys under the default
// prefix; and with callers' mistakes (bad deployment names, a record before any state).

let n = 0;

const server = useRedisServer();

/** A store on a fresh prefix, closed after `body`. */
async function withStore(body: (store: RedisStore, prefix: string) => Promise<void>, options: Partial<RedisStoreOptions> = {}): Promise<void> {
  const prefix = `d${++n}:`;
  const store = new RedisStore({ url: server.redis.redisUrl, prefix, ...options });
  try {
    await body(store, prefix);
  } finally {
    await store.close();
  }
}

/** Every field of every key under `prefix`, so a test can say nothing changed. */
async function snapshot(prefix: string): Promise<Record<string, unknown>> {
  const keys = (await server.admin.keys(`${prefix}*`)).sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await server.admin.type(key);
    out[key] = type === "hash" ? await server.admin.hgetall(key) : type === "stream" ? await server.admin.xrange(key, "-", "+") : type === "set" ? (await server.admin.smembers(key)).sort() : await server.admin.get(key);
  }
  return out;
}

const recordEntry = (at: string): AuditEntry => ({ at, by: "am", action: "rollback", outcome: "duplicate", toPhase: "progressing", toPercent: 1, reason: "again", deployment: "shop", fromRevision: 0, toRevision: 0 });

describe("a state in Redis that fails the schema", () => {
  it("is refused naming the key and the field, and a rollback over it changes nothing", async () => {
    await withStore(async (store, prefix) => {
      const state = await seed(store, "shop");
      await server.admin.hset(`${prefix}{shop}:state`, "state", JSON.stringify({ ...state, canaryPercent: 250 }));
      const before = await snapshot(prefix);
      const error = await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidStateError);
      expect(error).toMatchObject({ source: `redis key ${prefix}{shop}:state`, field: "canaryPercent" });
      expect((error as Error).message).toMatch(new RegExp(`^invalid rollout state in redis key ${prefix}\\{shop\\}:state at field "canaryPercent": .+ Repair it by hand`));
      expect(await snapshot(prefix)).toEqual(before);
    });
  });

  it("names the deployment a state stored under another deployment's key claims", async () => {
    await withStore(async (store, prefix) => {
      const state = await seed(store, "shop");
      await server.admin.hset(`${prefix}{billing}:state`, "state", JSON.stringify(state), "revision", "0");
      await expect(store.read("billing")).rejects.toMatchObject({ field: "deployment", detail: 'names "shop" but is stored for "billing"' });
    });
  });

  it("is refused to a writer that expected it, so compare-and-set never writes over data it could not read", async () => {
    await withStore(async (store, prefix) => {
      const state = await seed(store, "shop");
      await server.admin.hset(`${prefix}{shop}:state`, "state", "{ not json", "revision", "5");
      const before = await snapshot(prefix);
      const next = { ...state, revision: 1, canaryPercent: 9 };
      const audit: AuditEntry = { at: next.updatedAt, by: "a", action: "set", toPhase: next.phase, toPercent: 9, reason: "r", deployment: "shop", fromRevision: 0, toRevision: 1 };
      const error = await store.compareAndSet("shop", 0, next, audit).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidStateError);
      expect(error).toMatchObject({ source: `redis key ${prefix}{shop}:state`, field: "" });
      expect(await snapshot(prefix)).toEqual(before);
    });
  });

  it("an audit entry that fails the schema is named by stream and entry id; the state stays readable and writable", async () => {
    await withStore(async (store, prefix) => {
      await seed(store, "shop");
      const id = await server.admin.xadd(`${prefix}{shop}:audit`, "*", "entry", JSON.stringify({ by: "x" }));
      const error = await store.auditLog("shop").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidStateError);
      expect((error as InvalidStateError).source).toBe(`redis stream ${prefix}{shop}:audit entry ${id}`);
      expect((error as Error).message).toMatch(/Repair or delete that audit entry/);
      const bare = await server.admin.xadd(`${prefix}{shop}:audit`, "*", "other", "field");
      await expect(store.auditLog("shop", { limit: 1 })).rejects.toMatchObject({
        source: `redis stream ${prefix}{shop}:audit entry ${bare}`,
        field: "entry",
        detail: "is missing (this store writes each audit entry as the stream entry's `entry` field)",
      });
      await server.admin.xadd(`${prefix}{shop}:audit`, "*", "entry", "{not json");
      await expect(store.auditLog("shop", { limit: 1 })).rejects.toMatchObject({ field: "", detail: expect.stringMatching(/^audit line is not valid JSON/) });
      await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
      expect(await store.read("shop")).toMatchObject({ revision: 1, phase: "rolled_back" });
    });
  });
});

describe("the revision field", () => {
  it("is repaired only when the state JSON has the revision the writer expected", async () => {
    await withStore(async (store, prefix) => {
      await seed(store, "shop");
      // The JSON says 0 and the writer expects 0: the field (7) is wrong, and is set to 0.
      await server.admin.hset(`${prefix}{shop}:state`, "revision", "7");
      await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
      expect(await server.admin.hget(`${prefix}{shop}:state`, "revision")).toBe("1");
      // A writer expecting a revision the JSON does not have conflicts, and nothing is repaired.
      await server.admin.hset(`${prefix}{shop}:state`, "revision", "9");
      const state = await store.read("shop");
      if (!state) throw new Error("no state");
      const stale = { ...state, revision: 3, canaryPercent: 4 };
      const audit: AuditEntry = { at: state.updatedAt, by: "late", action: "set", toPhase: state.phase, toPercent: 4, reason: "r", deployment: "shop", fromRevision: 2, toRevision: 3 };
      expect(await store.compareAndSet("shop", 2, stale, audit)).toMatchObject({ ok: false, reason: "conflict", current: { revision: 1 } });
      expect(await server.admin.hget(`${prefix}{shop}:state`, "revision")).toBe("9");
    });
  });

  it("warns once per disagreement, naming the key and both revisions", async () => {
    const warnings: string[] = [];
    const codes: (string | undefined)[] = [];
    const onWarning = (w: Error & { code?: string }) => {
      warnings.push(w.message);
      codes.push(w.code);
    };
    process.on("warning", onWarning);
    try {
      await withStore(async (store, prefix) => {
        const state = await seed(store, "shop");
        const raw = await server.admin.hget(`${prefix}{shop}:state`, "state");
        const next = { ...state, revision: 1, canaryPercent: 9 };
        const audit: AuditEntry = { at: state.updatedAt, by: "a", action: "set", toPhase: state.phase, toPercent: 9, reason: "r", deployment: "shop", fromRevision: 0, toRevision: 1 };
        // The same disagreement twice: the state is put back as it was, field and all.
        for (let round = 0; round < 2; round++) {
          await server.admin.hset(`${prefix}{shop}:state`, "state", raw ?? "", "revision", "41");
          expect(await store.compareAndSet("shop", 0, next, audit)).toMatchObject({ ok: true });
        }
        const message = `redis key ${prefix}{shop}:state: the revision field (41) disagrees with the state JSON (0); set the field to 0 so writes can go on`;
        await waitFor(() => warnings.includes(message), { what: "the warning" });
        expect(warnings.filter((w) => w.includes(`${prefix}{shop}`))).toEqual([message]);
        // The code lets an operator filter the store's warnings (node --disable-warning=AGENT_CANARY_STORE).
        expect(codes[warnings.indexOf(message)]).toBe("AGENT_CANARY_STORE");
      });
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("a revision field that is not a whole number makes record() fail as invalid state naming the key, and appends nothing; a write repairs it", async () => {
    await withStore(async (store, prefix) => {
      const state = await seed(store, "shop");
      for (const bad of ["x1", "1.5", "-1", ""]) {
        await server.admin.hset(`${prefix}{shop}:state`, "revision", bad);
        const error = await store.record("shop", recordEntry(state.updatedAt)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidStateError);
        expect(error).toMatchObject({ source: `redis key ${prefix}{shop}:state`, field: "revision", detail: `is ${JSON.stringify(bad)} in the revision field, not a whole number (set it to the state JSON's revision)` });
      }
      expect(await store.auditLog("shop")).toHaveLength(1);
      await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
      await store.record("shop", recordEntry(state.updatedAt));
      expect((await store.auditLog("shop")).map((e) => [e.fromRevision, e.toRevision])).toEqual([
        [null, 0],
        [0, 1],
        [1, 1],
      ]);
    });
  });
});

describe("callers' mistakes", () => {
  it("record() before any state is refused, and writes nothing", async () => {
    await withStore(async (store, prefix) => {
      const error = await store.record("shop", recordEntry(new Date().toISOString())).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CasContractError);
      expect((error as Error).message).toBe("cannot record an event for shop: it has no state yet");
      expect(await snapshot(prefix)).toEqual({});
    });
  });

  it("a compare-and-set expecting a revision when there is no state conflicts with no current state", async () => {
    await withStore(async (store, prefix) => {
      const state = await seed(store, "shop");
      const next = { ...state, deployment: "billing", revision: 4 };
      const audit: AuditEntry = { at: state.updatedAt, by: "a", action: "set", toPhase: state.phase, toPercent: 1, reason: "r", deployment: "billing", fromRevision: 3, toRevision: 4 };
      expect(await store.compareAndSet("billing", 3, next, audit)).toEqual({ ok: false, reason: "conflict", current: undefined });
      expect(await store.list()).toEqual(["shop"]);
      expect(Object.keys(await snapshot(prefix)).filter((k) => k.includes("billing"))).toEqual([]);
    });
  });

  it("refuses a deployment name that could reach another key, before touching Redis", async () => {
    await withStore(async (store, prefix) => {
      for (const bad of ["a}b", "x:state", ""]) {
        await expect(store.read(bad)).rejects.toThrow();
        expect(() => store.watch(bad, () => undefined)).toThrow();
      }
      expect(await snapshot(prefix)).toEqual({});
    });
  });
});

describe("keys", () => {
  it("live under agent-canary: by default, in one hash slot per deployment, with a set listing deployments", async () => {
    const store = new RedisStore({ url: server.redis.redisUrl });
    try {
      await seed(store, "keys-default");
      expect(await server.admin.hget("agent-canary:{keys-default}:state", "revision")).toBe("0");
      expect(await server.admin.xlen("agent-canary:{keys-default}:audit")).toBe(1);
      expect(await server.admin.sismember("agent-canary:deployments", "keys-default")).toBe(1);
      await store.probe(5_000);
      expect(Number(await server.admin.get("agent-canary:{probe}"))).toBeGreaterThan(0);
      expect(await server.admin.pttl("agent-canary:{probe}")).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it("lists deployments sorted, whatever order Redis keeps the set in", async () => {
    await withStore(async (store, prefix) => {
      const names = ["shop", "billing", "checkout", "search", "auth", "payments", "zeta", "alpha"];
      for (const name of names) await seed(store, name);
      const sorted = [...names].sort();
      // Redis's own order is not sorted here, so the test would see a list() that forgot to sort.
      expect(await server.admin.smembers(`${prefix}deployments`)).not.toEqual(sorted);
      expect(await store.list()).toEqual(sorted);
    });
  });

  it("reads the last entries of the audit log with a limit, oldest first", async () => {
    await withStore(async (store) => {
      const state = await seed(store, "shop");
      for (const reason of ["one", "two", "three"]) await store.record("shop", { ...recordEntry(state.updatedAt), reason });
      expect((await store.auditLog("shop", { limit: 2 })).map((e) => e.reason)).toEqual(["two", "three"]);
      expect((await store.auditLog("shop")).map((e) => e.reason)).toEqual(["seed", "one", "two", "three"]);
    });
  });
});
