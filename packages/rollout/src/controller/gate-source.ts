import { z } from "zod";

export const FiringGateSchema = z.object({
  /** The gate's alert name, e.g. AgentCanaryCostRegression. */
  name: z.string().min(1),
  action: z.enum(["hold", "rollback"]),
  /** Observed values and thresholds, kept in the audit log and the deployment record. */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type FiringGate = z.infer<typeof FiringGateSchema>;

/** What the controller needs to decide: which gates fire, and how many sessions each arm has had this stage. */
export const GateReportSchema = z.object({
  firing: z.array(FiringGateSchema),
  /** Gates failing but not firing yet (their `for` has not passed): nothing advances over them. */
  pending: z.array(FiringGateSchema).optional(),
  /**
   * Gates that cannot judge yet (fewer sessions than their minimum in an arm).
   * Early stages may pass on their own minimums, but the rollout never goes to
   * 100% over a gate that has not had the data to say no.
   */
  undecided: z.array(z.string()).optional(),
  sessions: z.object({ baseline: z.number().min(0), canary: z.number().min(0) }),
  /** Gate values worth archiving (gate name → statistic), optional. */
  values: z.record(z.string(), z.number()).optional(),
});
export type GateReport = z.infer<typeof GateReportSchema>;

export interface GateQuery {
  deployment: string;
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
    const result = GateReportSchema.safeParse(await this.evaluate(query));
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(`the gate evaluator returned an invalid report at "${issue?.path.join(".") ?? ""}": ${issue?.message ?? result.error.message}`);
    }
    return result.data;
  }
}
