import { readFile } from "node:fs/promises";
import { ROLLOUT_PLANS, RISK_TIERS, parseGatesConfig, type RiskTier } from "@agent-canary/gate-rules";
import { StageSchema, type Stage } from "@agent-canary/rollout-state";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigFileError, parseYamlText } from "../yaml-file.js";

export const PlanFileSchema = z.object({
  stages: z
    .array(StageSchema)
    .min(1, "a plan needs at least one stage")
    .refine((stages) => stages.every((s, i) => i === 0 || s.percent > (stages[i - 1]?.percent ?? 0)), "stage percents must strictly increase"),
});

function isTier(value: string): value is RiskTier {
  return (RISK_TIERS as readonly string[]).includes(value);
}

/** Does this YAML/JSON text look like a gates config (it has `deployments:`, which a gates config requires) rather than a bare plan? */
function isGatesConfig(text: string): boolean {
  try {
    const data: unknown = parseYaml(text);
    return typeof data === "object" && data !== null && "deployments" in data;
  } catch {
    return false;
  }
}

/** Is this path a gates config file (rather than a tier or a bare plan)? */
export async function isGatesConfigFile(tierOrFile: string): Promise<boolean> {
  if (isTier(tierOrFile)) return false;
  return isGatesConfig(await readPlanFile(tierOrFile));
}

async function readPlanFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ConfigFileError(`--plan ${path}: neither a tier (${RISK_TIERS.join(", ")}) nor an existing file`);
    throw new ConfigFileError(`--plan: cannot read ${path} (${code ?? String(error)})`);
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
  // Read once; the text decides whether it is a gates config or a bare plan.
  const text = await readPlanFile(tierOrFile);
  if (isGatesConfig(text)) return parseGatesConfig(text, tierOrFile).rollout.stages.map((s) => ({ ...s }));
  return parseYamlText(tierOrFile, text, PlanFileSchema, "e.g. stages: [{percent: 1, minDurationSeconds: 3600, minSessionsPerArm: 50}]").stages;
}
