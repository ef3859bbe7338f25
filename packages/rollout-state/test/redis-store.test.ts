import { spawn } from "node:child_process";
import { RedisStore, StoreUnavailableError, rollback, transition, type RedisStoreOptions } from "@agent-canary/rollout-state";
import { findBinary, startRedis, type RedisHandle } from "@agent-canary/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisHarness, storeConformance } from "./conformance.js";
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

// A fresh key prefix per test keeps tests apart on one server.
storeConformance("RedisStore", async () => redisHarness(redis.redisUrl, `t${++prefixCounter}:`, new Redis(redis.redisUrl)));

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
      await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
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

describe("RedisStore faults that must not block a rollback", () => {
  let n = 0;
  const open = (options: Partial<RedisStoreOptions> = {}) => new RedisStore({ url: redis.redisUrl, prefix: `fault${++n}:`, ...options });

  it("repairs a revision field that disagrees with the state JSON, warns, and rolls back", async () => {
    const store = open();
    const admin = new Redis(redis.redisUrl);
    try {
      await seed(store, "shop");
      await admin.hset(`fault${n}:{shop}:state`, "revision", "41");
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.message);
      process.on("warning", onWarning);
      const result = await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" }).finally(() => process.off("warning", onWarning));
      expect(result).toMatchObject({ status: "changed", conflicts: 0, state: { revision: 1, phase: "rolled_back" } });
      expect(await admin.hget(`fault${n}:{shop}:state`, "revision")).toBe("1");
      await waitFor(() => warnings.find((w) => w.includes("disagrees with the state JSON")), { what: "a warning about the revision field" });
    } finally {
      await store.close();
      admin.disconnect();
    }
  });

  it("records entries whose labels hold lone UTF-16 surrogates (Redis's cjson refuses them)", async () => {
    const store = open();
    try {
      const state = await seed(store, "shop");
      const labels = { alertname: "Cost\ud800Gate", deployment: "shop", note: "\udfff tail" };
      await store.record("shop", { at: state.updatedAt, by: "alertmanager:x", action: "rollback", outcome: "duplicate", toPhase: state.phase, toPercent: state.canaryPercent, reason: "firing again", details: { labels }, deployment: "shop", fromRevision: 0, toRevision: 0 });
      const last = (await store.auditLog("shop")).at(-1);
      expect(last).toMatchObject({ outcome: "duplicate", fromRevision: 0, toRevision: 0, details: { labels } });
      // And a change whose audit entry carries them.
      await transition(store, "shop", rollback("shop"), { by: "alertmanager:x", reason: "gate", details: { labels } });
      expect((await store.read("shop"))?.lastTransition?.details).toEqual({ labels });
    } finally {
      await store.close();
    }
  });

  it("bounds every command on a hung Redis, tells watchers `unavailable` past the staleness bound, and recovers", async () => {
    // Both on one prefix: the second store stands in for an agent replica.
    const fast = { commandTimeoutMs: 500, pollIntervalMs: 200, staleAfterMs: 1_000, prefix: `hang${++n}:` };
    const store = open(fast);
    const router = open(fast);
    try {
      await seed(store, "shop");
      const events: StateEvent[] = [];
      const stop = router.watch("shop", (event) => events.push(event));
      await waitFor(() => events[0]?.kind === "state", { what: "initial state" });
      redis.process.kill("SIGSTOP");
      try {
        await expect(transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" })).rejects.toThrow(/timed out|did not answer/i);
        await expect(store.probe(500)).rejects.toBeInstanceOf(StoreUnavailableError);
        const unavailable = await waitFor(() => events.find((e) => e.kind === "unavailable"), { what: "unavailable event" });
        expect(unavailable).toMatchObject({ kind: "unavailable", error: { message: expect.stringMatching(/has not confirmed the rollout state/) } });
      } finally {
        redis.process.kill("SIGCONT");
      }
      await waitFor(() => events.at(-1)?.kind === "state", { what: "state again after Redis resumed" });
      stop();
      await store.probe(2_000);
    } finally {
      await store.close();
      await router.close();
    }
  });

  it("tells watchers `unavailable` as soon as the connection is lost (not only after the staleness bound)", async () => {
    const prefix = `lost${++n}:`;
    const store = open({ prefix, pollIntervalMs: 60_000, staleAfterMs: 600_000 });
    const admin = new Redis(redis.redisUrl);
    try {
      await seed(store, "shop");
      const events: StateEvent[] = [];
      const stop = store.watch("shop", (event) => events.push(event));
      await waitFor(() => events[0]?.kind === "state", { what: "initial state" });
      await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
      expect(await waitFor(() => events.find((e) => e.kind === "unavailable"), { what: "unavailable on the lost connection" })).toMatchObject({ error: { message: "lost the connection to redis" } });
      await waitFor(() => events.at(-1)?.kind === "state", { what: "the state again after the reconnect" });
      stop();
    } finally {
      await store.close();
      admin.disconnect();
    }
  });

  it("says acknowledgements are not durable on a Redis without appendfsync always", async () => {
    const store = open();
    try {
      const report = await store.durability();
      expect(report).toMatchObject({ durable: false, findings: [expect.stringMatching(/appendonly no, appendfsync \w+, 0 connected replica/)], advice: expect.stringMatching(/appendfsync always/) });
    } finally {
      await store.close();
    }
  });
});

describe("RedisStore on a durable Redis", () => {
  it("says acknowledgements are durable with appendonly yes and appendfsync always, and they survive a SIGKILL of Redis", async () => {
    const durable = await startRedis({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
    const url = durable.redisUrl;
    const store = new RedisStore({ url });
    try {
      expect(await store.durability()).toMatchObject({ durable: true, findings: [expect.stringMatching(/appendonly yes, appendfsync always/)] });
      await seed(store, "shop");
      await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
      await store.close();
      // Killed right after the acknowledgement, restarted on its data directory.
      const exited = new Promise((resolve) => durable.process.once("exit", resolve));
      durable.process.kill("SIGKILL");
      await exited;
      const restarted = spawn(findBinary("AGENT_CANARY_REDIS_BIN", ["redis-server"]), ["--port", String(durable.port), "--bind", "127.0.0.1", "--appendonly", "yes", "--dir", durable.dir], { stdio: "ignore" });
      try {
        const again = new RedisStore({ url });
        try {
          const state = await waitFor(() => again.read("shop").catch(() => undefined), { what: "state after restart" });
          expect(state).toMatchObject({ phase: "rolled_back", canaryPercent: 0, revision: 1 });
        } finally {
          await again.close();
        }
      } finally {
        restarted.kill("SIGKILL");
      }
    } finally {
      await durable.stop();
    }
  });
});
