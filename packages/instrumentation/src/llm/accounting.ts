import { ATTR } from "@agent-canary/conventions";
import type { Attributes } from "@opentelemetry/api";
import type { CallCost } from "../cost/prices.js";
import type { AgentSession } from "../session/session.js";
import { declaredFingerprint, describeMismatch, observedFingerprint } from "../version/fingerprint.js";
import type { CallEnv } from "./env.js";
import type { LlmRequest, LlmResult } from "./types.js";

export const USAGE_UNKNOWN: CallCost = { known: false, reason: "usage_unknown" };

/** What one LLM call cost, by the model the response names (else the requested one). */
export function costOf(env: CallEnv, request: LlmRequest, result: LlmResult): CallCost {
  const model = result.responseModel ?? request.model;
  return env.safely("llm-call-cost", () => env.prices.cost(model, result.usage, request.provider), undefined) ?? USAGE_UNKNOWN;
}

/** The labels of a call's metrics: the session's inside one, the instrumentation's outside. */
export function versionLabels(env: CallEnv, session: AgentSession | undefined): Attributes {
  return session?.metricLabels ?? env.outsideSessionLabels ?? {};
}

export function callMetricAttributes(env: CallEnv, session: AgentSession | undefined, request: LlmRequest, responseModel: string | undefined): Attributes {
  return {
    ...versionLabels(env, session),
    [ATTR.operationName]: request.operation ?? "chat",
    [ATTR.providerName]: request.provider,
    [ATTR.requestModel]: request.model,
    ...(responseModel ? { [ATTR.responseModel]: responseModel } : {}),
  };
}

/** Token usage, duration and the unpriced counter of one finished call, with a warning once per cause. */
export function recordCallMetrics(
  env: CallEnv,
  session: AgentSession | undefined,
  request: LlmRequest,
  result: LlmResult,
  cost: CallCost,
  seconds: number,
): void {
  const attrs = callMetricAttributes(env, session, request, result.responseModel);
  if (result.usage) {
    env.instruments.record("tokenUsage", result.usage.inputTokens, { ...attrs, "gen_ai.token.type": "input" });
    env.instruments.record("tokenUsage", result.usage.outputTokens, { ...attrs, "gen_ai.token.type": "output" });
  } else {
    const streamHint =
      request.api === "chat.completions" && request.stream ? " (pass stream_options: { include_usage: true } to get usage on streams)" : "";
    env.log.warnOnce(
      `usage-unknown:${request.provider}:${request.api}:${request.stream}`,
      `an ${request.provider} ${request.api} response${request.stream ? " stream" : ""} carried no token usage; its cost is recorded as unknown${streamHint}`,
    );
  }
  if (!cost.known && cost.reason === "unpriced_model") {
    const model = result.responseModel ?? request.model;
    env.instruments.record("unpricedCalls", 1, { ...versionLabels(env, session), model });
    // Once per model and refusal: a later refresh that breaks the entry differently is told again.
    env.log.warnOnce(`unpriced:${model}:${cost.refused ?? ""}`, unpricedWarning(model, request.provider, cost.refused));
  }
  env.instruments.record("operationDuration", seconds, attrs);
}

/** The one warning about an unpriced model: which model, why (no entry, or the entry refused and for what), and the fix. */
function unpricedWarning(model: string, provider: string, refused: string | undefined): string {
  const cause = refused === undefined
    ? `no price for model "${model}" (provider ${provider}) in the @pydantic/genai-prices dataset:`
    : `no price for model "${model}" (provider ${provider}): its @pydantic/genai-prices entry is refused (${refused}), so`;
  const update = refused === undefined ? "or update @pydantic/genai-prices" : "or fix the data given to updatePrices()";
  return `${cause} its calls' cost is unknown (not $0) and sessions using it are left out of the cost histogram; add it with the "prices" option, e.g. prices: { "${model}": { input: 2.5, output: 10 } } (USD per 1M tokens), ${update}`;
}

/** Span attributes of a finished call's usage and cost. */
export function resultAttributes(result: LlmResult, cost: CallCost): Attributes {
  const { usage } = result;
  return {
    ...(result.responseModel ? { [ATTR.responseModel]: result.responseModel } : {}),
    ...(result.responseId ? { "gen_ai.response.id": result.responseId } : {}),
    "gen_ai.response.finish_reasons": result.finishReasons,
    ...(usage ? { [ATTR.inputTokens]: usage.inputTokens, [ATTR.outputTokens]: usage.outputTokens } : { "agent_canary.usage.unknown": true }),
    ...(usage && usage.cachedInputTokens > 0 ? { "gen_ai.usage.cache_read.input_tokens": usage.cachedInputTokens } : {}),
    ...(cost.known ? { [ATTR.costUsd]: cost.usd } : cost.reason === "unpriced_model" ? { "agent_canary.cost.unknown": "unpriced_model" } : {}),
    ...(result.toolCalls.length > 0 ? { "agent_canary.tool_calls": result.toolCalls.map((c) => c.name) } : {}),
  };
}

/**
 * Compares what the request sent with the session's declared version; a
 * difference is counted and warned about once per observed version, naming
 * each differing field with both values. Returns the span attributes.
 */
export function checkVersion(env: CallEnv, session: AgentSession, request: LlmRequest): Attributes {
  const observed = observedFingerprint(request, session.version);
  const mismatch = observed !== declaredFingerprint(session.version);
  if (mismatch) {
    env.instruments.record("versionMismatches", 1, session.metricLabels);
    const key = `mismatch:${session.versionHash}:${observed}`;
    // Describing the difference walks both versions: only for a warning not yet given.
    if (firstTime(env.log, key)) {
      env.log.warnOnce(
        key,
        `an LLM call in a ${session.group} session declared as version ${session.versionHash} sent a different version (observed ${observed}): ${describeMismatch(request, session.version).join("; ")}. Build requests from session.version so the canary comparison measures what it claims to.`,
      );
    }
  }
  return { [ATTR.observedVersionHash]: observed, [ATTR.versionMismatch]: mismatch };
}

/** Mismatch keys already described, per logger; bounded as the logger's own keys are. */
const described = new WeakMap<object, Set<string>>();
const MAX_DESCRIBED = 1_000;

function firstTime(log: object, key: string): boolean {
  let keys = described.get(log);
  if (!keys) described.set(log, (keys = new Set()));
  if (keys.has(key) || keys.size >= MAX_DESCRIBED) return false;
  keys.add(key);
  return true;
}
