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
const LINEAR_KEYS = new Set(["input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "requests_kcount"]);

function datasetUsage(usage: TokenUsage): Record<string, number> {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_read_tokens: Math.min(usage.cachedInputTokens, usage.inputTokens),
    cache_write_tokens: Math.min(usage.cacheWriteInputTokens ?? 0, usage.inputTokens),
  };
}

/**
 * A price of plain numbers per token kind, computed here in a few ns instead of
 * the dataset's ~40 µs lookup per call. Tiered (long-context) and time-of-day
 * prices are left to the dataset's own calculator.
 */
function linearPrice(price: DatasetModelPrice): ((usage: TokenUsage) => number) | undefined {
  const n: Record<string, number> = {};
  for (const [key, value] of Object.entries(price)) {
    if (value === undefined) continue;
    if (typeof value !== "number") {
      // A tiered price on a key a token call uses cannot be computed linearly.
      if (LINEAR_KEYS.has(key)) return undefined;
      continue;
    }
    n[key] = value;
  }
  const input = n.input_mtok ?? 0;
  const output = n.output_mtok ?? 0;
  const cacheRead = n.cache_read_mtok ?? input;
  const cacheWrite = n.cache_write_mtok ?? input;
  const perRequest = (n.requests_kcount ?? 0) / 1000;
  return (usage) => {
    const read = Math.min(usage.cachedInputTokens, usage.inputTokens);
    const write = Math.min(usage.cacheWriteInputTokens ?? 0, usage.inputTokens - read);
    const uncached = usage.inputTokens - read - write;
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
  const cost = (!conditional && linearPrice(found.model_price)) || datasetCalculator(found.provider, found.model, model);
  return { modelId: found.model.id, cost };
}
