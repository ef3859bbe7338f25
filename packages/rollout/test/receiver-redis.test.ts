import { RedisStore, type StateEvent } from "@agent-canary/rollout-state";
import type { Receiver } from "@agent-canary/rollout";
import { startRedis, waitFor, type RedisHandle } from "@agent-canary/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { amPayload, post, seedDeployment, startReceiver } from "./helpers.js";

let redis: RedisHandle;
let receiver: Receiver;
let url: string;
let router: RedisStore;

beforeAll(async () => {
  redis = await startRedis();
  const store = new RedisStore({ url: redis.redisUrl, pollIntervalMs: 60_000 });
  await seedDeployment(store, "shop");
  ({ receiver, url } = await startReceiver(store));
  // A second connection stands in for an agent replica's router.
  router = new RedisStore({ url: redis.redisUrl, pollIntervalMs: 60_000 });
});
afterAll(async () => {
  await receiver?.close();
  await router?.close();
  await redis?.stop();
});

describe("receiver on the Redis store", () => {
  it("pushes a rollback to other replicas through pub/sub, with the slow poll out of the way", async () => {
    const events: { event: StateEvent; at: number }[] = [];
    const stop = router.watch("shop", (event) => events.push({ event, at: performance.now() }));
    await waitFor(() => events.length === 1, { what: "initial state" });
    const sent = performance.now();
    const response = await post(`${url}/hooks/alertmanager`, JSON.stringify(amPayload([{ labels: { alertname: "CostGate", deployment: "shop", action: "rollback" } }])));
    expect(response.status).toBe(200);
    const seen = await waitFor(() => events.find((e) => e.event.kind === "state" && e.event.state.canaryPercent === 0), { what: "rollback seen by the router" });
    stop();
    // Reported, not asserted: speed belongs to bench/.
    console.info(`rollback reached the watching replica ${(seen.at - sent).toFixed(1)} ms after the webhook was sent`);
    expect(seen.event).toMatchObject({ state: { phase: "rolled_back" } });
  });
});
