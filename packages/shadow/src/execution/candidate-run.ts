import { ShadowError } from "../record/withheld.js";
import type { SpanContext } from "@opentelemetry/api";
import { abortion, ShadowClosingError } from "../limits/deadline.js";
import type { AgentAnswer } from "../run/agent.js";
import type { RunRecord } from "../run/run-record.js";
import { RunFinishedError } from "../run/run-tracker.js";
import { endArmSpan, withArmSpan, type SpanRequest } from "../telemetry/shadow-spans.js";
import { identity, tracked, type ArmRunSettings, type ArmTrace } from "./arm-run.js";
import type { ResolvedArm } from "./options.js";

export class CandidateTimeoutError extends ShadowError {
  constructor(timeoutMs: number) {
    super(`candidate did not answer within ${timeoutMs} ms (candidateTimeoutMs); its signal was aborted`);
    this.name = "CandidateTimeoutError";
  }
}

/** How a candidate's code ended: it returned (or threw), or it was given up on while still pending. */
export interface CandidateEnd {
  readonly how: "stopped" | "abandoned";
  /** Tool calls the stopped run still tried to make; none of them was executed. */
  readonly refusedToolCalls: number;
}

export interface CandidateTrace extends ArmTrace {
  /** Stopped by the runner closing, not by the candidate's own timeout: not a fair comparison, so none is made. */
  readonly cutShort: boolean;
  /**
   * Settles once the agent's code has really returned or thrown, or, when it
   * ignores its aborted signal, once `abandonAfterMs` has passed since the stop
   * (at once when the runner is closing). Holds the candidate's slot till then.
   */
  readonly ended: Promise<CandidateEnd>;
}

export interface CandidateLimits {
  readonly timeoutMs: number;
  readonly abandonAfterMs: number;
  /** Aborted when the runner closes: the candidate stops at once and nobody waits for its code. */
  readonly shutdown?: AbortSignal | undefined;
}

type Settled = { readonly ok: true; readonly answer: AgentAnswer | string } | { readonly ok: false; readonly thrown: unknown };
type FirstOf = Settled | { readonly stoppedBy: unknown };

/**
 * Candidate: its own trace, linked to production; writes intercepted. At its
 * timeout (or when the runner closes) its signal is aborted, its record is
 * taken as "timeout" and its tools refuse from then on, whether or not the
 * agent code heeds the signal; they also refuse once it has answered.
 */
export function runCandidate<I>(
  arm: ResolvedArm<I, AgentAnswer | string>,
  settings: ArmRunSettings,
  input: I,
  request: SpanRequest,
  limits: CandidateLimits,
  linkTo: SpanContext | undefined,
): Promise<CandidateTrace> {
  return withArmSpan("candidate", identity(arm, settings.deployment), request, linkTo, async (span) => {
    const tracker = tracked("candidate", settings);
    const timer = setTimeout(() => tracker.stop(new CandidateTimeoutError(limits.timeoutMs)), limits.timeoutMs);
    const onShutdown = () => tracker.stop(new ShadowClosingError());
    if (limits.shutdown?.aborted) onShutdown();
    else limits.shutdown?.addEventListener("abort", onShutdown, { once: true });
    // Started inside then(): an agent that throws synchronously fails like one that rejects.
    const settled: Promise<Settled> = Promise.resolve()
      .then(() => arm.run(input, tracker))
      .then((answer) => ({ ok: true as const, answer }), (thrown: unknown) => ({ ok: false as const, thrown }));
    const first: FirstOf = await Promise.race([settled, abortion(tracker.signal).catch((reason: unknown) => ({ stoppedBy: reason }))]);
    clearTimeout(timer);
    limits.shutdown?.removeEventListener("abort", onShutdown);
    let record: RunRecord;
    if ("stoppedBy" in first) record = tracker.fail(arm.versionHash, "timeout", first.stoppedBy);
    else if (first.ok) record = tracker.finish(arm.versionHash, first.answer);
    else record = tracker.fail(arm.versionHash, "error", first.thrown);
    // The record is taken: work the agent left behind must not act on anything now.
    tracker.stop(new RunFinishedError());
    endArmSpan(span, record);
    const ended: Promise<CandidateEnd> =
      "stoppedBy" in first
        ? endOrAbandon(settled, limits).then((how) => ({ how, refusedToolCalls: tracker.refusedToolCalls }))
        : Promise.resolve({ how: "stopped" as const, refusedToolCalls: 0 });
    return { record, spanContext: span.spanContext(), cutShort: "stoppedBy" in first && first.stoppedBy instanceof ShadowClosingError, ended };
  });
}

/** "stopped" when the agent's code settles within `abandonAfterMs` of its stop, else "abandoned". */
function endOrAbandon(settled: Promise<Settled>, limits: CandidateLimits): Promise<"stopped" | "abandoned"> {
  return new Promise((resolve) => {
    const finish = (how: "stopped" | "abandoned") => {
      clearTimeout(timer);
      limits.shutdown?.removeEventListener("abort", onShutdown);
      resolve(how);
    };
    const onShutdown = () => finish("abandoned");
    const timer = setTimeout(() => finish("abandoned"), limits.abandonAfterMs);
    if (limits.shutdown?.aborted) finish("abandoned");
    else limits.shutdown?.addEventListener("abort", onShutdown, { once: true });
    void settled.then(() => finish("stopped"));
  });
}
