import { SHADOW_SOURCES } from "@agent-canary/conventions";
import { z } from "zod";
import { DivergenceSchema } from "../compare/divergence.js";
import { JudgementSchema } from "../compare/judge.js";
import { KeyMetricComparisonSchema } from "../compare/key-metrics.js";
import { SimilaritySchema } from "../compare/similarity.js";
import { RunRecordSchema } from "../run/run-record.js";

/** One line of a comparisons file: a production run, the candidate's run on the same input, and how they compare. */
export const ComparisonRecordSchema = z.object({
  schemaVersion: z.literal(1),
  /** The request id: given by the caller or generated. */
  id: z.string().min(1),
  at: z.iso.datetime(),
  deployment: z.string(),
  /** live: shadowed beside production; replay: a recorded input run against the candidate later. */
  source: z.enum(SHADOW_SOURCES),
  tenant: z.string().optional(),
  route: z.string().optional(),
  /** Left out when the shadow was told not to keep inputs. */
  input: z.unknown().optional(),
  /**
   * Set when the shadow kept no inputs (keepInputs: false): outputs are empty, tool
   * calls have no arguments, and error messages not raised by the shadow are withheld.
   */
  withheld: z.literal(true).optional(),
  production: RunRecordSchema,
  candidate: RunRecordSchema,
  similarity: SimilaritySchema,
  keyMetrics: KeyMetricComparisonSchema,
  divergences: z.array(DivergenceSchema),
  judge: JudgementSchema.nullable(),
});
export type ComparisonRecord = z.infer<typeof ComparisonRecordSchema>;
