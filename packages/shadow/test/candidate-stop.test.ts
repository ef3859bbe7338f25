import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { CandidateStoppedError, createShadow, PARK_AFTER_REFUSALS, type AgentFn, type Toolset } from "../src/index.js";
import { gate } from "./support/gate.js";

const PRODUCTION = "aaaaaaaaaaaaaaaa";
const CANDIDATE = "bbbbbbbbbbbbbbbb";
const quiet = { info: () => undefined, warn: () => undefined };

/** Resolves after `emitter` has emitted `event` `count` times (counting from now). */
function times(emitter: NodeJS.EventEmitter, event: string, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const listener = () => {
      if (++seen < count) return;
      emitter.off(event, listener);
      resolve();
    };
    emitter.on(event, listener);
  });
}

describe("a candidate past its timeout", () => {
  it("gets no tool executed after its abort, and live candidate runs never exceed the cap", async () => {
    const executions: { aborted: boolean }[] = [];
    const tools: Toolset = {
      lookup_order: {
        kind: "read",
        execute: (_args, signal) => (executions.push({ aborted: signal.aborted }), { status: "delivered" }),
      },
    };
    let model = gate(); // a model call that ignores the signal: it answers when the test says so
    let live = 0;
    let peakLive = 0;
    const refusals: unknown[] = [];
    // A sloppy agent: ignores ctx.signal, swallows every error and keeps calling tools.
    const stubborn: AgentFn<string> = async (_input, ctx) => {
      live += 1;
      peakLive = Math.max(peakLive, live);
      try {
        for (let i = 0; i < 25; i++) {
          try {
            await ctx.callTool("lookup_order", { orderId: `A-${i}` });
          } catch (error) {
            refusals.push(error);
          }
          await model.opened;
        }
        return "done at last";
      } finally {
        live -= 1;
      }
    };
    const shadow = createShadow({
      production: { run: async () => "production answer", version: PRODUCTION },
      candidate: { run: stubborn, version: CANDIDATE },
      tools,
      maxConcurrentCandidates: 2,
      candidateTimeoutMs: 20,
      logger: quiet,
    });
    const outcomes: string[] = [];
    shadow.on("comparison", (c) => outcomes.push(c.candidate.outcome));
    let dropped = 0;
    shadow.on("dropped", () => dropped++);
    const burst = (wave: string) => Promise.all(Array.from({ length: 10 }, (_, i) => shadow.run(`${wave}-${i}`, { requestId: `${wave}-${i}` })));

    // Wave 1: two candidates start, read once, then wait on their model past the timeout.
    let timedOut = times(shadow, "candidate_finished", 2);
    await burst("w1");
    await timedOut;
    // Wave 2: the timed-out runs have not ended, so they still hold both slots.
    await burst("w2");
    expect(shadow.stats.liveCandidates).toBe(2);

    // The model answers late; the agents go on calling tools, and every call is refused.
    let stopped = times(shadow, "candidate_stopped", 2);
    model.open();
    await stopped;
    expect(shadow.stats.liveCandidates).toBe(0);

    // Wave 3: slots are free again; the same story.
    model = gate();
    timedOut = times(shadow, "candidate_finished", 2);
    await burst("w3");
    await timedOut;
    stopped = times(shadow, "candidate_stopped", 2);
    model.open();
    await stopped;
    await shadow.close();

    expect(outcomes).toEqual(["timeout", "timeout", "timeout", "timeout"]);
    expect(dropped).toBe(8 + 10 + 8);
    expect(peakLive).toBe(2);
    // One read per run before its timeout; none after: the 24 later calls of each run were refused.
    expect(executions).toEqual(Array.from({ length: 4 }, () => ({ aborted: false })));
    expect(refusals).toHaveLength(4 * 24);
    expect(refusals.every((e) => e instanceof CandidateStoppedError)).toBe(true);
    expect(String(refusals[0])).toContain('tool call "lookup_order" refused and not executed: this candidate run was stopped (candidate did not answer within 20 ms');
    expect(shadow.stats.abandoned).toBe(0);
  });

  it("abandons a run whose code never returns after candidateAbandonAfterMs, counts it and only then frees its slot", async () => {
    const warnings: string[] = [];
    const shadow = createShadow({
      production: { run: async () => "p", version: PRODUCTION },
      candidate: { run: () => new Promise<string>(() => undefined), version: CANDIDATE },
      maxConcurrentCandidates: 1,
      candidateTimeoutMs: 10,
      candidateAbandonAfterMs: 30,
      logger: { info: () => undefined, warn: (message) => warnings.push(message) },
    });
    const events: string[] = [];
    shadow.on("candidate_finished", ({ id, run }) => events.push(`${id} ${run.outcome}`));
    shadow.on("dropped", ({ id }) => events.push(`${id} dropped`));
    shadow.on("candidate_stopped", ({ id, how }) => events.push(`${id} ${how}`));

    const timedOut = once(shadow, "candidate_finished");
    const abandoned = once(shadow, "candidate_stopped");
    await shadow.run("x", { requestId: "r1" });
    await timedOut;
    await shadow.run("x", { requestId: "r2" }); // the slot is still held by r1's pending code
    await abandoned;
    const r3 = once(shadow, "candidate_finished");
    await shadow.run("x", { requestId: "r3" });
    await r3;
    await shadow.close();

    expect(events.slice(0, 4)).toEqual(["r1 timeout", "r2 dropped", "r1 abandoned", "r3 timeout"]);
    expect(shadow.stats.abandoned).toBe(2);
    expect(warnings).toContain("candidate ignored its aborted signal and was abandoned; its tools refuse, its slot is free");
  });

  it("parks an agent that retries refused calls forever, so it cannot starve production", async () => {
    let afterAbort = 0;
    let refusals = 0;
    const hundredRefusals = gate();
    const shadow = createShadow({
      production: { run: async () => new Promise<string>((resolve) => setImmediate(() => resolve("p"))), version: PRODUCTION },
      candidate: {
        run: async (_input, ctx) => {
          for (;;) {
            try {
              await ctx.callTool("lookup_order", {});
            } catch {
              // swallowed: this agent never gives up
              if (++refusals === PARK_AFTER_REFUSALS) hundredRefusals.open();
            }
          }
        },
        version: CANDIDATE,
      },
      tools: {
        lookup_order: {
          kind: "read",
          execute: (_args, signal) => {
            if (signal.aborted) afterAbort++;
            return new Promise((resolve) => setImmediate(() => resolve({ status: "delivered" })));
          },
        },
      },
      candidateTimeoutMs: 10,
      candidateAbandonAfterMs: 600_000,
      maxConcurrentCandidates: 1,
      logger: quiet,
    });
    await shadow.run("x", { requestId: "loop" });
    await hundredRefusals.opened;
    // Production keeps answering (each answer needs a turn of the event loop), and the loop is parked:
    // the call under way at the timeout, then PARK_AFTER_REFUSALS refusals, then a call that never settles.
    for (let i = 0; i < 20; i++) expect(await shadow.run("y")).toBe("p");
    expect(refusals).toBe(1 + PARK_AFTER_REFUSALS);
    expect(await shadow.close({ timeoutMs: 10 })).toMatchObject({ timedOut: true, abandoned: 1 });
    expect(afterAbort).toBe(0);
  });

  it("refuses tool calls a candidate makes after it has answered", async () => {
    let executed = 0;
    let late: Promise<unknown> | undefined;
    const shadow = createShadow({
      production: { run: async () => "p", version: PRODUCTION },
      candidate: {
        run: async (_input, ctx) => {
          // Fire-and-forget work left behind by the agent: it must not reach the tool.
          late = Promise.resolve().then(() => new Promise((resolve) => setImmediate(resolve))).then(() => ctx.callTool("lookup_order", {}));
          return "c";
        },
        version: CANDIDATE,
      },
      tools: { lookup_order: { kind: "read", execute: () => executed++ } },
      logger: quiet,
    });
    await shadow.run("x");
    await shadow.close();
    await expect(late).rejects.toThrow("this candidate run was stopped (the run had already returned its answer)");
    expect(executed).toBe(0);
  });
});
