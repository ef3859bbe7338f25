import assert from "node:assert/strict";
import { createServer } from "node:net";
import { RedisStore, StoreUnavailableError, rollback, transition, type StateEvent } from "@agent-canary/rollout-state";
import { waitFor } from "@agent-canary/testkit";
import { describe, expect, it } from "vitest";

/** A loopback port nothing listens on (bound once by us, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("RedisStore with no Redis listening", () => {
  it("fails reads, writes and the probe with StoreUnavailableError naming what failed but no address, and tells watchers `unavailable`", async () => {
    const port = await closedPort();
    const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500, commandTimeoutMs: 500, pollIntervalMs: 200, staleAfterMs: 1_000 });
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
    } finally {
      await store.close();
    }
  });
});
