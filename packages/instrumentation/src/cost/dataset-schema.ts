import { z } from "zod";

/**
 * The shapes agent-canary reads from @pydantic/genai-prices' data. That data is
 * an input: updatePrices() replaces it at runtime with whatever its source
 * serves, so a model entry is checked here before it prices a call.
 */

/** USD per unit (per 1M tokens, per 1k requests). zod numbers are finite. */
const usd = z.number().nonnegative();

/** Long-context pricing: `base` up to the first tier's start, then the price of the last tier whose start the call's input exceeds. */
const TieredRateSchema = z.object({
  base: usd,
  // The dataset sorts tiers before applying them; a refreshed file need not list them in order.
  tiers: z.array(z.object({ start: z.number().int().nonnegative(), price: usd })).transform((tiers) => tiers.toSorted((a, b) => a.start - b.start)),
});

export const RateSchema = z.union([usd, TieredRateSchema], {
  error: "expected a non-negative number (USD), or tiered prices { base, tiers: [{ start, price }] }",
});
export type Rate = z.output<typeof RateSchema>;

/**
 * A model's rates by price key ("input_mtok", "requests_kcount", ...). Every key
 * is checked, also those a token call is not charged on, so bad data is refused
 * when the model is looked up rather than failing a later call.
 */
const RatesSchema = z.record(z.string(), RateSchema.optional());
export type Rates = z.output<typeof RatesSchema>;

const modelId = z.string().min(1, "expected the model's dataset id (a non-empty string)");

/** A model with one set of rates. */
export const PlainModelSchema = z.object({ id: modelId, prices: RatesSchema });

/** A model whose rates change by date or time of day: the dataset picks one entry per call, so every entry is checked. */
export const ConditionalModelSchema = z.object({ id: modelId, prices: z.array(z.object({ prices: RatesSchema })).min(1) });

/** "prices.input_mtok: expected ...; id: expected ..." */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
}
