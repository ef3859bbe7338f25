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
  for (const field of keyMetrics.fields) {
    if (field.agree) continue;
    if (field.field === "tool_calls" || field.field === "write_actions") {
      found.push({ kind: "decisions", detail: `${field.field} ${field.detail ?? "differ"}` });
    } else if (field.field === "outcome") {
      found.push({ kind: "outcome", detail: `production ${String(field.production)}, candidate ${String(field.candidate)}` });
    }
  }
  if (similarity.band === "review") {
    found.push({ kind: "similarity", detail: `${similarity.method} similarity ${similarity.score.toFixed(3)} is in the review band` });
  }
  if (keyMetrics.costRatio !== null && Math.abs(keyMetrics.costRatio - 1) > costTolerance) {
    found.push({ kind: "cost", detail: `candidate costs ${keyMetrics.costRatio.toFixed(2)}x production (tolerance ±${Math.round(costTolerance * 100)}%)` });
  }
  return found;
}
