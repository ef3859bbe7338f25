import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { routingSlotOf, isCanarySlot, versionHash } from "@agent-canary/conventions";
import { AgentCanary, DrainTimeoutError } from "@agent-canary/instrumentation";
import { FileStore, RedisStore, setCapability, transition } from "@agent-canary/rollout-state";
import { makeTempDir, startRedis, waitFor } from "@agent-canary/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { DEPLOYMENT, rollBack, setCanaryPercent, startRollout } from "./helpers/state.js";
import { testTelemetry } from "./helpers/otel.js";
import { BASELINE, CANARY } from "./helpers/versions.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(store: FileStore | RedisStore) {
  const telemetry = testTelemetry();
  const runtime = new AgentCanary({
    deployment: DEPLOYMENT,
    versions: { baseline: BASELINE, canary: CANARY },
    store,
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    logger: telemetry.logger,
  });
  cleanups.push(() => runtime.close(), () => telemetry.shutdown());
  const groupOf = (id: string, tenant?: string) => runtime.session({ id, tenant }, (s) => s.group);
  return { runtime, telemetry, groupOf };
}

async function fileStore() {
  const store = new FileStore({ dir: await makeTempDir("instr-routing"), pollIntervalMs: 200 });
  cleanups.push(() => store.close());
  return store;
}

/** Session ids whose slot says canary (or baseline) at `percent` with no salt. */
function idsWhere(canary: boolean, percent: number, n: number): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.length < n; i++) if (isCanarySlot(routingSlotOf(`id-${i}`), percent) === canary) ids.push(`id-${i}`);
  return ids;
}

describe("router", () => {
  it("fails closed to baseline when the store cannot even be watched", async () => {
    const store = await fileStore();
    await startRollout(store, 100);
    // A custom store whose watch() throws (its connection is refused at start).
    const broken = Object.assign(Object.create(store) as FileStore, {
      watch: () => {
        throw new Error("connection refused");
      },
    });
    const { groupOf, telemetry } = await setup(broken);
    expect(await groupOf("any-id")).toBe("baseline");
    expect(await telemetry.metricValue("agent_canary.routing.failures", { reason: "unavailable" })).toBe(1);
    expect(telemetry.warnings.join("\n")).toContain("connection refused");
  });

  it("follows state changes written to the file store while running", async () => {
    const store = await fileStore();
    await startRollout(store, 0);
    const { groupOf, runtime } = await setup(store);
    const [pinned, fresh] = idsWhere(true, 50, 2);
    expect(await groupOf(pinned!)).toBe("baseline");
    await setCanaryPercent(store, 50);
    await waitFor(() => runtime.rolloutState?.canaryPercent === 50, { what: "router to see 50%" });
    // The first id keeps the group of its first session; a new id follows the new percent.
    expect(await groupOf(pinned!)).toBe("baseline");
    expect(await groupOf(fresh!)).toBe("canary");
  });

  it("runs the declared version of the group it assigns", async () => {
    const store = await fileStore();
    await startRollout(store, 100);
    const { runtime } = await setup(store);
    const seen = await runtime.session({ id: "v-1" }, (s) => ({ hash: s.versionHash, model: s.version.model }));
    expect(seen).toEqual({ hash: versionHash(CANARY), model: CANARY.model });
  });

  it("fails closed on a corrupt state file: baseline, counted, warned once", async () => {
    const store = await fileStore();
    await startRollout(store, 100);
    await writeFile(join(store.dir, `${DEPLOYMENT}.json`), "{ this is not json");
    const { groupOf, telemetry } = await setup(store);
    expect(await groupOf("a")).toBe("baseline");
    expect(await groupOf("b")).toBe("baseline");
    expect(await telemetry.metricValue("agent_canary.routing.failures", { reason: "invalid", deployment: DEPLOYMENT })).toBe(2);
    expect(telemetry.warnings.filter((w) => w.includes("fails closed (invalid)"))).toHaveLength(1);
  });

  it("fails closed when no state exists", async () => {
    const store = await fileStore();
    const { groupOf, telemetry } = await setup(store);
    expect(await groupOf("a")).toBe("baseline");
    expect(await telemetry.metricValue("agent_canary.routing.failures", { reason: "missing" })).toBe(1);
  });

  it("pins a session id to its group across a percent change and a rollback", async () => {
    const store = await fileStore();
    await startRollout(store, 50, { drainTimeoutSeconds: 3600 });
    const { groupOf, runtime, telemetry } = await setup(store);
    const [pinned, later] = idsWhere(true, 50, 2);
    expect(await groupOf(pinned!)).toBe("canary");
    await setCanaryPercent(store, 0);
    await waitFor(() => runtime.rolloutState?.canaryPercent === 0);
    expect(await groupOf(pinned!)).toBe("canary");
    expect(await groupOf(later!)).toBe("baseline");
    await rollBack(store);
    await waitFor(() => runtime.rolloutState?.phase === "rolled_back");
    expect(await groupOf(pinned!)).toBe("canary");
    expect(await groupOf(later!)).toBe("baseline");
    // Two ids were assigned; their resumed sessions were not assignments.
    expect(await telemetry.metricValue("agent_canary.routing.assignments")).toBe(2);
  });

  it("routes a pinned canary id afresh once the drain deadline has passed", async () => {
    const store = await fileStore();
    await startRollout(store, 100, { drainTimeoutSeconds: 0 });
    const { groupOf, runtime } = await setup(store);
    expect(await groupOf("resumed-1")).toBe("canary");
    await rollBack(store);
    await waitFor(() => runtime.rolloutState?.phase === "rolled_back");
    expect(await groupOf("resumed-1")).toBe("baseline");
  });

  it("applies tenant overrides, and none after a rollback", async () => {
    const store = await fileStore();
    await startRollout(store, 0);
    const current = (await store.read(DEPLOYMENT))!;
    const next = { ...current, revision: current.revision + 1, tenantOverrides: { early: "always" as const, bank: "never" as const } };
    await store.compareAndSet(DEPLOYMENT, current.revision, next, {
      deployment: DEPLOYMENT, fromRevision: current.revision, toRevision: next.revision, at: new Date().toISOString(),
      by: "test", action: "tenant", toPhase: next.phase, toPercent: next.canaryPercent, reason: "tenant overrides",
    });
    const { groupOf, runtime } = await setup(store);
    await waitFor(() => runtime.rolloutState?.tenantOverrides.early === "always");
    expect(await groupOf("t-1", "early")).toBe("canary");
    expect(await groupOf("t-2", "bank")).toBe("baseline");
    await setCanaryPercent(store, 100);
    await waitFor(() => runtime.rolloutState?.canaryPercent === 100);
    expect(await groupOf("t-3", "bank")).toBe("baseline");
    expect(await groupOf("t-4")).toBe("canary");
    await rollBack(store);
    await waitFor(() => runtime.rolloutState?.phase === "rolled_back");
    expect(await groupOf("t-5", "early")).toBe("baseline");
  });

  it("decides capability flags per session, deterministically, and pins them", async () => {
    const store = await fileStore();
    await startRollout(store, 0);
    await transition(store, DEPLOYMENT, setCapability(DEPLOYMENT, "refunds", { percent: 30 }), { by: "test", reason: "cap" });
    const { runtime } = await setup(store);
    await waitFor(() => runtime.rolloutState?.capabilities.refunds !== undefined);
    const ids = Array.from({ length: 400 }, (_, i) => `cap-${i}`);
    const first = await Promise.all(ids.map((id) => runtime.session({ id }, (s) => s.capability("refunds"))));
    const share = first.filter(Boolean).length / ids.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.38);
    // Salted with the capability name: not the same ids as the canary slots at 30%.
    expect(ids.filter((id, i) => first[i] !== isCanarySlot(routingSlotOf(id), 30)).length).toBeGreaterThan(0);
    await transition(store, DEPLOYMENT, setCapability(DEPLOYMENT, "refunds", { enabled: false }), { by: "test", reason: "off" });
    await waitFor(() => runtime.rolloutState?.capabilities.refunds?.enabled === false);
    const again = await Promise.all(ids.map((id) => runtime.session({ id }, (s) => s.capability("refunds"))));
    expect(again).toEqual(first);
    expect(await runtime.session({ id: "cap-new" }, (s) => s.capability("refunds"))).toBe(false);
    expect(await runtime.session({ id: "cap-new-2" }, (s) => s.capability("no-such-flag"))).toBe(false);
  });

  it("ends canary sessions still running past the drain timeout after a rollback", async () => {
    const store = await fileStore();
    await startRollout(store, 100, { drainTimeoutSeconds: 1 });
    const { runtime, telemetry } = await setup(store);
    const running = runtime.session({ id: "long-1" }, async (s) => {
      expect(s.group).toBe("canary");
      await new Promise((resolve) => s.signal.addEventListener("abort", resolve));
      return s.tool("lookup_order", { orderId: "A1" }, () => "found");
    });
    await rollBack(store);
    await expect(running).rejects.toBeInstanceOf(DrainTimeoutError);
    expect(await telemetry.metricValue("agent_canary.sessions", { outcome: "drain_timeout", version_group: "canary" })).toBe(1);
    // Sessions after the rollback run on baseline and are not drained.
    expect(await runtime.session({ id: "long-2" }, (s) => s.group)).toBe("baseline");
  });

  it("follows state changes published through a real redis-server", async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const store = new RedisStore({ url: redis.redisUrl, prefix: `t${Date.now()}:` });
    cleanups.push(() => store.close());
    await startRollout(store, 0);
    const { groupOf, runtime } = await setup(store);
    const [a, b] = idsWhere(true, 100, 2);
    expect(await groupOf(a!)).toBe("baseline");
    await setCanaryPercent(store, 100);
    await waitFor(() => runtime.rolloutState?.canaryPercent === 100, { what: "pub/sub update" });
    expect(await groupOf(b!)).toBe("canary");
    await rollBack(store);
    await waitFor(() => runtime.rolloutState?.phase === "rolled_back");
    expect(await groupOf("after-rollback")).toBe("baseline");
  });

  it("fails closed as unavailable (not invalid) while redis-server hangs, and routes again once it answers", async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const store = new RedisStore({ url: redis.redisUrl, prefix: `hung${Date.now()}:`, pollIntervalMs: 200, staleAfterMs: 1_000, commandTimeoutMs: 300 });
    cleanups.push(() => store.close());
    await startRollout(store, 100);
    const { groupOf, telemetry } = await setup(store);
    expect(await groupOf("before-hang")).toBe("canary");

    // A hung server (SIGSTOP): connections stay open, nothing answers.
    redis.process.kill("SIGSTOP");
    cleanups.push(async () => redis.process.kill("SIGCONT"));
    let n = 0;
    await waitFor(async () => (await groupOf(`during-hang-${n++}`)) === "baseline", { what: "sessions to fail closed while redis hangs" });
    expect(await telemetry.metricValue("agent_canary.routing.failures", { reason: "unavailable" })).toBeGreaterThanOrEqual(1);
    expect(await telemetry.metricValue("agent_canary.routing.failures", { reason: "invalid" })).toBe(0);
    expect(telemetry.warnings.join("\n")).toContain("routing fails closed (unavailable)");

    redis.process.kill("SIGCONT");
    await waitFor(async () => (await groupOf(`after-hang-${n++}`)) === "canary", { what: "routing to resume once redis answers" });
  });
});
