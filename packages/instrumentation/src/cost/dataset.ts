import { calcPrice, type ModelInfo, type PriceCalculationResult, type Provider } from "@pydantic/genai-prices";
import { ConditionalModelSchema, describeIssues, PlainModelSchema, type Rate, type Rates } from "./dataset-schema.js";
import type { TokenUsage } from "./schema.js";

/**
 * GenAI semantic-convention provider names (gen_ai.provider.name), and the
 * provider ids the AI SDK reports ("openai.responses", "amazon-bedrock"), to
 * the dataset's provider ids. A provider not listed is matched by model name.
 */
const DATASET_PROVIDER: Record<string, string> = {
  openai: "openai",
  "azure.ai.openai": "azure",
  azure: "azure",
  anthropic: "anthropic",
  "gcp.gemini": "google",
  "gcp.vertex_ai": "google",
  "gcp.gen_ai": "google",
  google: "google",
  "aws.bedrock": "aws",
  "amazon-bedrock": "aws",
  bedrock: "aws",
  mistral_ai: "mistral",
  mistral: "mistral",
  groq: "groq",
  deepseek: "deepseek",
  x_ai: "x-ai",
  xai: "x-ai",
  cohere: "cohere",
  perplexity: "perplexity",
};

/** The dataset provider id for a reported provider name: exact, then its part before the first "." (AI SDK "openai.chat"). */
export function datasetProviderId(provider: string | undefined): string | undefined {
  if (!provider) return undefined;
  const name = provider.toLowerCase();
  return DATASET_PROVIDER[name] ?? DATASET_PROVIDER[name.split(".")[0] ?? name];
}

/**
 * What looking a model up in the dataset gave: a price (with the model's dataset
 * id, for user overrides), or why the model's data cannot be used.
 */
export type DatasetLookup = { readonly modelId: string; readonly cost: (usage: TokenUsage) => number } | { readonly refused: string };

const PER_MILLION = 1_000_000;

/** The keys a plain token call is charged on; anything else (audio, searches) needs usage we never pass. */
const TOKEN_KEYS = ["input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "requests_kcount"] as const;
type TokenKey = (typeof TOKEN_KEYS)[number];

/** The dataset's tier rule: the last tier (by start) whose start the call's total input tokens exceed. */
function rateAt(rate: Rate | undefined, totalInput: number): number | undefined {
  if (rate === undefined || typeof rate === "number") return rate;
  let price = rate.base;
  for (const tier of rate.tiers) if (totalInput > tier.start) price = tier.price;
  return price;
}

function datasetUsage(usage: TokenUsage): Record<string, number> {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_read_tokens: Math.min(usage.cachedInputTokens, usage.inputTokens),
    cache_write_tokens: Math.min(usage.cacheWriteInputTokens ?? 0, usage.inputTokens),
  };
}

/**
 * Per-token-kind rates (plain or tiered) computed here in well under a
 * microsecond instead of the dataset's ~40 µs lookup per call.
 */
function tokenPrice(prices: Rates): (usage: TokenUsage) => number {
  const rates: Partial<Record<TokenKey, Rate>> = {};
  for (const key of TOKEN_KEYS) rates[key] = prices[key];
  return (usage) => {
    const total = usage.inputTokens;
    const input = rateAt(rates.input_mtok, total) ?? 0;
    const cacheRead = rateAt(rates.cache_read_mtok, total) ?? input;
    const cacheWrite = rateAt(rates.cache_write_mtok, total) ?? input;
    const output = rateAt(rates.output_mtok, total) ?? 0;
    const read = Math.min(usage.cachedInputTokens, total);
    const write = Math.min(usage.cacheWriteInputTokens ?? 0, total - read);
    const uncached = total - read - write;
    const perRequest = (rateAt(rates.requests_kcount, total) ?? 0) / 1000;
    return (uncached * input + read * cacheRead + write * cacheWrite + usage.outputTokens * output) / PER_MILLION + perRequest;
  };
}

/**
 * Prices that change by date or time of day: the dataset's own calculator, on a
 * provider holding only this model (it matches `name`, as it just did). Without
 * fallback providers: a name this model matches only in its dated form
 * ("-2024-08-06") must not go to a fallback provider's model first.
 */
function datasetCalculator(provider: Provider, model: ModelInfo, name: string): (usage: TokenUsage) => number {
  const single: Provider = { ...provider, models: [model], fallback_model_providers: [] };
  return (usage) => calcPrice(datasetUsage(usage), name, { provider: single })?.total_price ?? Number.NaN;
}


/** The dataset's match for the name: under the provider, else (an OpenAI-compatible server behind the openai SDK) by the name alone. */
function findInDataset(model: string, providerId: string | undefined): PriceCalculationResult {
  // No usage: only the match is wanted; the dataset still checks the matched rates and throws on bad ones.
  // Without a provider the retry repeats the same lookup: a miss, cached by the price book.
  return calcPrice({}, model, { providerId }) ?? calcPrice({}, model);
}

/**
 * Looks a model up in @pydantic/genai-prices, under a dataset provider id
 * (datasetProviderId()) when the call's provider has one. Undefined when the dataset does
 * not know it: such a call is unpriced, never charged as a model with a
 * shorter name. Refused when the model's data (maybe refreshed at runtime by
 * updatePrices()) does not have the shape prices are read from.
 */
export function lookUpDataset(model: string, providerId: string | undefined): DatasetLookup | undefined {
  let found: PriceCalculationResult;
  try {
    found = findInDataset(model, providerId);
  } catch (error) {
    return { refused: String(error) };
  }
  if (!found) return undefined;
  if (Array.isArray(found.model.prices)) {
    const parsed = ConditionalModelSchema.safeParse(found.model);
    if (!parsed.success) return { refused: describeIssues(parsed.error) };
    return { modelId: parsed.data.id, cost: datasetCalculator(found.provider, found.model, model) };
  }
  const parsed = PlainModelSchema.safeParse(found.model);
  if (!parsed.success) return { refused: describeIssues(parsed.error) };
  return { modelId: parsed.data.id, cost: tokenPrice(parsed.data.prices) };
}
