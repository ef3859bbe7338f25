import { ATTR, versionHash, type VersionSpec } from "@agent-canary/conventions";
import { type AgentSession, guardErrorOf } from "@agent-canary/instrumentation";
import type { SpanProcessor } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLlmStandIn } from "./llm-stand-in.js";
import { agentScript, lookupOrder, type Mode, NORMAL_USAGE, stackHarness, type StackHarness } from "./stack-harness.js";

/** One agent stack as the contract test drives it. */
export interface StackCase {
  name: string;
  version: VersionSpec;
  /** gen_ai.provider.name of its calls. */
  provider: string;
  /** USD of one call with NORMAL_USAGE at the model's list price. */
  callUsd: number;
  /** Input tokens one such call reports (providers that bill cache reads apart add them). */
  inputTokens?: number;
  /** Makes the clients against the stand-in (HTTP/1.1 `url`, cleartext HTTP/2 `h2cUrl`); called once. */
  setup(standIn: { url: string; h2cUrl: string }): void | Promise<void>;
  /** The agent: a tool loop to the model's final answer, tools run through `runTool`. */
  run(s: AgentSession, runTool: (args: unknown) => Promise<unknown>): Promise<string>;
  spanProcessors?: SpanProcessor[];
}

/**
 * What every stack must show with agent-canary: a healthy session's turns,
 * tokens, cost and tool calls on its spans and on /metrics, with the version
 * hash and group; a loop and a budget trip that stop the agent, catchable
 * with guardErrorOf().
 */
export function describeStack(c: StackCase): void {
  describe(c.name, () => {
    let mode: Mode = "normal";
    let standIn: Awaited<ReturnType<typeof startLlmStandIn>>;
    let h: StackHarness;
    const toolRuns = { n: 0 };
    const hash = versionHash(c.version);
    const inputTokens = c.inputTokens ?? NORMAL_USAGE.input;

    beforeAll(async () => {
      standIn = await startLlmStandIn(agentScript(() => mode));
      h = await stackHarness(c.version, c.spanProcessors ? { spanProcessors: c.spanProcessors } : {});
      await c.setup(standIn);
    });
    afterAll(async () => {
      await h.close();
      await standIn.close();
    });

    const session = (id: string) =>
      h.runtime.session({ id }, async (s) => {
        const text = await c.run(s, lookupOrder(toolRuns));
        return { text, turns: s.turns, cost: s.cost };
      });

    it("records turns, tokens, cost and tool calls, on spans with hash and group and on /metrics", async () => {
      mode = "normal";
      const result = await session(`${c.name}-ok`);
      expect(result.text).toBe("Your order A1 has shipped.");
      expect(result.turns).toBe(2);
      expect(result.cost).toBeCloseTo(2 * c.callUsd, 12);
      const calls = h.finished().filter((s) => s.attributes["agent_canary.llm.api"] !== undefined);
      expect(calls).toHaveLength(2);
      for (const span of calls) {
        expect(span.attributes).toMatchObject({
          [ATTR.versionHash]: hash,
          [ATTR.versionGroup]: "baseline",
          [ATTR.providerName]: c.provider,
          [ATTR.requestModel]: c.version.model,
          [ATTR.inputTokens]: inputTokens,
          [ATTR.outputTokens]: NORMAL_USAGE.output,
          [ATTR.versionMismatch]: false,
        });
      }
      expect(calls[0]?.attributes["agent_canary.tool_calls"]).toEqual(["lookup_order"]);
      expect(h.warnings.filter((w) => w.includes("sent a different version"))).toEqual([]);
      expect(await h.metric("agent_canary_sessions_total", { outcome: "completed", version_hash: hash, version_group: "baseline" })).toBe(1);
      expect(await h.metric("agent_canary_tool_calls_total", { tool: "lookup_order", version_hash: hash })).toBe(1);
      expect(await h.metric("gen_ai_client_token_usage_sum", { gen_ai_token_type: "input", version_hash: hash })).toBe(2 * inputTokens);
      expect(await h.metric("agent_canary_session_cost_sum", { version_hash: hash })).toBeCloseTo(2 * c.callUsd, 12);
      expect(await h.metric("agent_canary_session_turns_sum", { version_hash: hash })).toBe(2);
    });

    it("stops a tool loop with the loop guard", async () => {
      mode = "loop";
      toolRuns.n = 0;
      const error = await session(`${c.name}-loop`).catch((e: unknown) => e);
      expect(guardErrorOf(error)?.outcome).toBe("loop_detected");
      // The third identical request trips before its tool runs.
      expect(toolRuns.n).toBe(2);
      expect(await h.metric("agent_canary_sessions_total", { outcome: "loop_detected", version_hash: hash })).toBe(1);
      expect(await h.metric("agent_canary_loop_trips_total", { version_hash: hash })).toBe(1);
    });

    it("stops on the budget guard before running the next tool", async () => {
      mode = "budget";
      toolRuns.n = 0;
      const error = await session(`${c.name}-budget`).catch((e: unknown) => e);
      expect(guardErrorOf(error)?.outcome).toBe("budget_exceeded");
      expect(toolRuns.n).toBe(0);
      expect(await h.metric("agent_canary_sessions_total", { outcome: "budget_exceeded", version_hash: hash })).toBe(1);
    });
  });
}
