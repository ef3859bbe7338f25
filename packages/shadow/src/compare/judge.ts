import { firstIssue, privateFieldErrorMap, ROUTING_SLOTS, routingSlotOf } from "@agent-canary/conventions";
import { z } from "zod";
import { withDeadline } from "../limits/deadline.js";
import { errorText } from "../record/withheld.js";
import type { RunRecord } from "../run/run-record.js";
import type { Divergence } from "./divergence.js";

export const JUDGE_VERDICTS = ["candidate_better", "equivalent", "production_better"] as const;
export const JudgeVerdictSchema = z.enum(JUDGE_VERDICTS);
export type JudgeVerdict = z.infer<typeof JudgeVerdictSchema>;

/** What a judge function must return; checked, since it usually comes from a model. */
export const JudgeResultSchema = z.object({
  verdict: JudgeVerdictSchema,
  /** Optional quality score of the candidate, 0..1. */
  score: z.number().min(0).max(1).optional(),
  reason: z.string().optional(),
});
export type JudgeResult = z.infer<typeof JudgeResultSchema>;

export interface JudgeRequest<I> {
  readonly input: I;
  readonly production: RunRecord;
  readonly candidate: RunRecord;
  /** Why this pair is being judged: empty for a random sample. */
  readonly divergences: readonly Divergence[];
}

/**
 * An LLM-as-judge: send both answers to an evaluator model with a rubric, return
 * its verdict. Pass `signal` to the model call: it aborts at `judgeTimeoutMs`.
 */
export type Judge<I> = (request: JudgeRequest<I>, signal: AbortSignal) => Promise<JudgeResult>;

export const JUDGE_TRIGGERS = ["sample", "divergence"] as const;
export type JudgeTrigger = (typeof JUDGE_TRIGGERS)[number];

export const JudgementSchema = z.union([
  JudgeResultSchema.extend({ trigger: z.enum(JUDGE_TRIGGERS) }),
  z.object({ trigger: z.enum(JUDGE_TRIGGERS), error: z.string() }),
]);
export type Judgement = z.infer<typeof JudgementSchema>;

/**
 * Judges are expensive, so they see a sample plus every flagged divergence.
 * The sample is drawn from the request id's hash, so a replay judges the same
 * requests as the live run did.
 */
export function judgeTrigger(requestId: string, divergences: readonly Divergence[], sampleRate: number): JudgeTrigger | null {
  if (divergences.length > 0) return "divergence";
  return routingSlotOf(requestId, ":shadow-judge") < sampleRate * ROUTING_SLOTS ? "sample" : null;
}

/** Calls the judge within `timeoutMs` (or until `stop` aborts); a failure or a bad answer is kept as the judgement's error. */
export interface JudgeCall {
  readonly trigger: JudgeTrigger;
  readonly timeoutMs: number;
  /** False: the judge's reason and any error message not raised by the shadow are left out (they may quote the answers). */
  readonly keepInputs: boolean;
  readonly stop?: AbortSignal | undefined;
}

export async function runJudge<I>(judge: Judge<I>, request: JudgeRequest<I>, call: JudgeCall): Promise<Judgement> {
  const { trigger, timeoutMs, stop } = call;
  try {
    const answer = await withDeadline((signal) => judge(request, signal), { what: "judge", setting: "compare.judgeTimeoutMs", timeoutMs }, stop);
    const parsed = JudgeResultSchema.safeParse(answer, { error: privateFieldErrorMap });
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error);
      return { trigger, error: `judge returned an invalid result at "${field}": ${message}; return { verdict: "candidate_better" | "equivalent" | "production_better", score?: 0..1, reason?: string }` };
    }
    const { reason, ...verdict } = parsed.data;
    return { ...verdict, ...(reason !== undefined && call.keepInputs ? { reason } : {}), trigger };
  } catch (error) {
    return { trigger, error: errorText(error, call.keepInputs) };
  }
}
