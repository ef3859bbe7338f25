import { z } from "zod";

/**
 * The closed set of ways a session can end. Gates and dashboards rely on this
 * set being closed: adding a value is a breaking change of the metrics contract.
 */
export const SESSION_OUTCOMES = [
  "completed", // the agent reached its task-complete terminal state
  "failed", // the agent finished without completing the task
  "loop_detected", // the loop guard tripped in enforce mode
  "budget_exceeded", // the USD budget guard tripped
  "max_turns", // the max-turns guard tripped
  "error", // an exception escaped the agent code
  "drain_timeout", // still running on canary past the drain timeout after a rollback
] as const;

export const SessionOutcomeSchema = z.enum(SESSION_OUTCOMES);
export type SessionOutcome = z.infer<typeof SessionOutcomeSchema>;

export const VERSION_GROUPS = ["baseline", "canary"] as const;
export const VersionGroupSchema = z.enum(VERSION_GROUPS);
export type VersionGroup = z.infer<typeof VersionGroupSchema>;
