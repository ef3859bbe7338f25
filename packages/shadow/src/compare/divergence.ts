import { z } from "zod";
import type { ReadAfterWrite } from "../run/read-after-write.js";
import type { RunRecord } from "../run/run-record.js";
import type { KeyMetricComparison } from "./key-metrics.js";
import type { Similarity } from "./similarity.js";

export const DIVERGENCE_KINDS = ["candidate_failed", "decisions", "outcome", "similarity", "cost", "read_after_write"] as const;
export const DivergenceSchema = z.object({
  kind: z.enum(DIVERGENCE_KINDS),
  detail: z.string(),
});
export type Divergence = z.infer<typeof DivergenceSchema>;

const READ_AFTER_WRITE_DETAIL: Record<Exclude<ReadAfterWrite, "overlaid">, string> = {
  own_write_missed: "after the run's own intercepted write, so the real system did not show it (give the tool an overlay)",
  production_write_seen: "after production really wrote it in this request, so the candidate saw production's write",
};

/**
 * Reads that did not see the world the run would have made: the comparison
 * says less about them, so they are flagged (the README's Read-after-write).
 */
function readAfterWriteDivergence(runs: readonly { role: string; run: RunRecord }[], keepInputs: boolean): Divergence | undefined {
  const details = runs.flatMap(({ role, run }) =>
    run.toolCalls.flatMap((c) =>
      c.readAfterWrite && c.readAfterWrite !== "overlaid"
        ? [`${role} ${c.name} read ${keepInputs && c.key !== undefined ? c.key : "a key"} ${READ_AFTER_WRITE_DETAIL[c.readAfterWrite]}`]
        : [],
    ),
  );
  return details.length > 0 ? { kind: "read_after_write", detail: details.join("; ") } : undefined;
}

/** The reasons a pair deserves a closer look; empty when the candidate did as production did. */
export function findDivergences(
  production: RunRecord,
  candidate: RunRecord,
  keyMetrics: KeyMetricComparison,
  similarity: Similarity,
  costTolerance: number,
  keepInputs = true,
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
  const readAfterWrite = readAfterWriteDivergence([
    { role: "production", run: production },
    { role: "candidate", run: candidate },
  ], keepInputs);
  if (readAfterWrite) found.push(readAfterWrite);
  return found;
}
