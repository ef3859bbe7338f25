import { describe, expect, it } from "vitest";
import { createShadow, ShadowOptionsError, type AgentFn, type ComparisonRecord } from "../src/index.js";
import { gate } from "./support/gate.js";
import { orderDesk } from "./support/tools.js";

const PRODUCTION = "aaaaaaaaaaaaaaaa";
const CANDIDATE = "bbbbbbbbbbbbbbbb";
const ioTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const quiet = { info: () => undefined, warn: () => undefined };

const refundAgent: AgentFn<{ orderId: string }> = async (input, ctx) => {
  ctx.recordTurn({ costUsd: 0.001 });
  await ctx.callTool("lookup_order", { orderId: input.orderId });
  ctx.recordTurn({ costUsd: 0.001 });
  const refund = (await ctx.callTool("issue_refund", { orderId: input.orderId, amount: 42 })) as { refundId: string };
  return `Refunded order ${input.orderId} (${refund.refundId}).`;
};

describe("shadow runner", () => {
  it("answers with production while a slow candidate is still running", async () => {
    const { tools } = orderDesk();
    const held = gate();
    const events: string[] = [];
    const shadow = createShadow({
      production: {
        run: async () => {
          await ioTurn(); // production waits on I/O (its model), as a real agent does
          return "production answer";
        },
        version: PRODUCTION,
      },
      candidate: {
        run: async () => {
          events.push("candidate running");
          await held.opened;
          return "candidate answer";
        },
        version: CANDIDATE,
      },
      tools,
      logger: quiet,
    });
    shadow.on("production_answered", () => events.push("production answered"));
    shadow.on("candidate_finished", () => events.push("candidate finished"));
    shadow.on("comparison", () => events.push("comparison"));

    const answer = await shadow.run("hello");
    events.push("caller has answer");
    expect(answer).toBe("production answer");
    expect(shadow.pending).toBe(1);

    held.open();
    await shadow.close();
    expect(events).toEqual(["candidate running", "production answered", "caller has answer", "candidate finished", "comparison"]);
  });

  it("never executes a write tool in the candidate and records the intended call", async () => {
    const { tools, refunds } = orderDesk();
    const comparisons: ComparisonRecord[] = [];
    const shadow = createShadow({
      production: { run: refundAgent, version: PRODUCTION },
      candidate: { run: refundAgent, version: CANDIDATE },
      tools,
      logger: quiet,
    });
    shadow.on("comparison", (c) => comparisons.push(c));

    expect(await shadow.run({ orderId: "A-1" })).toBe("Refunded order A-1 (rf-1).");
    await shadow.close();

    expect(refunds).toEqual([{ orderId: "A-1", amount: 42 }]);
    const [comparison] = comparisons;
    const write = comparison?.candidate.toolCalls.find((c) => c.name === "issue_refund");
    expect(write).toEqual({ name: "issue_refund", kind: "write", arguments: { orderId: "A-1", amount: 42 }, intercepted: true });
    expect(comparison?.candidate.output).toBe("Refunded order A-1 (rf-dry-run).");
    expect(comparison?.keyMetrics.decisionsAgree).toBe(true);
    expect(comparison?.production.costUsd).toBeCloseTo(0.002);
    expect(comparison?.production.steps).toBe(4);
  });

  it("drops (and says so) a candidate run when every slot is taken, without queueing", async () => {
    const held = gate();
    const dropped: string[] = [];
    const candidateInputs: string[] = [];
    const shadow = createShadow<string, string>({
      production: { run: async (input) => `p:${input}`, version: PRODUCTION },
      candidate: {
        run: async (input) => {
          candidateInputs.push(input);
          await held.opened;
          return `c:${input}`;
        },
        version: CANDIDATE,
      },
      maxConcurrentCandidates: 1,
      logger: quiet,
    });
    shadow.on("dropped", (e) => dropped.push(e.id));

    expect(await shadow.run("one", { requestId: "r1" })).toBe("p:one");
    expect(await shadow.run("two", { requestId: "r2" })).toBe("p:two");
    held.open();
    await shadow.close();
    expect(dropped).toEqual(["r2"]);
    expect(candidateInputs).toEqual(["one"]);
  });

  it("ends a candidate that passes its timeout, aborts its signal and records the timeout", async () => {
    let signal: AbortSignal | undefined;
    const comparisons: ComparisonRecord[] = [];
    const shadow = createShadow({
      production: { run: async () => "done", version: PRODUCTION },
      candidate: {
        run: (_input, ctx) => {
          signal = ctx.signal;
          return new Promise<string>(() => undefined); // never answers
        },
        version: CANDIDATE,
      },
      candidateTimeoutMs: 5,
      candidateAbandonAfterMs: 5,
      logger: quiet,
    });
    shadow.on("comparison", (c) => comparisons.push(c));
    expect(await shadow.run("x")).toBe("done");
    await shadow.close();
    expect(signal?.aborted).toBe(true);
    expect(comparisons[0]?.candidate.outcome).toBe("timeout");
    expect(comparisons[0]?.divergences.map((d) => d.kind)).toContain("candidate_failed");
  });

  it("keeps a failing candidate away from the caller and gives production's error to the caller", async () => {
    const shadow = createShadow({
      production: { run: async (input: string) => (input === "bad" ? Promise.reject(new Error("production broke")) : "ok"), version: PRODUCTION },
      candidate: { run: async () => Promise.reject(new Error("candidate broke")), version: CANDIDATE },
      logger: quiet,
    });
    const comparisons: ComparisonRecord[] = [];
    shadow.on("comparison", (c) => comparisons.push(c));
    expect(await shadow.run("good")).toBe("ok");
    await expect(shadow.run("bad")).rejects.toThrow("production broke");
    await shadow.close();
    expect(comparisons.map((c) => c.candidate.error)).toEqual(["candidate broke", "candidate broke"]);
    expect(comparisons[1]?.production.outcome).toBe("error");
  });

  it("shadows only opted-in tenants and routes, and only the sampled share", async () => {
    let candidateRuns = 0;
    const shadow = createShadow({
      production: { run: async () => "p", version: PRODUCTION },
      candidate: { run: async () => (candidateRuns++, "c"), version: CANDIDATE },
      optIn: { tenants: ["acme"], routes: ["/chat"] },
      logger: quiet,
    });
    await shadow.run("x", { tenant: "acme" });
    await shadow.run("x", { route: "/chat" });
    await shadow.run("x", { tenant: "globex", route: "/other" });
    await shadow.run("x");
    await shadow.close();
    expect(candidateRuns).toBe(2);

    let sampled = 0;
    const sampledShadow = createShadow({
      production: { run: async () => "p", version: PRODUCTION },
      candidate: { run: async () => (sampled++, "c"), version: CANDIDATE },
      sampleRate: 0.1,
      maxConcurrentCandidates: 2000,
      logger: quiet,
    });
    for (let i = 0; i < 2000; i++) await sampledShadow.run("x", { requestId: `req-${i}` });
    await sampledShadow.close();
    // Deterministic hashing of request ids: about 10%, the same share on every run.
    expect(sampled).toBeGreaterThan(150);
    expect(sampled).toBeLessThan(250);
  });

  it("starts the candidate only after the caller has production's answer when asked to", async () => {
    const order: string[] = [];
    const shadow = createShadow({
      production: { run: async () => (order.push("production"), "p"), version: PRODUCTION },
      candidate: { run: async () => (order.push("candidate"), "c"), version: CANDIDATE },
      candidateStart: "after_production",
      logger: quiet,
    });
    await shadow.run("x");
    order.push("caller");
    await shadow.close();
    expect(order).toEqual(["production", "caller", "candidate"]);
  });

  it("rejects bad options naming the field and the fix", () => {
    const bad = () =>
      createShadow({
        production: { run: async () => "p", version: "not-a-hash" },
        candidate: { run: async () => "c", version: CANDIDATE },
        sampleRate: 2,
        // Not the declared type: what a JavaScript caller or a JSON-loaded config can pass.
        maxConcurrentCandidates: "eight" as unknown as number,
        deployment: "",
      });
    expect(bad).toThrow(ShadowOptionsError);
    expect(bad).toThrow(/production\.version: a version hash is 16 lowercase hex characters/);
    expect(bad).toThrow(/sampleRate: must be a share between 0 and 1/);
    expect(bad).toThrow(/maxConcurrentCandidates: must be a number, not the text "eight"/);
    expect(bad).toThrow(/deployment: must not be empty/);
  });
});
