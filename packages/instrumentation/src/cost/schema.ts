import { z } from "zod";

/** USD per one million tokens. `cachedInput` defaults to `input` when a provider has no cache discount. */
export const ModelPriceSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cachedInput: z.number().nonnegative().optional(),
});
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

/**
 * User prices by model name, over the maintained dataset. A key matches the
 * model name a call reports, or the dataset's id for it (so "gpt-4o" also
 * prices "gpt-4o-2024-08-06", which the dataset knows as gpt-4o).
 */
export const PriceTableSchema = z.record(z.string().min(1), ModelPriceSchema);
export type PriceTable = z.infer<typeof PriceTableSchema>;

/** Token counts of one LLM call. `inputTokens` includes the cached and cache-write tokens. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** Input tokens written to the provider's prompt cache (Anthropic, Bedrock), billed at their own rate. */
  cacheWriteInputTokens?: number | undefined;
}

/**
 * What a call cost, or why that is unknown. `refused` says why the dataset's entry for the
 * model could not be used (a malformed refresh), so the one warning about the call can name it.
 */
export type CallCost =
  | { known: true; usd: number }
  | { known: false; reason: "usage_unknown" }
  | { known: false; reason: "unpriced_model"; refused?: string };
