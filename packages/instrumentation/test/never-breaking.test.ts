import { createHash } from "node:crypto";
import { versionHash } from "@agent-canary/conventions";
import { AgentCanary, session } from "@agent-canary/instrumentation";
import { FileStore } from "@agent-canary/rollout-state";
import { makeTempDir, waitFor } from "@agent-canary/testkit";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it, vi } from "vitest";
import { testTelemetry } from "./helpers/otel.js";
import { DEPLOYMENT, patchState, rollBack, startRollout } from "./helpers/state.js";
import { BASELINE, CANARY } from "./helpers/versions.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.restoreAllMocks();
});

async function runtimeWith(options: { store?: FileStore; tracerProvider?: TracerProvider } = {}) {
  const telemetry = testTelemetry();
  const runtime = new AgentCanary({
    deployment: DEPLOYMENT,
    versions: { baseline: BASELINE, canary: CANARY },
    store: options.store,
    tracerProvider: options.tracerProvider ?? telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
    logger: telemetry.logger,
  });
  cleanups.push(async () => {
    await runtime.close();
    await telemetry.shutdown();
  });
  return { runtime, telemetry };
}

async function fileStore() {
  const store = new FileStore({ dir: await makeTempDir("instr-never-breaking"), pollIntervalMs: 200 });
  cleanups.push(() => store.close());
  return store;
}

describe("session() never stops the agent", () => {
  it("runs the function whatever the id: a number is used as text, an overlong id by its hash, a missing one at random; each warned once", async () => {
    const { runtime, telemetry } = await runtimeWith();
    const idOf = (init: unknown) => runtime.session(init as { id: string }, (s) => s.id);
    expect(await idOf({ id: 42 })).toBe("42");
    const long = "x".repeat(5_000);
    expect(await idOf({ id: long })).toBe(createHash("sha256").update(long).digest("hex"));
    expect(await idOf({ id: long })).toBe(createHash("sha256").update(long).digest("hex"));
    const [a, b] = [await idOf({ id: "" }), await idOf({})];
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(b).not.toBe(a);
    expect(await idOf(undefined)).toMatch(/^[0-9a-f-]{36}$/);
    expect(await runtime.session({ id: "t-1", tenant: "" }, (s) => s.tenant)).toBeUndefined();
    const said = (text: string) => telemetry.warnings.filter((w) => w.includes(text)).length;
    expect(said("got a number as id")).toBe(1);
    expect(said("got a id of 5000 characters")).toBe(1);
    expect(said("got no usable id")).toBe(1);
    expect(said("got an unusable tenant")).toBe(1);
  });

  it("returns a tool's result, or throws its own error, when the span processor throws on every span end", async () => {
    const broken = new TracerProvider({
      spanProcessors: [
        {
          onStart: () => undefined,
          onEnd: () => {
            throw new Error("exporter exploded");
          },
          forceFlush: async () => undefined,
          shutdown: async () => undefined,
        },
      ],
    });
    const { runtime, telemetry } = await runtimeWith({ tracerProvider: broken });
    let refunds = 0;
    const refund = () => {
      refunds += 1;
      return { refunded: true };
    };
    const results = await runtime.session({ id: "refund-1" }, async (s) => {
      const ok = await s.tool("refund", { orderId: "A1" }, refund);
      const failed = await s.tool("lookup_order", { orderId: "B2" }, () => {
        throw new RangeError("no such order");
      }).catch((error: unknown) => error);
      return { ok, failed };
    });
    expect(refunds).toBe(1);
    expect(results.ok).toEqual({ refunded: true });
    expect(results.failed).toBeInstanceOf(RangeError);
    expect(await telemetry.metricValue("agent_canary.instrumentation.errors", { component: "tool-span" })).toBe(2);
    expect(await telemetry.metricValue("agent_canary.sessions", { outcome: "completed" })).toBe(1);
  });

  it("drains canary sessions from when this process learned of the rollback, not by the state's clock", async () => {
    const store = await fileStore();
    await startRollout(store, 100, { drainTimeoutSeconds: 600 });
    const { runtime } = await runtimeWith({ store });
    await runtime.ready;
    let finish: () => void = () => undefined;
    let aborted: boolean | undefined;
    const running = runtime.session({ id: "skewed-1" }, async (s) => {
      expect(s.group).toBe("canary");
      await new Promise<void>((resolve) => (finish = resolve));
      aborted = s.signal.aborted;
      return s.tool("lookup_order", { orderId: "A1" }, () => "found");
    });
    // The receiver's clock is 11 minutes behind this agent's: by this agent's clock the rollback happened 11 min ago.
    await rollBack(store);
    await patchState(store, { rolledBackAt: new Date(Date.now() - 11 * 60_000).toISOString() });
    await waitFor(() => runtime.rolloutState?.rolledBackAt !== undefined && runtime.rolloutState.phase === "rolled_back" && Date.parse(runtime.rolloutState.rolledBackAt!) < Date.now() - 600_000, {
      what: "the router to see the skewed rollback",
    });
    finish();
    expect(await running).toBe("found");
    expect(aborted).toBe(false);
  });

  it("runs sessions of a closed runtime on the baseline, unrecorded, saying so once", async () => {
    const { runtime, telemetry } = await runtimeWith();
    await runtime.close();
    const seen = await Promise.all(["c-1", "c-2"].map((id) => runtime.session({ id }, (s) => ({ group: s.group, hash: s.versionHash, model: s.version.model }))));
    expect(seen).toEqual([0, 1].map(() => ({ group: "baseline", hash: versionHash(BASELINE), model: BASELINE.model })));
    expect(telemetry.warnings.filter((w) => w.includes("was closed"))).toHaveLength(1);
    expect(await telemetry.metricValue("agent_canary.sessions")).toBe(0);
  });

  it("runs session() with nothing registered on the baseline, saying once why and what to do", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const groups = await Promise.all(["n-1", "n-2"].map((id) => session({ id }, (s) => s.group)));
    expect(groups).toEqual(["baseline", "baseline"]);
    // No version was declared anywhere: reading it says how to declare one.
    await expect(session({ id: "n-3" }, (s) => s.version.model)).rejects.toThrow(/no version: agent-canary is not registered.*register\(/);
    const said = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("agent-canary is not registered"));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain("--import @agent-canary/instrumentation/register");
  });
});
