import assert from "node:assert/strict";
import { closedPort } from "./redis-server.js";
import { RedisStore, StoreUnavailableError, rollback, transition, type StateEvent } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { describe, expect, it, vi } from "vitest";

describe("RedisStore with no Redis listening", () => {
  it("fails reads, writes and the probe with StoreUnavailableError naming what failed but no address, and tells watchers `unavailable`", async () => {
    const port = await closedPort();
    const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500, commandTimeoutMs: 500, pollIntervalMs: 200, staleAfterMs: 1_000 });
    // ioredis prints "[ioredis] Unhandled error event" for every failed reconnect of a
    // connection nobody listens to: a store must not flood the logs while Redis is away.
    const logged = vi.spyOn(console, "error");
    try {
      const read = await store.read("shop").catch((e: unknown) => e);
      assert.ok(read instanceof StoreUnavailableError, "reading with no Redis listening fails with StoreUnavailableError");
      expect(read.message).toMatch(/^redis could not read the state \([\w ]+\)$/);
      expect(read.message).not.toContain(String(port));
      await expect(transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" })).rejects.toThrow(/^redis could not read the state/);
      await expect(store.list()).rejects.toThrow(/^redis could not list deployments \([\w ]+\)$/);
      await expect(store.auditLog("shop")).rejects.toThrow(/^redis could not read the audit log \([\w ]+\)$/);
      await expect(store.probe(2_000)).rejects.toBeInstanceOf(StoreUnavailableError);
      const events: StateEvent[] = [];
      const stop = store.watch("shop", (event) => events.push(event));
      const unavailable = await waitFor(() => events.find((e) => e.kind === "unavailable"), { what: "an unavailable event" });
      stop();
      expect(unavailable.error.message).not.toContain(String(port));
      expect(events.filter((e) => e.kind !== "unavailable")).toEqual([]);
      // The watch's subscriber connection has tried (and failed) to connect too by now.
      expect(logged.mock.calls.filter((args) => String(args[0]).includes("ioredis"))).toEqual([]);
    } finally {
      logged.mockRestore();
      await store.close();
    }
  });
});
