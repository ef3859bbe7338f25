import { AgentCanaryGuardError } from "../guards/errors.js";
import { costOf, recordCallMetrics } from "../llm/accounting.js";
import type { AgentSession } from "../session/session.js";
import type { SpanCall } from "./genai-span.js";

/**
 * Feeds a model call read from a foreign span into its session: a turn, its
 * tokens, cost and tool calls, the guards. A span ends after the call, so a
 * guard cannot stop the call itself; a trip ends the session and its next LLM
 * or tool call throws it (first-class integrations stop the call in place).
 */
export function recordSpanCall(session: AgentSession, call: SpanCall): void {
  const env = session.services;
  const cost = costOf(env, call.request, call.result);
  env.safely("span-call-metrics", () => recordCallMetrics(env, session, call.request, call.result, cost, call.seconds), undefined);
  const guarded = (component: string, step: () => void) => {
    try {
      step();
    } catch (error) {
      if (!(error instanceof AgentCanaryGuardError)) env.safely.report(component, error);
    }
  };
  guarded("span-call-turn", () => session.beginTurn());
  guarded("span-call-turn", () => session.endTurn(cost, call.result.toolCalls));
}
