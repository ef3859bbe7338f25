import { SessionOutcomeSchema } from "@agent-canary/conventions";
import { z } from "zod";
import { READ_AFTER_WRITE } from "./read-after-write.js";

/** Tools are declared by what they do to the world: a candidate may only execute `read` tools. */
export const ToolKindSchema = z.enum(["read", "write"]);
export type ToolKind = z.infer<typeof ToolKindSchema>;

/** One tool call as the agent made it. `intercepted` calls were writes that shadow mode did not execute. */
export const ToolCallRecordSchema = z.object({
  name: z.string(),
  kind: ToolKindSchema.or(z.literal("unknown")),
  /** Left out when the shadow keeps no inputs (keepInputs: false). */
  arguments: z.unknown().optional(),
  intercepted: z.boolean(),
  /** Set when the tool threw (or was unknown); the agent saw the error. */
  error: z.string().optional(),
  /** The key the call touched, for a tool that declares one and a read-after-write to flag. */
  key: z.string().optional(),
  /** Set on a read of a key this run or production had written: see the README's Read-after-write. */
  readAfterWrite: z.enum(READ_AFTER_WRITE).optional(),
});
export type ToolCallRecord = z.infer<typeof ToolCallRecordSchema>;

/**
 * How a run ended. The session outcomes of the conventions, plus `timeout`
 * for a candidate that ran past its shadow timeout.
 */
export const RunOutcomeSchema = z.union([SessionOutcomeSchema, z.literal("timeout")]);
export type RunOutcome = z.infer<typeof RunOutcomeSchema>;

/** What one arm did on one input: the material every comparison works from. */
export const RunRecordSchema = z.object({
  versionHash: z.string(),
  output: z.string(),
  outcome: RunOutcomeSchema,
  toolCalls: z.array(ToolCallRecordSchema),
  /** LLM calls. */
  turns: z.number().int().min(0),
  /** Every action the agent took: LLM calls plus tool calls. */
  steps: z.number().int().min(0),
  /** Null when the agent did not report a cost: unknown is not zero. */
  costUsd: z.number().min(0).nullable(),
  durationMs: z.number().min(0),
  error: z.string().optional(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;
