import { z } from "zod";
import type { RunRecord } from "../run/run-record.js";
import type { KeyMetricComparison } from "./key-metrics.js";
import type { Similarity } from "./similarity.js";

export const DIVERGENCE_KINDS = ["candidate_failed", "decisions", "outcome", "similarity", "cost"] as const;
export const DivergenceSchema = z.object({
  kind: z.enum(DIVERGENCE_KINDS),
  detail: z.string(),
});
export type Divergence = z.infer<typeof DivergenceSchema>;

/** The reasons a pair deserves a closer look; empty when the candidate did as production did. */
export function findDivergences(
  candidate: RunRecord,
  keyMetrics: KeyMetricComparison,
  similarity: Similarity,
  costTolerance: number,
): Divergence[] {
  const found: Divergence[] = [];
  if (candidate.error !== undefined) {
    found.push({ kind: "candidate_failed", detail: `${candidate.outcome}: ${candidate.error}` });
  }
  // Tool calls and writes are one decision divergence: a different write is always a different tool call too.
  const decisions = keyMetrics.fields.filter((f) => !f.agree && (f.field === "tool_calls" || f.field === "write_actions"));
  if (decisions.length > 0) {
    found.push({ kind: "decisions", detail: decisions.map((f) => `${f.field} ${f.detail ?? "differ"}`).join("; ") });
  }
  const outcome = keyMetrics.fields.find((f) => f.field === "outcome" && !f.agree);
  if (outcome) {
    found.push({ kind: "outcome", detail: `production ${String(outcome.production)}, candidate ${String(outcome.candidate)}` });
  }
  if (similarity.band === "review") {
    found.push({ kind: "similarity", detail: `${similarity.method} similarity ${similarity.score.toFixed(3)} is in the review band` });
  }
  if (keyMetrics.costRatio !== null && Math.abs(keyMetrics.costRatio - 1) > costTolerance) {
    found.push({ kind: "cost", detail: `candidate costs ${keyMetrics.costRatio.toFixed(2)}x production (tolerance ±${Math.round(costTolerance * 100)}%)` });
  }
  return found;
}
