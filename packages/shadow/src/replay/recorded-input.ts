import { z } from "zod";
import { RunRecordSchema } from "../run/run-record.js";

/**
 * One line of a recorded-inputs file: a production input and, when the live
 * shadow recorded it, what production did with it. Replay compares the
 * candidate against that recorded run, so production is not run (and does not
 * write) again.
 */
export const RecordedInputSchema = z.object({
  id: z.string().min(1, "id must be a non-empty request id"),
  at: z.iso.datetime({ message: "at must be an ISO 8601 timestamp, e.g. 2026-11-22T03:00:00Z" }).optional(),
  tenant: z.string().optional(),
  route: z.string().optional(),
  /** The value the agent was called with (required; checked by the reader, since JSON has no undefined). */
  input: z.unknown(),
  production: RunRecordSchema.optional(),
});
export type RecordedInput = z.infer<typeof RecordedInputSchema>;
