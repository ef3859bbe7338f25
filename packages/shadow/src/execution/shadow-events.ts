import type { ComparisonRecord } from "../record/comparison-record.js";
import type { RunRecord } from "../run/run-record.js";
import type { CandidateEnd } from "./candidate-run.js";

export interface ShadowRequest {
  /** Ties the two runs, the comparison and the sampling together. Generated when absent. */
  readonly requestId?: string;
  readonly tenant?: string;
  readonly route?: string;
}

/** What happens to a shadowed request, in order, for logs and tests. */
export interface ShadowEvents {
  production_answered: [{ id: string; run: RunRecord }];
  candidate_started: [{ id: string }];
  /** The candidate's record is taken: it answered, failed, or passed its timeout (outcome "timeout"). */
  candidate_finished: [{ id: string; run: RunRecord }];
  /** The candidate's code has ended (or was abandoned) and its slot is free again. */
  candidate_stopped: [{ id: string } & CandidateEnd];
  dropped: [{ id: string; reason: "concurrency_limit" }];
  comparison: [ComparisonRecord];
  /** Background work that failed (a comparison file that cannot be written...). Production was not affected. */
  failure: [{ id: string; error: unknown }];
}

/** What close() did. */
export interface CloseSummary {
  /** Candidate runs, comparisons and writes under way when close() was called. */
  readonly pending: number;
  /** They did not all finish within the close timeout, so the rest were aborted. */
  readonly timedOut: boolean;
  /** Candidate runs stopped by close() before their own timeout: not compared, not written. */
  readonly cutShort: number;
  /** Candidate runs given up on since the runner started: stopped, but their code never returned. */
  readonly abandoned: number;
}

/** Counts a user can read at any time, e.g. for a health endpoint. */
export interface ShadowStats {
  /** Candidate runs holding a slot (never above maxConcurrentCandidates). */
  readonly liveCandidates: number;
  /** Candidate runs stopped at their timeout whose code still had not returned after candidateAbandonAfterMs. */
  readonly abandoned: number;
  /** Candidate runs stopped by close(). */
  readonly cutShort: number;
}
