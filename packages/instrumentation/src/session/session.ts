import { ATTR, type ParsedVersionSpec, SPAN_NAMES, type SessionOutcome, type VersionGroup } from "@agent-canary/conventions";
import { type Attributes, type Context, context, INVALID_SPAN_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { CallCost } from "../cost/prices.js";
import {
  AgentCanaryGuardError,
  BudgetExceededError,
  DrainTimeoutError,
  LoopDetectedError,
  type LoopMatch,
  MaxTurnsError,
} from "../guards/errors.js";
import { callSignature, LoopDetector } from "../guards/loop-detector.js";
import type { Pin } from "../routing/pin-table.js";
import type { Assignment } from "../routing/router.js";
import type { SessionServices } from "./services.js";

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SessionInit {
  /** Stable id of the conversation or task; routing and pinning key on it. */
  id: string;
  /** Tenant for per-tenant overrides (always / never canary). */
  tenant?: string | undefined;
}

/** A tool call the model asked for. */
export interface RequestedToolCall {
  name: string;
  arguments: unknown;
  id?: string | undefined;
}

/**
 * One agent session: its routing group and version, guards, cost and turn
 * counts, and the `invoke_agent` span every LLM and tool span hangs from.
 */
export class AgentSession {
  readonly id: string;
  readonly tenant: string | undefined;
  readonly group: VersionGroup;
  readonly versionHash: string;
  /** The version this session must run: use its model, system prompt, tools and params. */
  readonly version: ParsedVersionSpec;

  /** Created on first use (reading `signal` or a drain timeout): most sessions never need one. */
  private controller: AbortController | undefined;
  private readonly pin: Pin;
  private readonly span: Span;
  private readonly spanContext: Context;
  private readonly startedAt = performance.now();
  /** Created on the first tool call fed to it. */
  private loopDetector: LoopDetector | undefined;
  /**
   * Signatures the model requested and the agent has not yet run through tool():
   * nothing, one signature pending once (the common case, no Map), or a count per signature.
   */
  private pendingToolCalls: string | Map<string, number> | undefined;
  private turnCount = 0;
  private costUsd = 0;
  private costComplete = true;
  private loopTrips = 0;
  private safetyViolations = 0;
  private explicitOutcome: "completed" | "failed" | undefined;
  private endedBy: AgentCanaryGuardError | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private drainDeadline: number | undefined;
  private finished = false;

  constructor(
    init: SessionInit,
    assignment: Assignment,
    /** @internal The runtime services this session records through. */
    readonly services: SessionServices,
  ) {
    this.id = init.id;
    this.tenant = init.tenant;
    this.group = assignment.group;
    this.versionHash = assignment.version.hash;
    this.version = assignment.version.spec;
    this.pin = assignment.pin;
    this.span = services.safely("session-span", () => this.startSpan(init, assignment), trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
    this.spanContext = trace.setSpan(context.active(), this.span);
  }

  /** Aborted when the session is ended from outside (drain timeout after a rollback). */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  private startSpan(init: SessionInit, assignment: Assignment): Span {
    const { services } = this;
    return services.tracer.startSpan(
      `${SPAN_NAMES.invokeAgent} ${services.agentName}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          ...this.spanAttributes(),
          [ATTR.operationName]: "invoke_agent",
          [ATTR.agentName]: services.agentName,
          [ATTR.agentVersion]: this.versionHash,
          [ATTR.conversationId]: this.id,
          ...(init.tenant === undefined ? {} : { [ATTR.tenant]: init.tenant }),
          "agent_canary.session.resumed": assignment.resumed,
          ...(assignment.failure ? { "agent_canary.routing.failure": assignment.failure } : {}),
        },
      },
      context.active(),
    );
  }

  /** Labels every session metric carries: low cardinality only. */
  get metricLabels(): Attributes {
    return { deployment: this.services.deployment, version_group: this.group, version_hash: this.versionHash };
  }

  /** Attributes every span of this session carries. */
  spanAttributes(): Attributes {
    return {
      [ATTR.deployment]: this.services.deployment,
      [ATTR.versionGroup]: this.group,
      [ATTR.versionHash]: this.versionHash,
      [ATTR.sessionId]: this.id,
    };
  }

  /** The context to start child spans in. */
  get traceContext(): Context {
    return this.spanContext;
  }

  get turns(): number {
    return this.turnCount;
  }

  /** USD spent so far, or undefined when a call's cost is unknown (unpriced model or missing usage). */
  get cost(): number | undefined {
    return this.costComplete ? this.costUsd : undefined;
  }

  /** Whether a capability flag is on for this session; decided once per session and pinned. */
  capability(name: string): boolean {
    return this.services.safely("capability", () => this.services.router.capability(this.id, this.pin, name), false);
  }

  /** Mark the task as done (the default when the session function returns). */
  complete(): void {
    this.explicitOutcome = "completed";
  }

  /** Mark the task as not done: the session ends with outcome `failed` even if the function returns. */
  fail(): void {
    this.explicitOutcome = "failed";
  }

  /** Record a judge's quality score in 0..1 for this session. */
  recordQualityScore(score: number): void {
    if (!Number.isFinite(score) || score < 0 || score > 1) {
      throw new RangeError(`recordQualityScore expects a number in 0..1, got ${score}`);
    }
    this.services.safely(
      "quality-score",
      () => {
        this.services.instruments.record("qualityScore", score, this.metricLabels);
        this.services.instruments.record("qualityScoreSquared", score * score, this.metricLabels);
        this.span.addEvent("agent_canary.quality_score", { "agent_canary.quality.score": score });
      },
      undefined,
    );
  }

  /** Record a safety violation; `category` must be a small fixed set (it becomes a label). */
  recordSafetyViolation(category: string): void {
    this.safetyViolations++;
    this.services.safely(
      "safety-violation",
      () => {
        this.services.instruments.record("safetyViolations", 1, { ...this.metricLabels, category });
        this.span.addEvent("agent_canary.safety_violation", { "agent_canary.safety.category": category });
      },
      undefined,
    );
  }

  /**
   * Runs a tool inside an `execute_tool` span. The call feeds the loop detector
   * unless the model's response already did (auto-instrumented SDK calls).
   */
  async tool<T>(name: string, args: unknown, run: () => Promise<T> | T, options: { callId?: string } = {}): Promise<T> {
    this.throwIfEnded();
    const signature = callSignature(name, args);
    if (!this.consumePending(signature)) {
      this.countToolCall(name);
      this.feedLoopDetector(signature);
    }
    const span = this.services.safely("tool-span", () => this.startToolSpan(name, options.callId), trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
    try {
      return await context.with(trace.setSpan(this.spanContext, span), run);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.setAttribute("error.type", error instanceof Error ? error.name : "Error");
      throw error;
    } finally {
      span.end();
    }
  }

  private startToolSpan(name: string, callId: string | undefined): Span {
    return this.services.tracer.startSpan(
      `${SPAN_NAMES.executeTool} ${name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          ...this.spanAttributes(),
          [ATTR.operationName]: "execute_tool",
          [ATTR.toolName]: name,
          ...(callId ? { [ATTR.toolCallId]: callId } : {}),
        },
      },
      this.spanContext,
    );
  }

  /** Throws the error that ended this session, if one did. Called before every LLM and tool call. */
  throwIfEnded(): void {
    if (this.endedBy) throw this.endedBy;
    const signal = this.controller?.signal;
    if (signal?.aborted && signal.reason instanceof AgentCanaryGuardError) throw signal.reason;
  }

  /** Called before an LLM call: enforces max turns and counts the turn. Returns the turn number. */
  beginTurn(): number {
    this.throwIfEnded();
    const { maxTurns } = this.services.guards;
    if (maxTurns !== undefined && this.turnCount >= maxTurns) {
      this.trip(new MaxTurnsError(this.id, maxTurns));
    }
    this.turnCount++;
    return this.turnCount;
  }

  /** Called after an LLM call: adds its cost, counts requested tool calls, runs the guards. */
  endTurn(cost: CallCost, toolCalls: readonly RequestedToolCall[]): void {
    if (cost.known) this.costUsd += cost.usd;
    else this.costComplete = false;
    for (const call of toolCalls) {
      const signature = callSignature(call.name, call.arguments);
      this.addPending(signature);
      this.countToolCall(call.name);
      this.feedLoopDetector(signature);
    }
    const { budgetUsd } = this.services.guards;
    // Only a call that spent money can cross the budget. A failed call that ends
    // after a parallel call tripped it must not trip again: its end is seen in a
    // promise handler nobody awaits, where a throw is an unhandled rejection.
    if (budgetUsd !== undefined && cost.known && cost.usd > 0 && this.costUsd > budgetUsd) {
      this.trip(new BudgetExceededError(this.id, budgetUsd, this.costUsd));
    }
  }

  /** Ends canary sessions still running at `deadline` (epoch ms); undefined cancels a pending drain. */
  setDrainDeadline(deadline: number | undefined, drainTimeoutSeconds: number): void {
    if (this.group !== "canary" || this.finished || deadline === this.drainDeadline) return;
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.drainDeadline = deadline;
    if (deadline === undefined) return;
    const end = () => {
      const error = new DrainTimeoutError(this.id, drainTimeoutSeconds);
      this.endedBy ??= error;
      this.span.addEvent("agent_canary.drain_timeout", { "agent_canary.drain_timeout_seconds": drainTimeoutSeconds });
      (this.controller ??= new AbortController()).abort(error);
    };
    // setTimeout fires at once for delays past 2^31-1 ms (about 24.8 days): a longer drain re-arms.
    const arm = () => {
      const delay = deadline - Date.now();
      if (delay <= 0) return end();
      this.drainTimer = setTimeout(arm, Math.min(delay, MAX_TIMER_MS));
      this.drainTimer.unref();
    };
    arm();
  }

  /** Records the session's end: span, outcome and the per-session metrics. */
  finish(error: unknown): SessionOutcome {
    if (this.finished) return this.outcomeFor(error);
    this.finished = true;
    clearTimeout(this.drainTimer);
    const outcome = this.outcomeFor(error);
    // Span and metrics apart: a failing meter must not leave the span open, nor the other way round.
    this.services.safely("session-end", () => this.endSpan(outcome, error), undefined);
    this.services.safely("session-metrics", () => this.recordEndMetrics(outcome), undefined);
    return outcome;
  }

  private outcomeFor(error: unknown): SessionOutcome {
    if (this.endedBy) return this.endedBy.outcome;
    if (error instanceof AgentCanaryGuardError) return error.outcome;
    if (error !== undefined) return "error";
    return this.explicitOutcome ?? "completed";
  }

  private recordEndMetrics(outcome: SessionOutcome): void {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const labels = this.metricLabels;
    const m = this.services.instruments;
    m.record("sessions", 1, { ...labels, outcome });
    m.record("activeSessions", -1, labels);
    // A session with any call of unknown cost is left out of the cost histogram:
    // its _count is then the number of sessions whose cost is fully known, so the
    // mean stays honest instead of counting an unknown as $0.
    if (this.costComplete) {
      m.record("sessionCost", this.costUsd, labels);
      m.record("sessionCostSquared", this.costUsd * this.costUsd, labels);
    }
    m.record("sessionTurns", this.turnCount, labels);
    m.record("sessionTurnsSquared", this.turnCount * this.turnCount, labels);
    m.record("sessionDuration", seconds, { ...labels, outcome });
    m.record("sessionDurationSquared", seconds * seconds, labels);
    if (this.loopTrips > 0) m.record("loopingSessions", 1, labels);
    if (this.safetyViolations > 0) m.record("unsafeSessions", 1, labels);
  }

  private endSpan(outcome: SessionOutcome, error: unknown): void {
    this.span.setAttributes({
      [ATTR.outcome]: outcome,
      [ATTR.turn]: this.turnCount,
      "agent_canary.cost.complete": this.costComplete,
      ...(this.costComplete ? { [ATTR.costUsd]: this.costUsd } : {}),
    });
    if (outcome === "error") {
      const e = error instanceof Error ? error : new Error(String(error));
      this.span.recordException(e);
      this.span.setAttribute("error.type", e.name);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
    } else if (outcome !== "completed" && outcome !== "failed") {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    }
    this.span.end();
  }

  /** Outside safely() only guard errors may reach the agent, so a failing meter is caught here. */
  private countToolCall(name: string): void {
    this.services.safely("tool-count", () => this.services.instruments.record("toolCalls", 1, { ...this.metricLabels, tool: name }), undefined);
  }

  private addPending(signature: string): void {
    const pending = this.pendingToolCalls;
    if (pending === undefined) {
      this.pendingToolCalls = signature;
    } else if (typeof pending === "string") {
      const map = new Map<string, number>([[pending, 1]]);
      map.set(signature, (map.get(signature) ?? 0) + 1);
      this.pendingToolCalls = map;
    } else {
      pending.set(signature, (pending.get(signature) ?? 0) + 1);
    }
  }

  private consumePending(signature: string): boolean {
    const pending = this.pendingToolCalls;
    if (pending === undefined) return false;
    if (typeof pending === "string") {
      if (pending !== signature) return false;
      this.pendingToolCalls = undefined;
      return true;
    }
    const n = pending.get(signature);
    if (!n) return false;
    if (n === 1) pending.delete(signature);
    else pending.set(signature, n - 1);
    return true;
  }

  private feedLoopDetector(signature: string): void {
    if (!this.services.guards.loop.enabled) return;
    const detector = (this.loopDetector ??= new LoopDetector(this.services.guards.loop));
    const match = detector.record(signature);
    if (!match) return;
    detector.reset();
    this.recordLoopTrip(match);
    this.trip(new LoopDetectedError(this.id, match));
  }

  private recordLoopTrip(match: LoopMatch): void {
    this.loopTrips++;
    this.services.safely(
      "loop-trip",
      () => {
        this.services.instruments.record("loopTrips", 1, this.metricLabels);
        const attributes = {
          ...this.spanAttributes(),
          [ATTR.loopSignature]: match.cycle.join(" -> "),
          [ATTR.loopCycleLength]: match.cycle.length,
          [ATTR.loopRepeats]: match.repeats,
          "agent_canary.guard.mode": this.services.guards.mode,
        };
        this.services.tracer.startSpan(SPAN_NAMES.loopTrip, { attributes }, this.spanContext).end();
        this.span.addEvent(SPAN_NAMES.loopTrip, attributes);
      },
      undefined,
    );
  }

  /** In enforce mode a trip ends the session and throws; in record mode it is only recorded. */
  private trip(error: AgentCanaryGuardError): void {
    this.span.addEvent("agent_canary.guard_trip", { [ATTR.outcome]: error.outcome, "agent_canary.guard.mode": this.services.guards.mode });
    if (this.services.guards.mode === "record") return;
    this.endedBy = error;
    throw error;
  }
}
