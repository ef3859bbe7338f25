import { ATTR, SPAN_NAMES } from "@agent-canary/conventions";
import { type Attributes, context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import type { CallCost, PriceBook } from "../cost/prices.js";
import type { AgentSession } from "../session/session.js";
import type { OnceLogger } from "../telemetry/logger.js";
import type { Instruments } from "../telemetry/metrics.js";
import type { Safely } from "../telemetry/safely.js";
import { declaredFingerprint, describeMismatch, observedFingerprint } from "../version/fingerprint.js";
import type { LlmRequest, LlmResult } from "./types.js";

const USAGE_UNKNOWN: CallCost = { known: false, reason: "usage_unknown" };

/** What recording a call needs: the session's services inside a session, the instrumentation's own outside. */
export interface CallEnv {
  readonly tracer: Tracer;
  readonly instruments: Instruments;
  readonly prices: PriceBook;
  readonly log: OnceLogger;
  readonly safely: Safely;
  /** Labels for calls outside a session (a session's own labels apply inside one). */
  readonly outsideSessionLabels?: Attributes;
}

/**
 * One LLM call: a GenAI `chat` span, token and duration metrics, its cost, and
 * (inside a session) a turn that feeds the guards.
 */
export class LlmCall {
  private readonly span: Span;
  private readonly startedAt = performance.now();
  private ended = false;

  private constructor(
    private readonly env: CallEnv,
    private readonly session: AgentSession | undefined,
    private readonly request: LlmRequest,
    turn: number | undefined,
  ) {
    const parent = session?.traceContext ?? context.active();
    this.span = env.tracer.startSpan(
      `${SPAN_NAMES.chat} ${request.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          ...session?.spanAttributes(),
          [ATTR.operationName]: "chat",
          [ATTR.providerName]: request.provider,
          [ATTR.requestModel]: request.model,
          "agent_canary.llm.api": request.api,
          "agent_canary.llm.stream": request.stream,
          ...(turn === undefined ? {} : { [ATTR.turn]: turn }),
        },
      },
      parent,
    );
    if (session) this.checkVersion(session);
  }

  /**
   * Starts recording a call. Guard errors (a session already ended, max turns)
   * are thrown on purpose; any other failure here returns undefined and the
   * call goes on unrecorded.
   */
  static begin(env: CallEnv, session: AgentSession | undefined, request: LlmRequest): LlmCall | undefined {
    const turn = session?.beginTurn();
    return env.safely("llm-call-start", () => new LlmCall(env, session, request, turn), undefined);
  }

  /** The context the SDK's own HTTP spans should nest under. */
  get traceContext() {
    return trace.setSpan(context.active(), this.span);
  }

  /** Records a successful call; in enforce mode a guard tripped by it throws here. */
  succeed(result: LlmResult): void {
    if (this.ended) return;
    this.ended = true;
    const model = result.responseModel ?? this.request.model;
    const cost = this.env.safely("llm-call-cost", () => this.env.prices.cost(model, result.usage), undefined) ?? USAGE_UNKNOWN;
    // Span and metrics apart: a failing meter must not leave the span open, nor the other way round.
    this.env.safely("llm-call-end", () => this.endSpan(result, cost), undefined);
    this.env.safely("llm-call-metrics", () => this.recordMetrics(result, model, cost), undefined);
    // Outside safely(): a guard trip must reach the agent.
    this.session?.endTurn(cost, result.toolCalls);
  }

  /**
   * Records a failed call. `billed: false` (the API answered with an error, or
   * the request never left) costs nothing, as providers do not bill errors; a
   * stream that broke mid-way was partly billed, so its cost is unknown.
   */
  fail(error: unknown, billed: boolean): void {
    if (this.ended) return;
    this.ended = true;
    const type = error instanceof Error ? error.constructor.name : "Error";
    this.env.safely(
      "llm-call-error",
      () => {
        this.span.recordException(error instanceof Error ? error : String(error));
        this.span.setAttribute("error.type", type);
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        this.span.end();
      },
      undefined,
    );
    this.env.safely(
      "llm-call-metrics",
      () => this.env.instruments.record("operationDuration", this.seconds(), { ...this.metricAttributes(undefined), "error.type": type }),
      undefined,
    );
    this.session?.endTurn(billed ? USAGE_UNKNOWN : { known: true, usd: 0 }, []);
  }

  private endSpan(result: LlmResult, cost: CallCost): void {
    const { usage } = result;
    this.span.setAttributes({
      ...(result.responseModel ? { [ATTR.responseModel]: result.responseModel } : {}),
      ...(result.responseId ? { "gen_ai.response.id": result.responseId } : {}),
      "gen_ai.response.finish_reasons": result.finishReasons,
      ...(usage ? { [ATTR.inputTokens]: usage.inputTokens, [ATTR.outputTokens]: usage.outputTokens } : { "agent_canary.usage.unknown": true }),
      ...(usage && usage.cachedInputTokens > 0 ? { "gen_ai.usage.cache_read.input_tokens": usage.cachedInputTokens } : {}),
      ...(cost.known ? { [ATTR.costUsd]: cost.usd } : cost.reason === "unpriced_model" ? { "agent_canary.cost.unknown": "unpriced_model" } : {}),
      ...(result.toolCalls.length > 0 ? { "agent_canary.tool_calls": result.toolCalls.map((c) => c.name) } : {}),
    });
    this.span.end();
  }

  private recordMetrics(result: LlmResult, model: string, cost: CallCost): void {
    const attrs = this.metricAttributes(result.responseModel);
    if (result.usage) {
      this.env.instruments.record("tokenUsage", result.usage.inputTokens, { ...attrs, "gen_ai.token.type": "input" });
      this.env.instruments.record("tokenUsage", result.usage.outputTokens, { ...attrs, "gen_ai.token.type": "output" });
    } else {
      this.env.log.warnOnce(
        `usage-unknown:${this.request.api}:${this.request.stream}`,
        `an ${this.request.provider} ${this.request.api} response${this.request.stream ? " stream" : ""} carried no token usage; its cost is recorded as unknown${this.request.api === "chat.completions" && this.request.stream ? ' (pass stream_options: { include_usage: true } to get usage on streams)' : ""}`,
      );
    }
    if (!cost.known && cost.reason === "unpriced_model") {
      this.env.instruments.record("unpricedCalls", 1, { ...this.versionLabels(), model });
      this.env.log.warnOnce(
        `unpriced:${model}`,
        `no price for model "${model}": its calls' cost is unknown (not $0) and sessions using it are left out of the cost histogram; add it with the "prices" option, e.g. prices: { "${model}": { input: 2.5, output: 10 } } (USD per 1M tokens)`,
      );
    }
    this.env.instruments.record("operationDuration", this.seconds(), attrs);
  }

  private checkVersion(session: AgentSession): void {
    const observed = observedFingerprint(this.request, session.version);
    const expected = declaredFingerprint(session.version);
    this.span.setAttribute(ATTR.observedVersionHash, observed);
    const mismatch = observed !== expected;
    this.span.setAttribute(ATTR.versionMismatch, mismatch);
    if (!mismatch) return;
    this.env.instruments.record("versionMismatches", 1, session.metricLabels);
    this.env.log.warnOnce(
      `mismatch:${session.versionHash}:${observed}`,
      `an LLM call in a ${session.group} session declared as version ${session.versionHash} sent a different version (observed ${observed}): ${describeMismatch(this.request, session.version).join(", ")} differ. Build requests from session.version so the canary comparison measures what it claims to.`,
    );
  }

  private versionLabels(): Attributes {
    return this.session?.metricLabels ?? this.env.outsideSessionLabels ?? {};
  }

  private metricAttributes(responseModel: string | undefined): Attributes {
    return {
      ...this.versionLabels(),
      [ATTR.operationName]: "chat",
      [ATTR.providerName]: this.request.provider,
      [ATTR.requestModel]: this.request.model,
      ...(responseModel ? { [ATTR.responseModel]: responseModel } : {}),
    };
  }

  private seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }
}
