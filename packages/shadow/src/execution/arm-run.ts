import type { SpanContext } from "@opentelemetry/api";
import type { AgentAnswer, ShadowRole, Toolset } from "../run/agent.js";
import type { RunRecord } from "../run/run-record.js";
import { RunTracker } from "../run/run-tracker.js";
import { endArmSpan, withArmSpan, type ArmIdentity, type SpanRequest } from "../telemetry/shadow-spans.js";
import type { ResolvedArm } from "./options.js";

export interface ArmRunSettings {
  readonly deployment: string;
  readonly tools: Toolset;
  readonly dryRunResult: (tool: string, args: unknown) => unknown;
  readonly onIntercept?: ((tool: string) => void) | undefined;
  /** Replay re-runs production only when no run was recorded, and then it must not write either. */
  readonly interceptProductionWrites?: boolean | undefined;
}

/** What one arm did, and the span it did it in (for links). */
export interface ArmTrace {
  readonly record: RunRecord;
  readonly spanContext: SpanContext;
}

/** Production's run: its trace, and the agent's own answer (unchanged) or what it threw. */
export type ArmRunResult<O> = ArmTrace & (
  | { readonly ok: true; readonly answer: O }
  | { readonly ok: false; readonly thrown: unknown }
);

function identity<I, O extends AgentAnswer | string>(arm: ResolvedArm<I, O>, deployment: string): ArmIdentity {
  return { deployment, versionHash: arm.versionHash, agentName: arm.name };
}

/** Production: runs to completion in the caller's trace; what it throws is the caller's to see. */
export function runProduction<I, O extends AgentAnswer | string>(
  arm: ResolvedArm<I, O>,
  settings: ArmRunSettings,
  input: I,
  request: SpanRequest,
  onSpanStart?: (context: SpanContext) => void,
): Promise<ArmRunResult<O>> {
  return withArmSpan("production", identity(arm, settings.deployment), request, undefined, async (span) => {
    onSpanStart?.(span.spanContext());
    const tracker = tracked("production", settings, new AbortController().signal);
    try {
      const answer = await arm.run(input, tracker);
      const record = tracker.finish(arm.versionHash, answer);
      endArmSpan(span, record);
      return { ok: true, record, answer, spanContext: span.spanContext() };
    } catch (thrown) {
      const record = tracker.fail(arm.versionHash, "error", thrown);
      endArmSpan(span, record);
      return { ok: false, record, thrown, spanContext: span.spanContext() };
    }
  });
}

const TIMED_OUT = Symbol("timed out");

export class CandidateTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`candidate did not answer within ${timeoutMs} ms (candidateTimeoutMs); its signal was aborted`);
    this.name = "CandidateTimeoutError";
  }
}

/**
 * Candidate: its own trace, linked to production; writes intercepted; bounded
 * by a timeout after which its signal is aborted and its result is "timeout",
 * whether or not the agent code heeds the signal.
 */
export function runCandidate<I>(
  arm: ResolvedArm<I, AgentAnswer | string>,
  settings: ArmRunSettings,
  input: I,
  request: SpanRequest,
  timeoutMs: number,
  linkTo: SpanContext | undefined,
): Promise<ArmTrace> {
  return withArmSpan("candidate", identity(arm, settings.deployment), request, linkTo, async (span) => {
    const abort = new AbortController();
    const tracker = tracked("candidate", settings, abort.signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    });
    let record: RunRecord;
    try {
      const answer = await Promise.race([arm.run(input, tracker), timedOut]);
      if (answer === TIMED_OUT) {
        const error = new CandidateTimeoutError(timeoutMs);
        abort.abort(error);
        record = tracker.fail(arm.versionHash, "timeout", error);
      } else {
        record = tracker.finish(arm.versionHash, answer);
      }
    } catch (thrown) {
      record = tracker.fail(arm.versionHash, "error", thrown);
    } finally {
      clearTimeout(timer);
    }
    endArmSpan(span, record);
    return { record, spanContext: span.spanContext() };
  });
}

function tracked(role: ShadowRole, settings: ArmRunSettings, signal: AbortSignal): RunTracker {
  return new RunTracker({
    role,
    tools: settings.tools,
    signal,
    interceptWrites: role === "candidate" || settings.interceptProductionWrites === true,
    dryRunResult: settings.dryRunResult,
    onIntercept: role === "candidate" ? settings.onIntercept : undefined,
  });
}
