import { versionHash } from "@agent-canary/conventions";
import { AgentCanary, AgentCanaryInstrumentation, type AgentCanaryOptions, LoopDetectedError } from "@agent-canary/instrumentation";
import { FileStore, start, transition } from "@agent-canary/rollout-state";
import { makeTempDir } from "@agent-canary/testkit";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  BASELINE_VERSION,
  CANARY_VERSION,
  type FleetSummary,
  makeTask,
  type ModelServer,
  runFleet,
  runSupportSession,
  seeded,
  startModelServer,
} from "@agent-canary/example-support-agent";

const instrumentation = new AgentCanaryInstrumentation({ enabled: false });
const closers: (() => Promise<unknown>)[] = [];
beforeAll(() => {
  // Vitest loads openai outside Node's module hooks: instrument it by hand, as a bundled app would.
  instrumentation.instrument(OpenAI);
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(() => instrumentation.disable());

async function server(options: Parameters<typeof startModelServer>[0] = {}): Promise<{ server: ModelServer; client: OpenAI }> {
  const s = await startModelServer(options);
  closers.push(() => s.close());
  return { server: s, client: new OpenAI({ apiKey: "local", baseURL: s.baseURL, maxRetries: 0 }) };
}

function runtime(options: Partial<AgentCanaryOptions> = {}) {
  const r = new AgentCanary({
    deployment: "support-agent",
    versions: { baseline: BASELINE_VERSION, canary: CANARY_VERSION },
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    ...options,
  });
  closers.push(() => r.close());
  return r;
}

const rate = (summary: FleetSummary, group: "baseline" | "canary", outcome: string) =>
  (summary.byGroup[group].outcomes[outcome as "completed"] ?? 0) / summary.byGroup[group].sessions;

describe("support agent on the scripted model server", () => {
  it("resolves about 92% of tickets when healthy, with varying cost and turns", async () => {
    const { client } = await server({ seed: 7 });
    const rt = runtime();
    const first = await runFleet({ client, sessions: 400, concurrency: 16, seed: 3, runSession: (init, fn) => rt.session(init, fn) });
    expect(first.byGroup.baseline.sessions).toBe(400);
    const completed = rate(first, "baseline", "completed");
    expect(completed).toBeGreaterThan(0.87);
    expect(completed).toBeLessThan(0.97);
    expect(rate(first, "baseline", "loop_detected")).toBeLessThan(0.02);
    const costs = new Set(first.records.map((r) => r.costUsd));
    expect(costs.size).toBeGreaterThan(30);
    expect(new Set(first.records.map((r) => r.turns)).size).toBeGreaterThan(1);
  });

  it("gives the same sessions the same outcomes, turns and costs for the same seeds", async () => {
    const { client } = await server({ seed: 7 });
    const rt = runtime();
    const run = (idPrefix: string) => runFleet({ client, sessions: 60, seed: 3, idPrefix, runSession: (init, fn) => rt.session(init, fn) });
    const first = await run("a");
    const again = await run("a");
    const key = (s: FleetSummary) => s.records.map((r) => `${r.id}:${r.outcome}:${r.turns}:${r.costUsd}`).sort();
    expect(key(again)).toEqual(key(first));
  });

  it("trips the loop guard when the canary model is told to loop", async () => {
    const { client } = await server({ models: { [CANARY_VERSION.model]: { loopRate: 1 } } });
    const rt = runtime({ versions: { baseline: CANARY_VERSION } });
    const task = makeTask(seeded("loop"), "T-loop");
    let turns = 0;
    const error = await rt
      .session({ id: "loop-1" }, async (s) => {
        try {
          return await runSupportSession(client, s, task);
        } finally {
          turns = s.turns;
        }
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoopDetectedError);
    expect((error as LoopDetectedError).match.cycle[0]).toMatch(/^search_kb\(/);
    expect(turns).toBe(3);
  });

  it("streams with a final usage chunk, costing the same as the same ticket unstreamed", async () => {
    const { client } = await server({ seed: 11 });
    const rt = runtime();
    const task = makeTask(seeded("stream"), "T-stream");
    const costOf = (stream: boolean) =>
      rt.session({ id: `stream-${stream}` }, async (s) => {
        const result = await runSupportSession(client, s, task, { stream });
        return { cost: s.cost, resolved: result.resolved, answer: result.answer };
      });
    const streamed = await costOf(true);
    const plain = await costOf(false);
    expect(streamed.cost).toBeGreaterThan(0);
    expect(streamed).toEqual(plain);
  });

  it("routes a fleet between versions through a rollout and shows the canary's extra spend", async () => {
    const { client } = await server({ seed: 5, models: { [CANARY_VERSION.model]: { tokenScale: 4 } } });
    const store = new FileStore({ dir: await makeTempDir("example-fleet") });
    closers.push(() => store.close());
    await transition(
      store,
      "support-agent",
      start({
        deployment: "support-agent",
        baseline: { hash: versionHash(BASELINE_VERSION) },
        canary: { hash: versionHash(CANARY_VERSION) },
        stages: [{ percent: 50, minDurationSeconds: 0, minSessionsPerArm: 0 }],
      }),
      { by: "test", reason: "fleet test" },
    );
    const rt = runtime({ store });
    const summary = await runFleet({ client, sessions: 200, seed: 9, runSession: (init, fn) => rt.session(init, fn) });
    expect(summary.byGroup.canary.sessions).toBeGreaterThan(70);
    expect(summary.byGroup.baseline.sessions).toBeGreaterThan(70);
    expect(summary.byGroup.canary.meanCostUsd!).toBeGreaterThan(summary.byGroup.baseline.meanCostUsd! * 2);
  });

  it("records every session of a fleet run with nothing registered as an error, instead of returning an empty summary", async () => {
    const { client } = await server();
    // Nothing is registered in this process: session() still runs each session (agent-canary never stops the
    // agent), but no version was declared, so the agent cannot build its request and each session ends in error.
    const summary = await runFleet({ client, sessions: 3 });
    expect(summary.records.map((r) => r.outcome)).toEqual(["error", "error", "error"]);
  });

  it("answers bad requests with an OpenAI-style 400 naming the field", async () => {
    const { server: s } = await server();
    const response = await fetch(`${s.baseURL}/chat/completions`, { method: "POST", body: JSON.stringify({ model: "x", messages: [] }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("messages");
    // A malformed assistant turn is named too, rather than crashing the policy with a 500.
    const malformed = await fetch(`${s.baseURL}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "x", messages: [{ role: "user", content: "Ticket T-1: where is my order A1000?" }, { role: "assistant", tool_calls: "lookup_order" }] }),
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { message: string } }).error.message).toContain("messages.1.tool_calls");
  });
});
