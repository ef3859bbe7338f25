import type { Obj } from "../../llm/fields.js";
import { recordModelCall } from "./record.js";
import { aiSdkRequest } from "./request.js";

interface ModelRef {
  readonly provider: string;
  readonly modelId: string;
}

/**
 * The slice of the AI SDK's LanguageModelMiddleware this uses; structurally a middleware of ai 5, 6 and 7.
 * Generic in the call's result so it passes the SDK's own result type through: `wrapLanguageModel`
 * expects `wrapGenerate` to resolve to its generate-result type, which `unknown` would not satisfy,
 * and importing that type from `ai` would make `ai` a required dependency of every user.
 */
export interface AgentCanaryLanguageModelMiddleware {
  wrapGenerate<Result>(options: { doGenerate: () => PromiseLike<Result>; params: object; model: ModelRef }): Promise<Result>;
  wrapStream<Result>(options: { doStream: () => PromiseLike<Result>; params: object; model: ModelRef }): Promise<Result>;
}

/**
 * Language-model middleware that records every call of the wrapped model in
 * the current session: turns, tokens, cost, tool calls with their arguments
 * (into the loop detector), and guard trips that stop the step loop.
 *
 *   const model = wrapLanguageModel({ model: openai("gpt-4o-mini"), middleware: agentCanaryMiddleware() });
 *
 * Needed on ai 5 and 6; on ai 7 agent-canary registers an AI SDK telemetry
 * integration instead and no wrapping is needed (both together count a call once).
 */
export function agentCanaryMiddleware(): AgentCanaryLanguageModelMiddleware {
  return {
    wrapGenerate: ({ doGenerate, params, model }) => recordModelCall(aiSdkRequest(model, params as Obj, false), doGenerate),
    wrapStream: ({ doStream, params, model }) => recordModelCall(aiSdkRequest(model, params as Obj, true), doStream),
  };
}
