import { RedisStore, rollback, setCapability, transition, type StateEvent } from "@agent-canary/rollout-state";
import { startRedisSentinel, waitFor, type RedisSentinelHandle } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seed } from "./fixtures.js";

let topology: RedisSentinelHandle;

beforeAll(async () => {
  topology = await startRedisSentinel();
});
afterAll(async () => {
  await topology?.stop();
});

describe("RedisStore behind Sentinel", () => {
  it("keeps a rollback acknowledged after a replica had it through a master kill and failover, and writes on the new master", async () => {
    const store = new RedisStore({ url: topology.storeSpec, waitReplicas: 1, waitTimeoutMs: 2_000 });
    const router = new RedisStore({ url: topology.storeSpec, pollIntervalMs: 200, staleAfterMs: 60_000 });
    try {
      expect(await store.durability()).toMatchObject({ durable: true, findings: [expect.stringMatching(/1 connected replica.*writes wait for 1/)] });
      await seed(store, "shop");
      const events: StateEvent[] = [];
      const stop = router.watch("shop", (event) => events.push(event));
      await waitFor(() => events.at(-1)?.kind === "state", { what: "router's first state" });

      // Acknowledged only once the replica has it (WAIT 1), then the master dies at once.
      await transition(store, "shop", rollback("shop"), { by: "receiver", reason: "gate" });
      const exited = new Promise((resolve) => topology.master.process.once("exit", resolve));
      topology.master.process.kill("SIGKILL");
      await exited;

      await waitFor(async () => (await topology.currentMasterPort()) === topology.replica.port, { what: "sentinel promotes the replica", timeoutMs: 60_000 });
      const seen = await waitFor(() => events.find((e) => e.kind === "state" && e.state.phase === "rolled_back"), { what: "router sees the rollback on the new master", timeoutMs: 60_000 });
      expect(seen).toMatchObject({ state: { canaryPercent: 0, revision: 1 } });
      stop();
      // Writes go on against the promoted master.
      const writer = new RedisStore({ url: topology.storeSpec });
      try {
        const write = () => transition(writer, "shop", setCapability("shop", "db_write", { enabled: false }), { by: "cli", reason: "after failover" });
        const written = await waitFor(() => write().catch(() => undefined), { what: "a write on the new master", timeoutMs: 60_000 });
        expect(written).toMatchObject({ status: "changed", state: { revision: 2 } });
        expect((await writer.auditLog("shop")).map((e) => e.toRevision)).toEqual([0, 1, 2]);
      } finally {
        await writer.close();
      }
    } finally {
      await store.close();
      await router.close();
    }
  });
});
