import { calcPrice, type ModelInfo, type ModelPrice as DatasetModelPrice, type Provider } from "@pydantic/genai-prices";
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
  return DATASET_PROVIDER[name] ?? DATASET_PROVIDER[name.split(".")[0] ?? ""];
}

/** What a model resolved to in the dataset: its id (for user overrides) and how to price a call. */
export interface DatasetPrice {
  readonly modelId: string;
  readonly cost: (usage: TokenUsage) => number;
}

const PER_MILLION = 1_000_000;

/** The keys a plain token call is charged on; anything else (audio, searches) needs usage we never pass. */
const TOKEN_KEYS = ["input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "requests_kcount"] as const;
type TokenKey = (typeof TOKEN_KEYS)[number];

/** A rate that is a number, or tiered by the call's total input tokens (long-context pricing). */
type Rate = number | { base: number; tiers: { start: number; price: number }[] };

function isRate(value: unknown): value is Rate {
  if (typeof value === "number") return Number.isFinite(value);
  const v = value as { base?: unknown; tiers?: unknown } | undefined;
  return typeof v?.base === "number" && Array.isArray(v.tiers) && v.tiers.every((t: { start?: unknown; price?: unknown }) => typeof t.start === "number" && typeof t.price === "number");
}

/** The dataset's tier rule: the last tier whose start the call's total input tokens exceed. */
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
 * microsecond instead of the dataset's ~40 µs lookup per call. Prices that
 * change by date or time of day are left to the dataset's own calculator.
 */
function tokenPrice(price: DatasetModelPrice): ((usage: TokenUsage) => number) | undefined {
  const rates: Partial<Record<TokenKey, Rate>> = {};
  for (const key of TOKEN_KEYS) {
    const value: unknown = price[key];
    if (value === undefined) continue;
    if (!isRate(value)) return undefined;
    rates[key] = value;
  }
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

/** The dataset's calculator on a provider holding only this model: slower, exact for tiers and conditional prices. */
function datasetCalculator(provider: Provider, model: ModelInfo, name: string): (usage: TokenUsage) => number {
  const single: Provider = { ...provider, models: [model], fallback_model_providers: [] };
  return (usage) => calcPrice(datasetUsage(usage), name, { provider: single })?.total_price ?? Number.NaN;
}

/**
 * Looks a model up in @pydantic/genai-prices. Undefined when the dataset does
 * not know it: such a call is unpriced, never charged as a model with a
 * shorter name.
 */
export function lookUpDataset(model: string, provider: string | undefined): DatasetPrice | undefined {
  const providerId = datasetProviderId(provider);
  const unit = { input_tokens: 1, output_tokens: 1 };
  let found = calcPrice(unit, model, providerId ? { providerId } : {});
  // A provider the dataset knows but whose list lacks the model (an OpenAI-compatible
  // server behind the openai SDK) falls back to the model name alone.
  if (!found && providerId) found = calcPrice(unit, model);
  if (!found) return undefined;
  const conditional = Array.isArray(found.model.prices);
  const cost = (!conditional && tokenPrice(found.model_price)) || datasetCalculator(found.provider, found.model, model);
  return { modelId: found.model.id, cost };
}
