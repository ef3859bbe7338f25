import { existsSync } from "node:fs";
import { StageSchema, type Stage } from "@agent-canary/rollout-state";
import { z } from "zod";
import { ConfigFileError, readYamlFile } from "../yaml-file.js";

const HOUR = 3600;

/**
 * Plans by risk tier. Stage lengths follow the rollout guidance in the sources
 * (a medium-risk change: 1% for 4 h, 5% for 8 h, 25% and 50% for a day each; a low-risk
 * prompt tweak may skip stages; critical changes take weeks), and the final 100%
 * stage must hold for 4 h before the canary is promoted. Session minimums per arm
 * grow with the stage (50, 200, 500, 1000) so each step has the samples its gates need.
 */
/** [percent, hours, minimum sessions per arm] per stage. */
type StageRow = readonly [number, number, number];

function plan(rows: readonly StageRow[]): Stage[] {
  return rows.map(([percent, hours, minSessionsPerArm]) => ({ percent, minDurationSeconds: hours * HOUR, minSessionsPerArm }));
}

const TIER_ROWS = {
  low: [[1, 4, 50], [25, 4, 500], [100, 4, 1000]],
  medium: [[1, 4, 50], [5, 8, 200], [25, 24, 500], [50, 24, 1000], [100, 4, 1000]],
  high: [[1, 24, 100], [5, 48, 400], [25, 72, 1000], [50, 72, 2000], [100, 24, 2000]],
  critical: [[1, 72, 200], [5, 96, 800], [25, 168, 2000], [50, 168, 4000], [100, 48, 4000]],
} as const satisfies Record<string, readonly StageRow[]>;

export type PlanTier = keyof typeof TIER_ROWS;
export const PLAN_TIERS: Record<PlanTier, Stage[]> = {
  low: plan(TIER_ROWS.low),
  medium: plan(TIER_ROWS.medium),
  high: plan(TIER_ROWS.high),
  critical: plan(TIER_ROWS.critical),
};


export const PlanFileSchema = z.object({
  stages: z
    .array(StageSchema)
    .min(1, "a plan needs at least one stage")
    .refine((stages) => stages.every((s, i) => i === 0 || s.percent > (stages[i - 1]?.percent ?? 0)), "stage percents must strictly increase"),
});

/** A tier name (low, medium, high, critical) or a YAML/JSON file with `stages: [{percent, minDurationSeconds, minSessionsPerArm}]`. */
export async function loadPlan(tierOrFile: string): Promise<Stage[]> {
  if (tierOrFile in PLAN_TIERS) return PLAN_TIERS[tierOrFile as PlanTier].map((s) => ({ ...s }));
  if (!existsSync(tierOrFile)) throw new ConfigFileError(`--plan ${tierOrFile}: neither a tier (${Object.keys(PLAN_TIERS).join(", ")}) nor an existing file`);
  const plan = await readYamlFile("--plan", tierOrFile, PlanFileSchema, "e.g. stages: [{percent: 1, minDurationSeconds: 3600, minSessionsPerArm: 50}]");
  return plan.stages;
}
