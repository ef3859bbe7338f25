import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { ROLLOUT_PLANS, RISK_TIERS, loadGatesConfig, type RiskTier } from "@agent-canary/gate-rules";
import { StageSchema, type Stage } from "@agent-canary/rollout-state";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigFileError, readYamlFile } from "../yaml-file.js";

export const PlanFileSchema = z.object({
  stages: z
    .array(StageSchema)
    .min(1, "a plan needs at least one stage")
    .refine((stages) => stages.every((s, i) => i === 0 || s.percent > (stages[i - 1]?.percent ?? 0)), "stage percents must strictly increase"),
});

function isTier(value: string): value is RiskTier {
  return (RISK_TIERS as readonly string[]).includes(value);
}

/** Does this YAML/JSON file look like a gates config (it has `deployments:`, which a gates config requires) rather than a bare plan? */
async function isGatesConfig(path: string): Promise<boolean> {
  try {
    const data: unknown = parseYaml(await readFile(path, "utf8"));
    return typeof data === "object" && data !== null && "deployments" in data;
  } catch {
    return false;
  }
}

/**
 * The stages of a rollout, from one of:
 * - a risk tier (low, medium, high, critical): the plans of @agent-canary/gate-rules, so the
 *   generated rules and the controller agree on one table;
 * - a gates config (gates.yaml): its `rollout` section (tier or explicit stages);
 * - a YAML/JSON plan file: `stages: [{percent, minDurationSeconds, minSessionsPerArm}]`.
 */
export async function loadPlan(tierOrFile: string): Promise<Stage[]> {
  if (isTier(tierOrFile)) return ROLLOUT_PLANS[tierOrFile].map((s) => ({ ...s }));
  if (!existsSync(tierOrFile)) throw new ConfigFileError(`--plan ${tierOrFile}: neither a tier (${RISK_TIERS.join(", ")}) nor an existing file`);
  if (await isGatesConfig(tierOrFile)) return (await loadGatesConfig(tierOrFile)).rollout.stages.map((s) => ({ ...s }));
  const plan = await readYamlFile("--plan", tierOrFile, PlanFileSchema, "e.g. stages: [{percent: 1, minDurationSeconds: 3600, minSessionsPerArm: 50}]");
  return plan.stages;
}
