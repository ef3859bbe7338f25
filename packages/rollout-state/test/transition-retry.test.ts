import {
  TransitionConflictError,
  advance,
  recordEvent,
  rollback,
  setPercent,
  transition,
  type AuditEntry,
  type RolloutState,
  type RolloutStore,
} from "@agent-canary/rollout-state";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { seed } from "./fixtures.js";
import { MemoryStore } from "./memory-store.js";

/**
 * transition() under contention: another replica writes between our read and our
 * compare-and-set. The contract: the mutation is judged again on the state it would
 * replace, the conflicts are counted, and a writer that keeps losing gives up with
 * a clear error having written nothing.
 */

/** Makes another writer move the percent by one before each of our next `times` compare-and-sets. */
function raceAgainst(store: MemoryStore, times: number): void {
  let left = times;
  store.beforeCompareAndSet = (deployment) => {
    if (left === 0) return;
    left--;
    const current = store.states.get(deployment)!;
    const next: RolloutState = { ...current, revision: current.revision + 1, canaryPercent: (current.canaryPercent + 1) % 100 };
    const entry: AuditEntry = {
      at: current.updatedAt,
      by: "other-replica",
      action: "set",
      toPhase: next.phase,
      toPercent: next.canaryPercent,
      reason: "race",
      deployment,
      fromRevision: current.revision,
      toRevision: next.revision,
    };
    store.put(deployment, next, entry, current.revision);
  };
}

const meta = { by: "cli:test", reason: "test" };

describe("transition under compare-and-set conflicts", () => {
  it("retries from a fresh read, counts the conflicts and writes on top of the winner", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), async (losses) => {
        const store = new MemoryStore();
        await seed(store, "shop");
        raceAgainst(store, losses);
        const result = await transition(store, "shop", (state, now) => setPercent("shop", (state?.canaryPercent ?? 0) + 10)(state, now), meta);
        expect(result).toMatchObject({ status: "changed", conflicts: losses, state: { revision: losses + 1, canaryPercent: 1 + losses + 10 } });
        if (result.status === "changed") expect(result.previous?.revision).toBe(losses);
        expect((await store.auditLog("shop")).map((e) => e.by)).toEqual(["test", ...Array<string>(losses).fill("other-replica"), "cli:test"]);
      }),
      { numRuns: 10 },
    );
  });

  it("judges the state it replaces: an advance decided before a rollback that won the race does nothing", async () => {
    const store = new MemoryStore();
    await seed(store, "shop");
    // Another replica's receiver rolls back between our read and our write. It is another
    // process, so it does not wait in this process's per-deployment queue: write it directly.
    store.beforeCompareAndSet = (deployment) => {
      store.beforeCompareAndSet = () => {};
      const current = store.states.get(deployment)!;
      const change = rollback(deployment)(current, new Date());
      if (change.kind !== "changed") throw new Error("the seeded rollout must be rollbackable");
      const next: RolloutState = { ...current, ...change.patch, revision: current.revision + 1 };
      const entry: AuditEntry = {
        at: current.updatedAt,
        by: "alertmanager:fp",
        action: "rollback",
        toPhase: next.phase,
        toPercent: next.canaryPercent,
        reason: "gate fired",
        deployment,
        fromRevision: current.revision,
        toRevision: next.revision,
      };
      store.put(deployment, next, entry, current.revision);
    };
    const result = await transition(store, "shop", advance("shop", 0), meta);
    expect(result).toMatchObject({ status: "unchanged", reason: "phase is rolled_back, not progressing", conflicts: 1, state: { phase: "rolled_back", canaryPercent: 0 } });
  });

  it("gives up after maxAttempts conflicts, naming the deployment, having written nothing", async () => {
    const store = new MemoryStore();
    await seed(store, "shop");
    raceAgainst(store, Number.POSITIVE_INFINITY);
    const reads = store.reads;
    const failure = transition(store, "shop", setPercent("shop", 42), meta, { maxAttempts: 3 });
    await expect(failure).rejects.toBeInstanceOf(TransitionConflictError);
    await expect(failure).rejects.toThrow("shop: gave up after 3 compare-and-set conflicts; another writer keeps changing it, retry");
    expect(store.reads - reads).toBe(3);
    expect((await store.auditLog("shop")).filter((e) => e.by === "cli:test")).toEqual([]);
  });

  it("tries 20 times by default", async () => {
    const store = new MemoryStore();
    await seed(store, "shop");
    raceAgainst(store, Number.POSITIVE_INFINITY);
    const reads = store.reads;
    await expect(transition(store, "shop", setPercent("shop", 42), meta)).rejects.toThrow("gave up after 20 compare-and-set conflicts");
    expect(store.reads - reads).toBe(20);
  });

  it("carries the caller's details into the state and the audit entry, and adds none otherwise", async () => {
    const store = new MemoryStore();
    await seed(store, "shop");
    const details = { gate: "loop_rate", value: 0.07 };
    const withDetails = await transition(store, "shop", setPercent("shop", 7), { ...meta, details });
    expect(withDetails).toMatchObject({ status: "changed", state: { lastTransition: { details } }, audit: { details } });
    const without = await transition(store, "shop", setPercent("shop", 8), meta);
    if (without.status !== "changed") throw new Error("expected a change");
    expect(without.state.lastTransition).not.toHaveProperty("details");
    expect(without.audit).not.toHaveProperty("details");
  });
});

describe("recordEvent", () => {
  it("appends an entry that changes nothing: same revision, phase and percent on both sides", async () => {
    const store = new MemoryStore();
    const state = await seed(store, "shop");
    const at = new Date("2027-03-01T12:00:00.000Z");
    expect(await recordEvent(store, state, { by: "alertmanager:fp", reason: "resolved", action: "rollback", outcome: "resolved", details: { status: "resolved" } }, at)).toBe(true);
    expect(await recordEvent(store, state, { by: "alertmanager:fp", reason: "duplicate", action: "hold", outcome: "duplicate" }, at)).toBe(true);
    const [, resolved, duplicate] = await store.auditLog("shop");
    expect(resolved).toEqual({
      at: at.toISOString(),
      by: "alertmanager:fp",
      action: "rollback",
      fromPhase: "progressing",
      toPhase: "progressing",
      fromPercent: 1,
      toPercent: 1,
      reason: "resolved",
      outcome: "resolved",
      details: { status: "resolved" },
      deployment: "shop",
      fromRevision: 0,
      toRevision: 0,
    });
    expect(duplicate).not.toHaveProperty("details");
    expect(store.states.get("shop")).toEqual(state);
  });

  it("stamps the current time by default", async () => {
    const store = new MemoryStore();
    const state = await seed(store, "shop");
    const before = Date.now();
    await recordEvent(store, state, { by: "x", reason: "y", action: "hold", outcome: "unchanged" });
    const stamped = Date.parse((await store.auditLog("shop")).at(-1)!.at);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
  });

  it("returns false for a store that cannot record events", async () => {
    const store = new MemoryStore();
    const state = await seed(store, "shop");
    const { record: _record, ...rest } = store;
    const withoutRecord: RolloutStore = { ...rest, read: (d) => store.read(d), compareAndSet: (...a) => store.compareAndSet(...a), watch: (...a) => store.watch(...a), auditLog: (d) => store.auditLog(d), list: () => store.list(), close: () => store.close() };
    expect(await recordEvent(withoutRecord, state, { by: "x", reason: "y", action: "hold", outcome: "unchanged" })).toBe(false);
    expect(await store.auditLog("shop")).toHaveLength(1);
  });
});
