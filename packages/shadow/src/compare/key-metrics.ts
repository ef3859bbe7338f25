import { canonicalJson } from "@agent-canary/conventions";
import { z } from "zod";
import { jsonSafe } from "../record/json-safe.js";
import type { RunRecord, ToolCallRecord } from "../run/run-record.js";

export const KEY_FIELDS = ["tool_calls", "write_actions", "outcome", "steps", "turns", "cost_usd"] as const;
export type KeyField = (typeof KEY_FIELDS)[number];

export const FieldComparisonSchema = z.object({
  field: z.enum(KEY_FIELDS),
  production: z.unknown(),
  candidate: z.unknown(),
  agree: z.boolean(),
  /** Where they part: the first differing tool call, a ratio. */
  detail: z.string().optional(),
});
export type FieldComparison = z.infer<typeof FieldComparisonSchema>;

export const KeyMetricComparisonSchema = z.object({
  fields: z.array(FieldComparisonSchema),
  /** Same tools in the same order with the same arguments, the same writes and the same outcome. */
  decisionsAgree: z.boolean(),
  /** candidate cost / production cost; null when either is unknown or production cost is 0. */
  costRatio: z.number().nullable(),
});
export type KeyMetricComparison = z.infer<typeof KeyMetricComparisonSchema>;

/** A tool call as one comparable string: argument key order does not matter; arguments JSON cannot carry compare by why. */
function signature(call: ToolCallRecord): string {
  return `${call.name}(${canonicalJson(jsonSafe(call.arguments))})`;
}

/** How a call is shown in the comparison: by name only when inputs are not kept. */
type Shown = (call: ToolCallRecord) => string;
const byName: Shown = (call) => `${call.name}(…)`;

/** Compared by full signature; reported as `show` has them. */
function compareSequences(field: KeyField, production: readonly ToolCallRecord[], candidate: readonly ToolCallRecord[], show: Shown): FieldComparison {
  const length = Math.max(production.length, candidate.length);
  const shown = { production: production.map(show), candidate: candidate.map(show) };
  for (let i = 0; i < length; i++) {
    const p = production[i];
    const c = candidate[i];
    if (!p || !c || signature(p) !== signature(c)) {
      return {
        field,
        ...shown,
        agree: false,
        detail: `#${i + 1}: production ${p ? show(p) : "(none)"}, candidate ${c ? show(c) : "(none)"}`,
      };
    }
  }
  return { field, ...shown, agree: true };
}

/** Writes production executed versus writes the candidate asked for (and did not get). */
function writeActions(run: RunRecord): ToolCallRecord[] {
  return run.toolCalls.filter((c) => c.kind === "write");
}

function costField(production: RunRecord, candidate: RunRecord, tolerance: number): { field: FieldComparison; ratio: number | null } {
  const p = production.costUsd;
  const c = candidate.costUsd;
  if (p === null || c === null) {
    return { field: { field: "cost_usd", production: p, candidate: c, agree: p === c, detail: "cost unknown" }, ratio: null };
  }
  if (p === 0) {
    return { field: { field: "cost_usd", production: p, candidate: c, agree: c === 0 }, ratio: null };
  }
  const ratio = c / p;
  const agree = Math.abs(ratio - 1) <= tolerance;
  return { field: { field: "cost_usd", production: p, candidate: c, agree, detail: `ratio ${ratio.toFixed(2)}` }, ratio };
}

/**
 * Field-by-field comparison of what the two versions did. This catches the
 * cases text similarity misses: the same words after a different refund, or
 * different words after the same decisions.
 */
export function compareKeyMetrics(production: RunRecord, candidate: RunRecord, costTolerance: number, keepInputs = true): KeyMetricComparison {
  const show = keepInputs ? signature : byName;
  const toolCalls = compareSequences("tool_calls", production.toolCalls, candidate.toolCalls, show);
  const writes = compareSequences("write_actions", writeActions(production), writeActions(candidate), show);
  const outcome: FieldComparison = {
    field: "outcome",
    production: production.outcome,
    candidate: candidate.outcome,
    agree: production.outcome === candidate.outcome,
  };
  const counts = (["steps", "turns"] as const).map(
    (field): FieldComparison => ({
      field,
      production: production[field],
      candidate: candidate[field],
      agree: production[field] === candidate[field],
    }),
  );
  const cost = costField(production, candidate, costTolerance);
  return {
    fields: [toolCalls, writes, outcome, ...counts, cost.field],
    decisionsAgree: toolCalls.agree && writes.agree && outcome.agree,
    costRatio: cost.ratio,
  };
}
