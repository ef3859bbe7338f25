import { z } from "zod";

// Rollout vocabulary that both the rule generator (gate-rules) and the state
// stores (rollout-state) speak. It lives here so that generating rules does
// not pull in the stores and their Redis client.

/** A deployment name: it becomes a Prometheus label value, a file name and a Redis key part. */
export const DeploymentNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, "use 1-63 chars of a-z, 0-9, '.', '_', '-' starting with a letter or digit");

/** A gate's name: the `gate` label of its series and alerts, and how an operator names it in `rollout accept`. */
export const GateNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, "use lower-case letters, digits and '_' (it becomes the `gate` label), e.g. cost");

/** One stage of a rollout plan: the canary's share and what it must show before the next stage. */
export const StageSchema = z.object({
  percent: z.number().min(0).max(100),
  minDurationSeconds: z.number().int().min(0),
  minSessionsPerArm: z.number().int().min(0),
});
export type Stage = z.infer<typeof StageSchema>;
