import { ATTR } from "@agent-canary/conventions";
import { type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { activeContext } from "../session/context.js";
import type { AgentSession } from "../session/session.js";
import { insideRecordedCall, noteRecordedResponse, runRecording, supersedeChain } from "../spans/registry.js";
import { checkVersion, costOf, recordCallMetrics, resultAttributes, USAGE_UNKNOWN, callMetricAttributes } from "./accounting.js";
import type { CallEnv } from "./env.js";
import type { LlmRequest, LlmResult } from "./types.js";

export type { CallEnv } from "./env.js";

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
    const operation = request.operation ?? "chat";
    const active = activeContext();
    // A foreign span around this call (instrumentation-openai, the AI SDK's model-call span) is the same call.
    supersedeChain(trace.getSpan(active));
    this.span = env.tracer.startSpan(
      // GenAI semconv span name: `{operation} {model}` ("chat gpt-4o", "generate_content gemini-2.5-flash").
      `${operation} ${request.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          ...session?.spanAttributes(),
          [ATTR.operationName]: operation,
          [ATTR.providerName]: request.provider,
          [ATTR.requestModel]: request.model,
          "agent_canary.llm.api": request.api,
          "agent_canary.llm.stream": request.stream,
          ...(turn === undefined ? {} : { [ATTR.turn]: turn }),
        },
      },
      session?.traceContext ?? active,
    );
    if (session) this.span.setAttributes(checkVersion(env, session, request));
  }

  /**
   * Starts recording a call. Guard errors (a session already ended, max turns)
   * are thrown on purpose; any other failure here returns undefined and the
   * call goes on unrecorded. Inside a call agent-canary already records (its
   * AI SDK integration around a patched SDK), returns undefined: one call, counted once.
   */
  static begin(env: CallEnv, session: AgentSession | undefined, request: LlmRequest): LlmCall | undefined {
    if (insideRecordedCall()) return undefined;
    const turn = session?.beginTurn();
    return env.safely("llm-call-start", () => new LlmCall(env, session, request, turn), undefined);
  }

  /** Runs the SDK's own work for this call: its HTTP spans nest under the call's span, nested layers see it recorded. */
  run<T>(fn: () => T): T {
    return runRecording(this, trace.setSpan(activeContext(), this.span), fn);
  }

  /** For layers that learn only from the response that the call streamed. */
  markStreamed(): void {
    this.env.safely("llm-call-stream", () => this.span.setAttribute("agent_canary.llm.stream", true), undefined);
  }

  /** Records a successful call; in enforce mode a guard tripped by it throws here. */
  succeed(result: LlmResult): void {
    if (this.ended) return;
    this.ended = true;
    const cost = costOf(this.env, this.request, result);
    noteRecordedResponse(result.responseId);
    // Span and metrics apart: a failing meter must not leave the span open, nor the other way round.
    this.env.safely(
      "llm-call-end",
      () => {
        this.span.setAttributes(resultAttributes(result, cost));
        this.span.end();
      },
      undefined,
    );
    this.env.safely("llm-call-metrics", () => recordCallMetrics(this.env, this.session, this.request, result, cost, this.seconds()), undefined);
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
      () =>
        this.env.instruments.record("operationDuration", this.seconds(), {
          ...callMetricAttributes(this.env, this.session, this.request, undefined),
          "error.type": type,
        }),
      undefined,
    );
    this.session?.endTurn(billed ? USAGE_UNKNOWN : { known: true, usd: 0 }, []);
  }

  private seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }
}
