import { ATTR, type ParsedVersionSpec, type SessionOutcome, type VersionGroup } from "@agent-canary/conventions";
import { type Attributes, type Context, type Span, trace } from "@opentelemetry/api";
import type { CallCost } from "../cost/prices.js";
import { AgentCanaryGuardError, BudgetExceededError, DrainTimeoutError, LoopDetectedError, type LoopMatch, MaxTurnsError } from "../guards/errors.js";
import { callSignature } from "../guards/loop-detector.js";
import type { Pin } from "../routing/pin-table.js";
import type { Assignment } from "../routing/router.js";
import type { DeclaredVersion } from "../version/declared.js";
import type { GateCell } from "../telemetry/gate-inputs/cell.js";
import { activeContext, withSession } from "./context.js";
import { DrainTimer } from "./drain.js";
import { recordSessionEnd } from "./end-metrics.js";
import type { SessionServices } from "./services.js";
import { endSessionSpan, NO_SPAN, recordLoopTripSpan, runInToolSpan, startSessionSpan } from "./spans.js";
import { ToolCalls } from "./tool-calls.js";

export interface SessionInit {
  /** Stable id of the conversation or task; pinning keys on it, and routing unless `routingKey` is given. */
  id: string;
  /** Tenant for per-tenant overrides (always / never canary). */
  tenant?: string | undefined;
  /**
   * Route by this key instead of the id (a tenant or user id), so all of its
   * sessions share a group. Such sessions are correlated, so they are labelled
   * `assignment="routing_key"` and kept apart from the randomised comparison.
   */
  routingKey?: string | undefined;
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

  /** Created on first use (reading `signal` or a drain timeout): most sessions never need one. */
  private controller: AbortController | undefined;
  private readonly declared: DeclaredVersion;
  private readonly pin: Pin;
  private readonly span: Span;
  private readonly spanContext: Context;
  private readonly startedAt = performance.now();
  private readonly gateCell: GateCell | undefined;
  /** Created on the first tool call. */
  private toolCalls: ToolCalls | undefined;
  private turnCount = 0;
  private costUsd = 0;
  private costComplete = true;
  private safetyViolations = 0;
  private explicitOutcome: "completed" | "failed" | undefined;
  private endedBy: AgentCanaryGuardError | undefined;
  /** Created when a rollback starts this canary session's drain clock. */
  private drain: DrainTimer | undefined;
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
    this.declared = assignment.version;
    this.pin = assignment.pin;
    this.span = services.safely("session-span", () => startSessionSpan(services, this.spanAttributes(), init, assignment, activeContext()), NO_SPAN);
    this.spanContext = withSession(trace.setSpan(activeContext(), this.span), this);
    const arm = { group: this.group, hash: this.versionHash };
    this.gateCell = services.safely("gate-inputs", () => services.gateInputs.begin(arm, assignment.pin.stratum), undefined);
  }

  /** The version this session must run: use its model, system prompt, tools and params. */
  get version(): ParsedVersionSpec {
    return this.declared.spec;
  }

  /** Aborted when the session is ended from outside (drain timeout after a rollback). */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
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

  /** USD spent so far; undefined when unknown: no LLM call observed yet, an unpriced model, or missing usage. */
  get cost(): number | undefined {
    return this.costComplete && this.turnCount > 0 ? this.costUsd : undefined;
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
        if (this.gateCell) this.services.gateInputs.quality(this.gateCell, score);
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
   * Runs a tool inside an `execute_tool` span and returns its result or throws
   * its error, whatever happens to the span (a failing exporter or span
   * processor never replaces what the tool did). The call feeds the loop
   * detector unless the model's response already did (auto-instrumented SDK calls).
   */
  async tool<T>(name: string, args: unknown, run: () => Promise<T> | T, options: { callId?: string } = {}): Promise<T> {
    this.throwIfEnded();
    const signature = this.services.safely("tool-signature", () => callSignature(name, args), undefined);
    if (signature !== undefined && !this.calls().consume(signature)) {
      this.countToolCall(name);
      this.checkLoop(this.calls().feed(signature));
    }
    return runInToolSpan(this.services, this.spanAttributes(), { name, callId: options.callId, parent: this.spanContext }, run);
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
      const signature = this.services.safely("tool-signature", () => callSignature(call.name, call.arguments), undefined);
      this.countToolCall(call.name);
      if (signature === undefined) continue;
      this.calls().request(signature);
      this.checkLoop(this.calls().feed(signature));
    }
    const { budgetUsd } = this.services.guards;
    // Only a call that spent money can cross the budget. A failed call that ends
    // after a parallel call tripped it must not trip again: its end is seen in a
    // promise handler nobody awaits, where a throw is an unhandled rejection.
    if (budgetUsd !== undefined && cost.known && cost.usd > 0 && this.costUsd > budgetUsd) {
      this.trip(new BudgetExceededError(this.id, budgetUsd, this.costUsd));
    }
  }

  /**
   * Ends this canary session if it is still running at `deadline`
   * (performance.now() ms, see Router.drainDeadline); undefined cancels a pending drain.
   */
  setDrainDeadline(deadline: number | undefined, drainTimeoutSeconds: number): void {
    if (this.group !== "canary" || this.finished || deadline === this.drain?.deadline) return;
    this.drain?.cancel();
    this.drain = deadline === undefined ? undefined : new DrainTimer(deadline, () => this.endByDrain(drainTimeoutSeconds));
  }

  /** Records the session's end: span, outcome and the per-session metrics. */
  finish(error: unknown): SessionOutcome {
    if (this.finished) return this.outcomeFor(error);
    this.finished = true;
    this.drain?.cancel();
    const outcome = this.outcomeFor(error);
    const observed = this.turnCount > 0;
    const costUsd = observed && this.costComplete ? this.costUsd : undefined;
    // Span and metrics apart: a failing meter must not leave the span open, nor the other way round.
    this.services.safely("session-end", () => endSessionSpan(this.span, { outcome, error, turns: this.turnCount, observed, costUsd }), undefined);
    const summary = {
      outcome,
      looping: (this.toolCalls?.loopTrips ?? 0) > 0,
      unsafe: this.safetyViolations > 0,
      turns: observed ? this.turnCount : undefined,
      costUsd,
      durationSeconds: (performance.now() - this.startedAt) / 1000,
    };
    this.services.safely("session-metrics", () => recordSessionEnd(this.services, this.metricLabels, this.gateCell, summary), undefined);
    return outcome;
  }

  private outcomeFor(error: unknown): SessionOutcome {
    if (this.endedBy) return this.endedBy.outcome;
    if (error instanceof AgentCanaryGuardError) return error.outcome;
    if (error !== undefined) return "error";
    return this.explicitOutcome ?? "completed";
  }

  private endByDrain(drainTimeoutSeconds: number): void {
    const error = new DrainTimeoutError(this.id, drainTimeoutSeconds);
    this.endedBy ??= error;
    this.services.safely("drain", () => this.span.addEvent("agent_canary.drain_timeout", { "agent_canary.drain_timeout_seconds": drainTimeoutSeconds }), undefined);
    (this.controller ??= new AbortController()).abort(error);
  }

  private calls(): ToolCalls {
    return (this.toolCalls ??= new ToolCalls(this.services.guards.loop));
  }

  /** Outside safely() only guard errors may reach the agent, so a failing meter is caught here. */
  private countToolCall(name: string): void {
    this.services.safely("tool-count", () => this.services.instruments.record("toolCalls", 1, { ...this.metricLabels, tool: name }), undefined);
  }

  private checkLoop(match: LoopMatch | undefined): void {
    if (!match) return;
    this.services.safely(
      "loop-trip",
      () => {
        this.services.instruments.record("loopTrips", 1, this.metricLabels);
        recordLoopTripSpan(this.services, this.spanAttributes(), match, this.span, this.spanContext);
      },
      undefined,
    );
    this.trip(new LoopDetectedError(this.id, match));
  }

  /** In enforce mode a trip ends the session and throws; in record mode it is only recorded. */
  private trip(error: AgentCanaryGuardError): void {
    const { mode } = this.services.guards;
    this.services.safely("guard-trip", () => this.span.addEvent("agent_canary.guard_trip", { [ATTR.outcome]: error.outcome, "agent_canary.guard.mode": mode }), undefined);
    if (mode === "record") return;
    this.endedBy = error;
    throw error;
  }
}
