import { z } from "zod";

export const GuardsSchema = z
  .object({
    /** enforce: a trip ends the session and throws; record: a trip is only recorded. */
    mode: z.enum(["enforce", "record"]).default("enforce"),
    loop: z
      .object({
        enabled: z.boolean().default(true),
        maxCycleLength: z.number().int().min(1).max(20).default(3),
        repeats: z.number().int().min(2).max(100).default(3),
      })
      .prefault({}),
    /** USD a session may spend; unset means no budget. */
    budgetUsd: z.number().positive().optional(),
    /** LLM calls a session may make; unset means no limit. */
    maxTurns: z.number().int().positive().optional(),
  })
  .prefault({});
export type GuardsConfig = z.output<typeof GuardsSchema>;
export type GuardsOptions = z.input<typeof GuardsSchema>;
