import { fieldErrorMap, firstIssue } from "@agent-canary/conventions";
import { z } from "zod";

export const FiringGateSchema = z.object({
  /** The gate's alert name, e.g. AgentCanaryCostRegression. */
  name: z.string().min(1),
  action: z.enum(["hold", "rollback"]),
  /** The rollout the alert is about (its `rollout_id` label), when it carries one. */
  rolloutId: z.string().optional(),
  /** Observed values and thresholds, kept in the audit log and the deployment record. */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type FiringGate = z.infer<typeof FiringGateSchema>;

/** One gate's verdict for one rollout: what the controller advances on. */
export const GateVerdictSchema = z.object({
  gate: z.string().min(1),
  /** failing: worse than the tolerance; passing: shown not worse; undecided: neither yet. */
  verdict: z.enum(["failing", "passing", "undecided"]),
  action: z.enum(["hold", "rollback"]),
  /** The canary may not get more than this percent until the gate passes; null: a fail-only guard, never required to pass. */
  passBeforePercent: z.number().gt(0).lt(100).nullable(),
  /** The gate's value (ratio or delta), when both arms have sessions. */
  value: z.number().optional(),
  /** Compared samples per arm, when known. */
  samples: z.object({ canary: z.number().min(0), baseline: z.number().min(0) }).optional(),
  minSamples: z.number().min(0).optional(),
  /**
   * What the baseline does per session in the gate's quantity (event rate, or mean and
   * variance), when the source can tell: the controller estimates from it how many
   * sessions the gate needs to decide (gate-rules' decidingTime).
   */
  baseline: z.object({ mean: z.number(), variance: z.number().min(0).optional() }).optional(),
  /** Why the gate is undecided, when that is not just "not enough evidence yet". */
  reason: z.string().optional(),
});
export type GateVerdictReport = z.infer<typeof GateVerdictSchema>;

/** What the controller needs to decide: which gates fire, each gate's verdict, and how many sessions each arm has had this stage. */
export const GateReportSchema = z.object({
  /** The rollout the verdicts are about; the controller ignores verdicts about another one. */
  rolloutId: z.string().nullable().optional(),
  firing: z.array(FiringGateSchema),
  /** Gates failing but not firing yet (their `for` has not passed): nothing advances over them. */
  pending: z.array(FiringGateSchema).optional(),
  /**
   * Every gate's verdict for this rollout. A stage advances only when each gate
   * whose passBeforePercent is below the next percent is passing (or accepted by
   * an operator); a gate missing here counts as undecided.
   */
  verdicts: z.array(GateVerdictSchema),
  sessions: z.object({ baseline: z.number().min(0), canary: z.number().min(0) }),
  /** Gate values worth archiving (gate name → statistic), optional. */
  values: z.record(z.string(), z.number()).optional(),
});
export type GateReport = z.infer<typeof GateReportSchema>;

export interface GateQuery {
  deployment: string;
  /** The rollout in progress (the state's rolloutId): verdicts and session counts are about it only. */
  rolloutId: string | null;
  /** Sessions are counted from here (the current stage's start). */
  since: Date;
  now: Date;
}

/** Where gate status comes from: Prometheus alerts, or an embedded evaluator. */
export interface GateSource {
  report(query: GateQuery): Promise<GateReport>;
}

/**
 * Adapts a callback (e.g. the embedded evaluator of packages/gate-rules) to a
 * GateSource, validating what it returns so a bad report cannot advance a rollout.
 */
export class EvaluatorGateSource implements GateSource {
  constructor(private readonly evaluate: (query: GateQuery) => Promise<GateReport>) {}

  async report(query: GateQuery): Promise<GateReport> {
    const result = GateReportSchema.safeParse(await this.evaluate(query), { error: fieldErrorMap });
    if (!result.success) {
      const { field, message } = firstIssue(result.error);
      throw new Error(`the gate evaluator returned an invalid report at "${field}": ${message}`);
    }
    return result.data;
  }
}
