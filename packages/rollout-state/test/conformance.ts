import type { AuditEntry, RolloutStore, StateEvent } from "@agent-canary/rollout-state";
import { InvalidStateError, RedisStore, rollback, transition } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bumpPercent, seed } from "./fixtures.js";

export interface StoreHarness {
  store: RolloutStore;
  /** A second store on the same backing storage (another replica or process). */
  other: RolloutStore;
  /** Puts raw bytes where the deployment's state lives. */
  corrupt(deployment: string, raw: string): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * Two RedisStores on one key prefix, and a raw client (standalone or cluster) to corrupt
 * a state with. `raw` is ioredis's Redis or Cluster, opened by the caller.
 */
export function redisHarness(url: string, prefix: string, raw: { hset(key: string, field: string, value: string): Promise<unknown>; disconnect(): void }): StoreHarness {
  const store = new RedisStore({ url, prefix, pollIntervalMs: 500 });
  const other = new RedisStore({ url, prefix, pollIntervalMs: 500 });
  return {
    store,
    other,
    corrupt: async (deployment, text) => {
      await raw.hset(`${prefix}{${deployment}}:state`, "state", text);
    },
    cleanup: async () => {
      await store.close();
      await other.close();
      raw.disconnect();
    },
  };
}

/** The behaviour every RolloutStore must have; FileStore and RedisStore both run it. */
export function storeConformance(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`${name} conformance`, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it("reads nothing before the first write, then what was written", async () => {
      expect(await h.store.read("shop")).toBeUndefined();
      const state = await seed(h.store, "shop");
      expect(state.revision).toBe(0);
      expect(await h.other.read("shop")).toEqual(state);
    });

    it("refuses a write whose expected revision is stale and keeps the winner's state", async () => {
      const first = await seed(h.store, "shop");
      const next = { ...first, revision: 1, canaryPercent: 9 };
      const audit: AuditEntry = { at: next.updatedAt, by: "a", action: "set", toPhase: next.phase, toPercent: 9, reason: "r", deployment: "shop", fromRevision: 0, toRevision: 1 };
      expect((await h.store.compareAndSet("shop", 0, next, audit)).ok).toBe(true);
      const loser = await h.other.compareAndSet("shop", 0, { ...next, canaryPercent: 42 }, { ...audit, by: "b", toPercent: 42 });
      expect(loser).toMatchObject({ ok: false, reason: "conflict", current: { revision: 1, canaryPercent: 9 } });
      expect((await h.store.read("shop"))?.canaryPercent).toBe(9);
      expect((await h.store.auditLog("shop")).map((e) => e.by)).toEqual(["test", "a"]);
    });

    it("refuses to create a state that another writer created first", async () => {
      await seed(h.store, "shop");
      const state = await h.store.read("shop");
      if (!state) throw new Error("seeded state missing");
      const audit: AuditEntry = { at: state.updatedAt, by: "late", action: "start", toPhase: "progressing", toPercent: 1, reason: "r", deployment: "shop", fromRevision: null, toRevision: 0 };
      expect(await h.other.compareAndSet("shop", null, state, audit)).toMatchObject({ ok: false, current: { revision: 0 } });
    });

    it("appends one audit entry per transition, oldest first, with revisions", async () => {
      await seed(h.store, "shop");
      await bumpPercent(h.store, "shop", "one");
      await transition(h.other, "shop", rollback("shop"), { by: "two", reason: "gate fired" });
      const log = await h.store.auditLog("shop");
      expect(log.map((e) => [e.action, e.fromRevision, e.toRevision])).toEqual([
        ["start", null, 0],
        ["set", 0, 1],
        ["rollback", 1, 2],
      ]);
      expect(await h.store.auditLog("shop", { limit: 1 })).toEqual([log[2]]);
      expect(await h.store.auditLog("shop", { limit: 0 })).toEqual([]);
    });

    it("records an event without changing the state", async () => {
      const state = await seed(h.store, "shop");
      await h.store.record?.("shop", { at: state.updatedAt, by: "am", action: "rollback", toPhase: state.phase, toPercent: state.canaryPercent, reason: "resolved", deployment: "shop", fromRevision: 99, toRevision: 99 });
      expect(await h.store.read("shop")).toEqual(state);
      const log = await h.store.auditLog("shop");
      expect(log.at(-1)).toMatchObject({ reason: "resolved", fromRevision: 0, toRevision: 0 });
    });

    it("tells a watcher the current state, then each change made elsewhere", async () => {
      await seed(h.store, "shop");
      const events: StateEvent[] = [];
      const stop = h.store.watch("shop", (event) => events.push(event));
      try {
        await waitFor(() => events.length >= 1, { what: "initial watch event" });
        expect(events[0]).toMatchObject({ kind: "state", state: { revision: 0 } });
        await transition(h.other, "shop", rollback("shop"), { by: "other", reason: "gate" });
        const seen = await waitFor(() => events.find((e) => e.kind === "state" && e.state.phase === "rolled_back"), { what: "rollback seen by watcher" });
        expect(seen).toMatchObject({ state: { canaryPercent: 0, revision: 1 } });
      } finally {
        stop();
      }
    });

    it("keeps telling a watcher of changes after its callback threw", async () => {
      await seed(h.store, "shop");
      const events: StateEvent[] = [];
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(warning.message);
      process.on("warning", onWarning);
      const stop = h.store.watch("shop", (event) => {
        events.push(event);
        if (events.length === 1) throw new Error("router bug");
      });
      try {
        await waitFor(() => events.length >= 1, { what: "initial watch event" });
        await transition(h.other, "shop", rollback("shop"), { by: "other", reason: "gate" });
        await waitFor(() => events.find((e) => e.kind === "state" && e.state.phase === "rolled_back"), { what: "rollback seen after the callback threw" });
        await waitFor(() => warnings.find((w) => w.includes("router bug")), { what: "the throw reported as a warning" });
      } finally {
        stop();
        process.off("warning", onWarning);
      }
    });

    it("reports a corrupt state as InvalidStateError naming the field, to readers and watchers", async () => {
      const state = await seed(h.store, "shop");
      await h.corrupt("shop", JSON.stringify({ ...state, canaryPercent: 250 }));
      const error = await h.store.read("shop").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidStateError);
      expect((error as InvalidStateError).field).toBe("canaryPercent");
      const events: StateEvent[] = [];
      const stop = h.store.watch("shop", (event) => events.push(event));
      try {
        const event = await waitFor(() => events[0], { what: "watch event" });
        expect(event.kind).toBe("invalid");
      } finally {
        stop();
      }
      await h.corrupt("shop", "{ not json");
      await expect(h.store.read("shop")).rejects.toThrow(/not valid JSON/);
    });

    it("lists the deployments that have a state", async () => {
      expect(await h.store.list()).toEqual([]);
      await seed(h.store, "shop");
      await seed(h.other, "billing");
      expect(await h.store.list()).toEqual(["billing", "shop"]);
    });

    it("loses no update under many concurrent compare-and-set loops on two deployments", async () => {
      await seed(h.store, "shop");
      await seed(h.store, "billing");
      const writers = Array.from({ length: 16 }, (_, i) => (i % 2 ? h.store : h.other));
      await Promise.all(writers.map((store, i) => Promise.all(Array.from({ length: 5 }, () => bumpPercent(store, i % 4 < 2 ? "shop" : "billing", `w${i}`)))));
      for (const deployment of ["shop", "billing"]) {
        const state = await h.store.read(deployment);
        expect(state?.revision).toBe(40);
        const log = await h.store.auditLog(deployment);
        expect(log.map((e) => e.toRevision)).toEqual(Array.from({ length: 41 }, (_, i) => i));
      }
    });
  });
}
