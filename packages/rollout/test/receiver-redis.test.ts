import { RedisStore, type StateEvent } from "@agent-canary/rollout-state";
import { ReceiverStartError, type Receiver } from "@agent-canary/rollout";
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

describe("receiver on a hung or non-durable Redis", () => {
  it("answers 5xx within a bound while Redis is frozen (so Alertmanager retries), then acts once it is back", async () => {
    const frozen = await startRedis();
    const store = new RedisStore({ url: frozen.redisUrl, commandTimeoutMs: 500 });
    await seedDeployment(store, "shop");
    const started = await startReceiver(store);
    try {
      frozen.process.kill("SIGSTOP");
      let response: Response;
      try {
        response = await post(`${started.url}/hooks/alertmanager`, JSON.stringify(amPayload([{ labels: { alertname: "CostGate", deployment: "shop", action: "rollback" } }])));
        expect(response.status).toBe(503);
        expect((await response.json()).error).toMatch(/did not answer in time; nothing was acknowledged, retry/);
        expect((await fetch(`${started.url}/healthz`)).status).toBe(200);
        const ready = await fetch(`${started.url}/readyz`);
        expect(ready.status).toBe(503);
        expect(await ready.text()).not.toContain(String(frozen.port));
      } finally {
        frozen.process.kill("SIGCONT");
      }
      // Alertmanager's retry.
      response = await post(`${started.url}/hooks/alertmanager`, JSON.stringify(amPayload([{ labels: { alertname: "CostGate", deployment: "shop", action: "rollback" } }])));
      expect(response.status).toBe(200);
      expect((await store.read("shop"))?.phase).toBe("rolled_back");
    } finally {
      await started.receiver.close();
      await frozen.stop();
    }
  });

  it("warns at start that acknowledgements are not durable, and refuses to start with requireDurableStore", async () => {
    const logs: string[] = [];
    const store = new RedisStore({ url: redis.redisUrl, prefix: "durable-check:" });
    const started = await startReceiver(store, {}, { logs });
    await started.receiver.close();
    expect(logs.join("\n")).toMatch(/an acknowledged rollback may be lost if Redis is killed right after it: redis: appendonly no.*appendfsync always/);
    await expect(startReceiver(new RedisStore({ url: redis.redisUrl, prefix: "durable-check:" }), { requireDurableStore: true })).rejects.toBeInstanceOf(ReceiverStartError);
  });
});
