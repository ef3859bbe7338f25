import type { FileStore } from "@agent-canary/rollout-state";
import { DEFAULT_STAGE_PERCENTS, rollback, stagesFrom, start, transition } from "@agent-canary/rollout-state";
import type { Receiver } from "@agent-canary/rollout";
import { waitFor } from "@agent-canary/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { TOKEN, amPayload, post, seedDeployment, startReceiver, tempStore, type StartOptions } from "./helpers.js";

/**
 * Which rollout an alert is about (issue 10 item 5, issue 13 item 11). The timeline of each
 * test: rollout A (seeded), rolled back by a gate; then the operator starts rollout B.
 */
let store: FileStore;
let receiver: Receiver | undefined;
let url: string;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const CANARY_B = { hash: "00000000000000cc" };
const minutes = (n: number) => n * 60_000;

async function setUp(overrides = {}, options: StartOptions = {}) {
  store = await tempStore();
  await seedDeployment(store, "shop");
  ({ receiver, url } = await startReceiver(store, overrides, options));
  const a = await store.read("shop");
  if (!a?.rolloutId) throw new Error("seeded rollout has no id");
  return a.rolloutId;
}

async function send(labels: Record<string, string>, startsAt: string, fingerprint = "fp") {
  const response = await post(`${url}/hooks/alertmanager`, JSON.stringify(amPayload([{ labels: { deployment: "shop", action: "rollback", ...labels }, startsAt, fingerprint }])));
  expect(response.status).toBe(200);
  return ((await response.json()) as { results: { outcome: string; reason: string }[] }).results[0];
}

async function metricsText(): Promise<string> {
  return (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
}

/** Starts rollout B at `at` (the writer's clock), rolling A back first if it still runs, and returns B's id. */
async function startB(at: Date): Promise<string> {
  await transition(store, "shop", rollback("shop"), { by: "cli:ana", reason: "A is done" });
  const result = await transition(store, "shop", start({ deployment: "shop", canary: CANARY_B, stages: stagesFrom(DEFAULT_STAGE_PERCENTS, 0, 0) }), { by: "cli:ana", reason: "v3" }, { now: () => at });
  if (result.status !== "changed" || !result.state.rolloutId) throw new Error("rollout B did not start");
  return result.state.rolloutId;
}

describe("receiver: alerts carrying rollout_id act only on that rollout", () => {
  it("a Prometheus outage that restarts rollout A's episode after B started does not roll back B", async () => {
    const a = await setUp();
    const t0 = Date.now() - minutes(60);
    expect(await send({ alertname: "AgentCanaryCost", rollout_id: a }, new Date(t0).toISOString())).toMatchObject({ outcome: "changed" });
    const b = await startB(new Date(t0 + minutes(10)));
    // 4 minutes without Prometheus: A's alert resolves, then fires again with a new startsAt, after B's start.
    const refired = new Date(t0 + minutes(20)).toISOString();
    expect(await send({ alertname: "AgentCanaryCost", rollout_id: a }, refired, "fp-a")).toMatchObject({ outcome: "other_rollout", reason: expect.stringContaining(`the rollout now is ${b}`) });
    expect(await store.read("shop")).toMatchObject({ rolloutId: b, phase: "progressing", canaryPercent: 1 });
    expect((await store.auditLog("shop")).at(-1)).toMatchObject({ outcome: "other_rollout", details: { rolloutId: a, currentRolloutId: b } });
    // The same re-fire from a rule without rollout_id cannot be told apart by time: it acts.
    // This is why gate alerts carry rollout_id, and why your own rules should too (README).
    expect(await send({ alertname: "MyOwnRule" }, refired, "fp-own")).toMatchObject({ outcome: "changed" });
  });

  it("rollout A's gate firing without a break does not block B's own gate from rolling B back", async () => {
    const a = await setUp();
    const t0 = Date.now() - minutes(60);
    const aEpisode = new Date(t0).toISOString();
    expect(await send({ alertname: "AgentCanaryCost", rollout_id: a }, aEpisode, "fp-a")).toMatchObject({ outcome: "changed" });
    const b = await startB(new Date(t0 + minutes(10)));
    // A's alert keeps firing (repeat_interval re-sends it, old startsAt): about A, nothing happens.
    expect(await send({ alertname: "AgentCanaryCost", rollout_id: a }, aEpisode, "fp-a")).toMatchObject({ outcome: "other_rollout" });
    // B's own gate is another series with its own episode, and it names B: it acts, even with a
    // startsAt before B's start by the writer's clock (Prometheus' clock may disagree).
    expect(await send({ alertname: "AgentCanaryCost", rollout_id: b }, new Date(t0 + minutes(5)).toISOString(), "fp-b")).toMatchObject({ outcome: "changed" });
    expect(await store.read("shop")).toMatchObject({ rolloutId: b, phase: "rolled_back", canaryPercent: 0 });
  });
});

describe("receiver: alerts without rollout_id are judged by time", () => {
  it("acts on alerts of a rollout started by a host whose clock is an hour ahead, and warns", async () => {
    let nowMs = Date.parse("2026-06-01T12:00:00.000Z");
    const logs: string[] = [];
    await setUp({}, { now: () => new Date(nowMs), logs });
    // The host that runs `rollout start` is one hour ahead; the receiver watches it happen.
    await startB(new Date(nowMs + minutes(60)));
    await waitFor(() => logs.find((line) => line.includes("ahead of this receiver's clock")), { what: "a warning about the writer's clock" });
    // A real alert about B, 10 minutes after the true start.
    nowMs += minutes(10);
    expect(await send({ alertname: "MyOwnRule" }, new Date(nowMs).toISOString(), "fp-1")).toMatchObject({ outcome: "changed" });
  });

  it("after the receiver's clock passes the writer's skewed start, judges by when it saw the rollout begin", async () => {
    let nowMs = Date.parse("2026-06-01T12:00:00.000Z");
    await setUp({}, { now: () => new Date(nowMs) });
    const b = await startB(new Date(nowMs + minutes(60)));
    const trueStart = nowMs;
    // The receiver saw B begin (its rollout info names B) while its clock read trueStart.
    await waitFor(async () => (await metricsText()).includes(`rollout_id="${b}"`), { what: "the receiver sees rollout B" });
    nowMs += minutes(120);
    // Alertmanager re-sends an alert that began 10 minutes after the true start: still about B.
    expect(await send({ alertname: "MyOwnRule" }, new Date(trueStart + minutes(10)).toISOString(), "fp-2")).toMatchObject({ outcome: "changed" });
  });
});

describe("receiver: --alert-matchers", () => {
  it("acts only on its environment's alerts; others are answered 200, not audited", async () => {
    await setUp({ alertMatchers: 'cluster="eu1", namespace=~"shop-.*"' });
    const before = await store.auditLog("shop");
    const startsAt = new Date().toISOString();
    expect(await send({ alertname: "Cost", cluster: "us1", namespace: "shop-prod" }, startsAt)).toMatchObject({ outcome: "not_matched" });
    expect(await send({ alertname: "Cost", namespace: "shop-prod" }, startsAt)).toMatchObject({ outcome: "not_matched" });
    expect(await store.auditLog("shop")).toEqual(before);
    expect(await send({ alertname: "Cost", cluster: "eu1", namespace: "shop-prod" }, startsAt)).toMatchObject({ outcome: "changed" });
  });

  it("refuses matchers it cannot read, naming where", async () => {
    await expect(setUp({ alertMatchers: "cluster=eu1 &&" })).rejects.toThrow(/cannot read a matcher at .*&&/);
  });
});
