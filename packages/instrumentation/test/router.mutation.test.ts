// The router's fail-closed handling, strata and pins, driven event by event.
// Written against the survivors of mutation testing (issue 14; scripts/mutation.sh
// instrumentation): each test is behaviour a user relies on when the rollout state
// changes under a running agent.
import { routingSlotOf, isCanarySlot, versionHash } from "@agent-canary/conventions";
import { FileStore, type RolloutState, type RolloutStore, type StateEvent } from "@agent-canary/rollout-state";
import { writeFile } from "node:fs/promises";
import { makeTempDir, waitFor } from "@agent-canary/testkit";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PinTable } from "../src/routing/pin-table.js";
import { type RoutingFailure, Router } from "../src/routing/router.js";
import { NO_ROLLOUT } from "../src/routing/strata.js";
import { OnceLogger } from "../src/telemetry/logger.js";
import { DeclaredVersions } from "../src/version/declared.js";
import { DEPLOYMENT, rollBack, startRollout } from "./helpers/state.js";
import { BASELINE, CANARY } from "./helpers/versions.js";

/**
 * A RolloutStore whose watch() is driven by the test: each event reaches the
 * router exactly when the test emits it (no polling interval to wait out).
 * Reads and writes are not part of routing; they refuse.
 */
class ScriptedStore implements RolloutStore {
  listener: ((event: StateEvent) => void) | undefined;
  unsubscribed = 0;
  watchedDeployment: string | undefined;

  watch(deployment: string, onEvent: (event: StateEvent) => void): () => void {
    this.watchedDeployment = deployment;
    this.listener = onEvent;
    return () => {
      this.unsubscribed++;
      this.listener = undefined;
    };
  }
  emit(event: StateEvent): void {
    if (!this.listener) throw new Error("nothing watches this store");
    this.listener(event);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  read(): Promise<never> {
    return Promise.reject(new Error("routing only watches"));
  }
  compareAndSet(): Promise<never> {
    return Promise.reject(new Error("routing only watches"));
  }
  auditLog(): Promise<never> {
    return Promise.reject(new Error("routing only watches"));
  }
  list(): Promise<never> {
    return Promise.reject(new Error("routing only watches"));
  }
}

const versions = new DeclaredVersions({ baseline: BASELINE, canary: CANARY });
const BASELINE_HASH = versionHash(BASELINE);
const CANARY_HASH = versionHash(CANARY);
const UNDECLARED_HASH = versionHash({ ...CANARY, systemPrompt: "A version no replica was deployed with." });

/** A real rollout state (written through the file store's transitions) to derive variants from. */
let started: RolloutState;
let rolledBack: RolloutState;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  const store = new FileStore({ dir: await makeTempDir("router-mutation"), pollIntervalMs: 200 });
  started = await startRollout(store, 50, { drainTimeoutSeconds: 600 });
  await rollBack(store);
  rolledBack = (await store.read(DEPLOYMENT))!;
  await store.close();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(options: { store?: RolloutStore | null; maxPins?: number; stateTimeoutMs?: number } = {}) {
  const store = options.store === null ? undefined : (options.store ?? new ScriptedStore());
  const warnings: string[] = [];
  const failures: RoutingFailure[] = [];
  const states: RolloutState[] = [];
  const log = new OnceLogger({ debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined });
  const router = new Router({
    deployment: DEPLOYMENT,
    store,
    versions,
    maxPins: options.maxPins ?? 100,
    stateTimeoutMs: options.stateTimeoutMs ?? 60_000,
    log,
    onFailure: (reason) => failures.push(reason),
    onState: (state) => states.push(state),
  });
  router.start();
  cleanups.push(async () => router.close());
  return { router, store: store as ScriptedStore, warnings, failures, states };
}

function at(percent: number, patch: Partial<RolloutState> = {}): StateEvent {
  return { kind: "state", state: { ...started, canaryPercent: percent, ...patch } };
}

/** Ids whose routing slot under the state's salt is canary (or not) at `percent`. */
function idsWhere(canary: boolean, percent: number, n: number, prefix = "id"): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.length < n; i++) if (isCanarySlot(routingSlotOf(`${prefix}-${i}`, started.salt), percent) === canary) ids.push(`${prefix}-${i}`);
  return ids;
}

describe("router fails closed", () => {
  it("on an invalid state after a valid one: baseline, counted, labelled with the last rollout; a valid state routes again", async () => {
    const { router, store, failures, warnings } = setup();
    store.emit(at(100));
    expect((await router.assign({ id: "before" })).group).toBe("canary");

    store.emit({ kind: "invalid", error: new Error("canaryPercent: expected a number") });
    expect(router.state).toBeUndefined();
    const during = await router.assign({ id: "during" });
    expect(during).toMatchObject({ group: "baseline", failure: "invalid", resumed: false });
    expect(during.version.hash).toBe(BASELINE_HASH);
    // Its gate inputs stay with the rollout it failed closed in, not with "no rollout".
    expect(during.pin.stratum).toEqual({ rolloutId: started.rolloutId, canaryPercent: "100", assignment: "fail_closed" });
    expect(failures).toEqual(["invalid"]);
    expect(warnings.filter((w) => w.includes("fails closed (invalid)") && w.includes("canaryPercent: expected a number"))).toHaveLength(1);

    store.emit(at(100));
    expect((await router.assign({ id: "after" })).group).toBe("canary");
    // The valid state cleared the warning: the next failure is reported again.
    store.emit({ kind: "invalid", error: new Error("again") });
    await router.assign({ id: "again" });
    expect(warnings.filter((w) => w.includes("fails closed (invalid)"))).toHaveLength(2);
  });

  it("on an invalid state file after a valid one in a real file store", async () => {
    const dir = await makeTempDir("router-mutation-file");
    const store = new FileStore({ dir, pollIntervalMs: 50 });
    cleanups.push(() => store.close());
    await startRollout(store, 100);
    const { router, failures } = setup({ store });
    await router.firstState;
    expect((await router.assign({ id: "valid" })).group).toBe("canary");
    await writeFile(`${dir}/${DEPLOYMENT}.json`, JSON.stringify({ ...started, canaryPercent: 250 }));
    await waitFor(() => router.state === undefined, { what: "the router to drop the invalid state" });
    expect(await router.assign({ id: "invalid" })).toMatchObject({ group: "baseline", failure: "invalid" });
    expect(failures).toContain("invalid");
  });

  it("on a canary hash this process does not declare: baseline, counted, warned with the hashes it has", async () => {
    const { router, store, failures, warnings } = setup();
    store.emit(at(100, { canary: { hash: UNDECLARED_HASH } }));
    const assigned = await router.assign({ id: "s" });
    expect(assigned).toMatchObject({ group: "baseline", failure: "unknown_version" });
    expect(assigned.version.hash).toBe(BASELINE_HASH);
    expect(assigned.pin.stratum.assignment).toBe("fail_closed");
    expect(assigned.pin.stratum.rolloutId).toBe(started.rolloutId);
    expect(failures).toEqual(["unknown_version"]);
    const warning = warnings.find((w) => w.includes("fails closed (unknown_version)"));
    expect(warning).toContain(UNDECLARED_HASH);
    expect(warning).toContain(`declared: ${BASELINE_HASH}, ${CANARY_HASH}`);
    expect(warning).toContain(`deployment ${DEPLOYMENT}`);
    // Sessions the percent sends to baseline are not failures: they never needed the canary.
    store.emit(at(0, { canary: { hash: UNDECLARED_HASH } }));
    const notNeeded = await router.assign({ id: "t" });
    expect(notNeeded.group).toBe("baseline");
    expect(notNeeded.failure).toBeUndefined();
    expect(failures).toEqual(["unknown_version"]);
  });

  it("on a state naming another deployment", async () => {
    const { router, store, failures, warnings, states } = setup();
    store.emit(at(100, { deployment: "billing-agent" }));
    expect(router.state).toBeUndefined();
    expect(await router.assign({ id: "s" })).toMatchObject({ group: "baseline", failure: "invalid" });
    expect(failures).toEqual(["invalid"]);
    expect(states).toEqual([]);
    expect(warnings.join("\n")).toContain(`the state names deployment "billing-agent", expected "${DEPLOYMENT}"`);
    expect(store.watchedDeployment).toBe(DEPLOYMENT);
  });

  it("when no state is stored, and when the store is unavailable, each under its own reason", async () => {
    const { router, store, failures, warnings } = setup();
    store.emit({ kind: "missing" });
    expect(await router.assign({ id: "a" })).toMatchObject({ group: "baseline", failure: "missing" });
    expect(warnings.join("\n")).toContain("agent-canary rollout start");
    store.emit({ kind: "unavailable", error: new Error("redis did not answer within 1000 ms") });
    expect(await router.assign({ id: "b" })).toMatchObject({ group: "baseline", failure: "unavailable" });
    expect(failures).toEqual(["missing", "unavailable"]);
    expect(warnings.join("\n")).toContain("redis did not answer within 1000 ms");
    // Before any valid state the sessions belong to no rollout.
    expect((await router.assign({ id: "c" })).pin.stratum).toEqual({ rolloutId: "", canaryPercent: "0", assignment: "fail_closed" });
  });

  it("warns again for every reason once a valid state cleared it", async () => {
    const { router, store, warnings } = setup();
    const failures: [StateEvent, string][] = [
      [{ kind: "missing" }, "fails closed (missing)"],
      [{ kind: "invalid", error: new Error("bad") }, "fails closed (invalid)"],
      [{ kind: "unavailable", error: new Error("hung") }, "fails closed (unavailable)"],
      [at(100, { canary: { hash: UNDECLARED_HASH } }), "fails closed (unknown_version)"],
    ];
    for (const round of [1, 2]) {
      for (const [event, text] of failures) {
        store.emit(event);
        await router.assign({ id: `${text}-${round}` });
        store.emit(at(0));
        expect(warnings.filter((w) => w.includes(text)), `${text}, round ${round}`).toHaveLength(round);
      }
    }
  });

  it("watches the store once however often it is started, and stops watching when closed", async () => {
    const store = new ScriptedStore();
    let watches = 0;
    const watch = store.watch.bind(store);
    store.watch = (deployment, onEvent) => {
      watches++;
      return watch(deployment, onEvent);
    };
    const { router } = setup({ store });
    router.start();
    expect(watches).toBe(1);
    router.close();
    router.close();
    expect(store.unsubscribed).toBe(1);
  });

  it("when no state arrives within the state timeout, without each later session waiting again", async () => {
    const { router, failures, warnings } = setup({ stateTimeoutMs: 20 });
    expect(await router.assign({ id: "a" })).toMatchObject({ group: "baseline", failure: "unavailable" });
    expect(warnings.join("\n")).toContain("no rollout state arrived within 20 ms");
    expect(await router.assign({ id: "b" })).toMatchObject({ group: "baseline", failure: "unavailable" });
    expect(failures).toEqual(["unavailable", "unavailable"]);
  });

  it("after a state timeout, decides a later session at once by what it knows, not after waiting for the next event", async () => {
    const { router, store } = setup({ stateTimeoutMs: 20 });
    expect(await router.assign({ id: "a" })).toMatchObject({ failure: "unavailable" });
    const later = router.assign({ id: "b" });
    // A state arriving after the session started does not hold it back or change its decision.
    store.emit(at(100));
    expect(await later).toMatchObject({ group: "baseline", failure: "unavailable" });
    expect(await router.assign({ id: "c" })).toMatchObject({ group: "canary" });
  });

  it("when closed before any state arrived, saying it was closed (not that the state timed out), with capabilities off", async () => {
    const { router, store, failures, warnings } = setup();
    router.close();
    expect(store.unsubscribed).toBe(1);
    await router.firstState;
    const { pin, ...assigned } = await router.assign({ id: "a" });
    expect(assigned).toMatchObject({ group: "baseline", failure: "unavailable" });
    expect(pin.stratum).toMatchObject({ assignment: "fail_closed", rolloutId: "" });
    expect(failures).toEqual(["unavailable"]);
    expect(warnings).toEqual([
      `routing fails closed (unavailable) for deployment ${DEPLOYMENT}: the router was closed before any rollout state arrived. New sessions run the baseline until a valid rollout state is readable.`,
    ]);
    expect(router.capability("a", pin, "refunds")).toBe(false);
  });

  it("when closed while a session waits for the first state: that session fails closed at once, saying it was closed", async () => {
    const { router, failures, warnings } = setup();
    const waiting = router.assign({ id: "a" });
    router.close();
    expect(await waiting).toMatchObject({ group: "baseline", failure: "unavailable" });
    expect(failures).toEqual(["unavailable"]);
    expect(warnings.join("\n")).toContain("the router was closed before any rollout state arrived");
    expect(warnings.join("\n")).not.toContain("no rollout state arrived within");
  });

  it("closing after a state arrived keeps routing new sessions by that state", async () => {
    const { router, store, failures } = setup();
    store.emit(at(100));
    router.close();
    expect(await router.assign({ id: "a" })).toMatchObject({ group: "canary" });
    expect(router.state?.canaryPercent).toBe(100);
    expect(failures).toEqual([]);
  });

  it("when the store's watch() throws, saying why", async () => {
    const store = new ScriptedStore();
    store.watch = () => {
      throw new Error("ECONNREFUSED");
    };
    const { router, warnings } = setup({ store });
    await router.firstState;
    expect(await router.assign({ id: "a" })).toMatchObject({ group: "baseline", failure: "unavailable" });
    expect(warnings.join("\n")).toContain("the store's watch() threw: ECONNREFUSED");
  });
});

describe("router routes", () => {
  it("without a store: the declared baseline, in no rollout, without waiting or failing", async () => {
    const { router, failures } = setup({ store: null });
    router.start();
    await router.firstState;
    const assigned = await router.assign({ id: "a" });
    expect(assigned).toMatchObject({ group: "baseline", resumed: false });
    expect(assigned.failure).toBeUndefined();
    expect(assigned.version.hash).toBe(BASELINE_HASH);
    expect(assigned.pin.stratum).toBe(NO_ROLLOUT);
    expect(NO_ROLLOUT).toEqual({ rolloutId: "", canaryPercent: "0", assignment: "no_rollout" });
    expect(failures).toEqual([]);
  });

  it("a state without a canary to its own baseline, in no rollout, and tells onState", async () => {
    const { router, store, states } = setup();
    const event = at(0, { canary: undefined, rolloutId: undefined });
    store.emit(event);
    const assigned = await router.assign({ id: "a" });
    expect(assigned.group).toBe("baseline");
    expect(assigned.failure).toBeUndefined();
    expect(assigned.pin.stratum).toEqual({ rolloutId: "", canaryPercent: "0", assignment: "no_rollout" });
    // Failing closed after it: still no rollout to label the session with.
    store.emit({ kind: "invalid", error: new Error("bad") });
    expect((await router.assign({ id: "b" })).pin.stratum).toEqual({ rolloutId: "", canaryPercent: "0", assignment: "fail_closed" });
    expect(states).toHaveLength(1);
    expect(router.state?.canary).toBeUndefined();
  });

  it("to the declared baseline, with a warning, when the state's baseline is not declared here", async () => {
    const { router, store, warnings } = setup();
    store.emit(at(0, { baseline: { hash: UNDECLARED_HASH } }));
    const assigned = await router.assign({ id: "a" });
    expect(assigned.version.hash).toBe(BASELINE_HASH);
    expect(warnings.filter((w) => w.includes(`baseline ${UNDECLARED_HASH} is not declared`) && w.includes(BASELINE_HASH))).toHaveLength(1);
  });

  it("by the percent, labelling each session with the rollout and percent it was routed at", async () => {
    const { router, store } = setup();
    store.emit(at(30));
    const [canaryId] = idsWhere(true, 30, 1);
    const [baselineId] = idsWhere(false, 30, 1);
    const canary = await router.assign({ id: canaryId! });
    const baseline = await router.assign({ id: baselineId! });
    expect(canary.group).toBe("canary");
    expect(canary.version.hash).toBe(CANARY_HASH);
    expect(canary.pin).toMatchObject({ group: "canary", versionHash: CANARY_HASH });
    expect(baseline.group).toBe("baseline");
    for (const a of [canary, baseline]) expect(a.pin.stratum).toEqual({ rolloutId: started.rolloutId, canaryPercent: "30", assignment: "split" });
  });

  it("by the routing key instead of the id when one is given", async () => {
    const { router, store } = setup();
    store.emit(at(50));
    const [key] = idsWhere(true, 50, 1, "key");
    const baselineIds = idsWhere(false, 50, 3);
    for (const id of baselineIds) {
      const assigned = await router.assign({ id, routingKey: key });
      expect(assigned.group).toBe("canary");
      expect(assigned.pin.stratum.assignment).toBe("routing_key");
    }
  });

  it("by a tenant override over the percent, and by the percent for other tenants", async () => {
    const { router, store } = setup();
    store.emit(at(50, { tenantOverrides: { early: "always", bank: "never" } }));
    const [canaryId] = idsWhere(true, 50, 1);
    const [baselineId] = idsWhere(false, 50, 1);
    const early = await router.assign({ id: baselineId!, tenant: "early" });
    expect(early.group).toBe("canary");
    expect(early.pin.stratum.assignment).toBe("tenant_override");
    expect((await router.assign({ id: canaryId!, tenant: "bank" })).group).toBe("baseline");
    const other = await router.assign({ id: `${canaryId!}`, tenant: "other" });
    // Already pinned by the bank session: resumed, the override decided it.
    expect(other).toMatchObject({ group: "baseline", resumed: true });
    const fresh = await router.assign({ id: idsWhere(true, 50, 2)[1]!, tenant: "other" });
    expect(fresh.group).toBe("canary");
    expect(fresh.pin.stratum.assignment).toBe("split");
  });

  it("no new session to the canary after a rollback, overrides and routing keys included", async () => {
    const { router, store } = setup();
    store.emit({ kind: "state", state: { ...rolledBack, tenantOverrides: { early: "always" }, canaryPercent: 100 } });
    expect((await router.assign({ id: "a", tenant: "early" })).group).toBe("baseline");
    const keyed = await router.assign({ id: "b", routingKey: idsWhere(true, 100, 1)[0]! });
    expect(keyed.group).toBe("baseline");
    expect(keyed.pin.stratum.assignment).toBe("split");
    expect(keyed.failure).toBeUndefined();
  });
});

describe("router state", () => {
  it("firstState waits for the store's first event; state is undefined until a valid one", async () => {
    const { router, store } = setup();
    let arrived = false;
    void router.firstState.then(() => (arrived = true));
    expect(router.state).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(arrived).toBe(false);
    store.emit({ kind: "missing" });
    await router.firstState;
    expect(arrived).toBe(true);
    expect(router.state).toBeUndefined();
  });

  it("capabilities are off while failing closed", async () => {
    const { router, store } = setup();
    store.emit({ kind: "missing" });
    const { pin } = await router.assign({ id: "s" });
    expect(router.capability("s", pin, "refunds")).toBe(false);
  });

  it("runs a state's baseline as this process declares it, even when that is the version it calls canary", async () => {
    const { router, store, warnings } = setup();
    store.emit(at(0, { baseline: { hash: CANARY_HASH }, canary: undefined }));
    expect((await router.assign({ id: "a" })).version.hash).toBe(CANARY_HASH);
    expect(warnings).toEqual([]);
  });

  it("warns once per undeclared baseline hash", async () => {
    const { router, store, warnings } = setup();
    const other = versionHash({ ...BASELINE, systemPrompt: "Yet another baseline." });
    store.emit(at(0, { baseline: { hash: UNDECLARED_HASH } }));
    await router.assign({ id: "a" });
    store.emit(at(0, { baseline: { hash: other } }));
    await router.assign({ id: "b" });
    await router.assign({ id: "c" });
    expect(warnings.filter((w) => w.includes("is not declared in this process"))).toHaveLength(2);
  });

  it("names only the baseline as declared when this process has no canary", async () => {
    const warnings: string[] = [];
    const store = new ScriptedStore();
    const router = new Router({
      deployment: DEPLOYMENT,
      store,
      versions: new DeclaredVersions({ baseline: BASELINE }),
      maxPins: 10,
      stateTimeoutMs: 60_000,
      log: new OnceLogger({ debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined }),
      onFailure: () => undefined,
      onState: () => undefined,
    });
    router.start();
    cleanups.push(async () => router.close());
    store.emit(at(100));
    expect(await router.assign({ id: "a" })).toMatchObject({ group: "baseline", failure: "unknown_version" });
    expect(warnings.join("\n")).toContain(`(declared: ${BASELINE_HASH}); deploy`);
  });

  it("applies no tenant override to a session without a tenant", async () => {
    const { router, store } = setup();
    store.emit(at(0, { tenantOverrides: { undefined: "always" } }));
    expect((await router.assign({ id: "a" })).group).toBe("baseline");
    expect((await router.assign({ id: "b", tenant: "undefined" })).group).toBe("canary");
  });

  it("labels sessions of a state that predates rollout ids with an empty rollout id", async () => {
    const { router, store } = setup();
    store.emit(at(100, { rolloutId: undefined }));
    expect((await router.assign({ id: "a" })).pin.stratum).toEqual({ rolloutId: "", canaryPercent: "100", assignment: "split" });
  });
});

describe("rollback clock", () => {
  /** Resolves once performance.now() has moved past `t` (event-driven, no fixed wait). */
  async function after(t: number): Promise<number> {
    while (performance.now() <= t) await new Promise((resolve) => setImmediate(resolve));
    return performance.now();
  }

  it("starts a new drain for a different rollback seen without a state in between, by rollout id or by time", async () => {
    const { router, store } = setup();
    const drainMs = rolledBack.drainTimeoutSeconds * 1000;
    store.emit({ kind: "state", state: rolledBack });
    const first = router.drainDeadline()!;
    let now = await after(first - drainMs);
    store.emit({ kind: "state", state: { ...rolledBack, rolloutId: "another-rollout" } });
    const second = router.drainDeadline()!;
    expect(second).toBeGreaterThanOrEqual(now + drainMs);
    now = await after(second - drainMs);
    store.emit({ kind: "state", state: { ...rolledBack, rolloutId: "another-rollout", rolledBackAt: "2030-01-01T00:00:00.000Z" } });
    expect(router.drainDeadline()!).toBeGreaterThanOrEqual(now + drainMs);
  });

  it("keeps the drain's start for a rollback without ids read again", async () => {
    const { router, store } = setup();
    const bare = { ...rolledBack, rolloutId: null, rolledBackAt: null };
    store.emit({ kind: "state", state: bare });
    const first = router.drainDeadline()!;
    await after(first - rolledBack.drainTimeoutSeconds * 1000);
    store.emit({ kind: "state", state: { ...bare, revision: bare.revision + 1 } });
    expect(router.drainDeadline()).toBe(first);
  });
});

describe("router pins", () => {
  it("resume a session in its group and version across a percent change", async () => {
    const { router, store } = setup();
    store.emit(at(100));
    const first = await router.assign({ id: "s" });
    store.emit(at(0));
    const resumed = await router.assign({ id: "s" });
    expect(resumed).toMatchObject({ group: "canary", resumed: true });
    expect(resumed.version.hash).toBe(CANARY_HASH);
    expect(resumed.pin).toBe(first.pin);
  });

  it("keep a canary session on the canary through a rollback until the drain deadline, measured from when this process learned of it", async () => {
    const { router, store } = setup();
    store.emit(at(100));
    await router.assign({ id: "s" });
    expect(router.drainDeadline()).toBeUndefined();
    const before = performance.now();
    store.emit({ kind: "state", state: rolledBack });
    const after = performance.now();
    const deadline = router.drainDeadline()!;
    expect(deadline).toBeGreaterThanOrEqual(before + 600_000);
    expect(deadline).toBeLessThanOrEqual(after + 600_000);
    expect(await router.assign({ id: "s" })).toMatchObject({ group: "canary", resumed: true });
    // The same rollback read again keeps its start; a changed drain timeout moves the deadline.
    store.emit({ kind: "state", state: { ...rolledBack, revision: rolledBack.revision + 1 } });
    expect(router.drainDeadline()).toBe(deadline);
    store.emit({ kind: "state", state: { ...rolledBack, drainTimeoutSeconds: 0 } });
    expect(router.drainDeadline()).toBeCloseTo(deadline - 600_000, 3);
    // Past the deadline the id is routed afresh (a rolled-back state: baseline).
    expect(await router.assign({ id: "s" })).toMatchObject({ group: "baseline", resumed: false });
    // A new rollout clears the rollback.
    store.emit(at(100));
    expect(router.drainDeadline()).toBeUndefined();
  });

  it("never expire a baseline pin at a drain deadline", async () => {
    const { router, store } = setup();
    store.emit(at(0));
    await router.assign({ id: "b" });
    store.emit({ kind: "state", state: { ...rolledBack, drainTimeoutSeconds: 0 } });
    expect(await router.assign({ id: "b" })).toMatchObject({ group: "baseline", resumed: true });
  });

  it("forget the least recently used id past the bound; using an id refreshes it", async () => {
    const { router, store } = setup({ maxPins: 2 });
    store.emit(at(100));
    await router.assign({ id: "a" });
    await router.assign({ id: "b" });
    expect(await router.assign({ id: "a" })).toMatchObject({ resumed: true });
    await router.assign({ id: "c" });
    store.emit(at(0));
    // "a" was used after "b": "b" is the one forgotten and is routed afresh at 0%.
    expect(await router.assign({ id: "a" })).toMatchObject({ group: "canary", resumed: true });
    expect(await router.assign({ id: "b" })).toMatchObject({ group: "baseline", resumed: false });
  });

  it("decide a capability once per session and keep it when the capability changes", async () => {
    const { router, store } = setup();
    const capabilities = { refunds: { enabled: true, percent: 100 } };
    store.emit(at(0, { capabilities }));
    const { pin } = await router.assign({ id: "s" });
    expect(router.capability("s", pin, "refunds")).toBe(true);
    expect(router.capability("s", pin, "unknown")).toBe(false);
    store.emit(at(0, { capabilities: { refunds: { enabled: false, percent: 100 } } }));
    expect(router.capability("s", pin, "refunds")).toBe(true);
    const other = await router.assign({ id: "t" });
    expect(router.capability("t", other.pin, "refunds")).toBe(false);
    store.emit(at(0, { capabilities: { refunds: { enabled: true, percent: 0 } } }));
    const third = await router.assign({ id: "u" });
    expect(router.capability("u", third.pin, "refunds")).toBe(false);
  });

  it("salt a capability's routing slot with the state's salt and the capability's name", async () => {
    const { router, store } = setup();
    store.emit(at(0, { salt: "s1", capabilities: { refunds: { enabled: true, percent: 50 } } }));
    const ids = Array.from({ length: 64 }, (_, i) => `cap-${i}`);
    for (const id of ids) {
      const { pin } = await router.assign({ id });
      expect(router.capability(id, pin, "refunds")).toBe(isCanarySlot(routingSlotOf(id, "s1:refunds"), 50));
    }
  });
});

describe("pin table", () => {
  const pin = { group: "baseline" as const, versionHash: BASELINE_HASH, stratum: NO_ROLLOUT };

  it("keeps at most its bound, dropping the least recently used (read or written)", () => {
    const table = new PinTable(2);
    table.set("a", pin);
    table.set("b", pin);
    expect(table.get("a")).toBe(pin);
    table.set("c", pin);
    expect(table.size).toBe(2);
    expect(table.get("b")).toBeUndefined();
    expect(table.get("a")).toBe(pin);
    // Writing an existing id refreshes it too.
    table.set("c", pin);
    table.set("d", pin);
    expect(table.get("a")).toBeUndefined();
    expect(table.get("c")).toBe(pin);
    table.delete("c");
    expect(table.size).toBe(1);
    // A bound below zero keeps nothing (and does not loop forever).
    const none = new PinTable(-1);
    none.set("x", pin);
    expect(none.size).toBe(0);
    table.delete("c");
    expect(table.size).toBe(1);
    expect(table.get("missing")).toBeUndefined();
  });
});
