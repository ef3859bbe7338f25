import { z } from "zod";

/** USD per one million tokens. `cachedInput` defaults to `input` when a provider has no cache discount. */
export const ModelPriceSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cachedInput: z.number().nonnegative().optional(),
});
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

export const PriceTableSchema = z.record(z.string().min(1), ModelPriceSchema);
export type PriceTable = z.infer<typeof PriceTableSchema>;

/**
 * List prices in USD per 1M tokens (input / output / cached input), as published
 * by OpenAI and Anthropic on their pricing pages, checked 2025-11-15. Standard
 * tier, no batch discount. Providers change these: override or extend them with
 * the `prices` option rather than editing this table.
 */
export const DEFAULT_PRICES: PriceTable = {
  "gpt-5": { input: 1.25, output: 10, cachedInput: 0.125 },
  "gpt-5-mini": { input: 0.25, output: 2, cachedInput: 0.025 },
  "gpt-5-nano": { input: 0.05, output: 0.4, cachedInput: 0.005 },
  "gpt-4.1": { input: 2, output: 8, cachedInput: 0.5 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6, cachedInput: 0.1 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4, cachedInput: 0.025 },
  "gpt-4o": { input: 2.5, output: 10, cachedInput: 1.25 },
  "gpt-4o-mini": { input: 0.15, output: 0.6, cachedInput: 0.075 },
  o3: { input: 2, output: 8, cachedInput: 0.5 },
  "o3-mini": { input: 1.1, output: 4.4, cachedInput: 0.55 },
  "o4-mini": { input: 1.1, output: 4.4, cachedInput: 0.275 },
  "claude-opus-4-5": { input: 5, output: 25, cachedInput: 0.5 },
  "claude-opus-4-1": { input: 15, output: 75, cachedInput: 1.5 },
  "claude-opus-4": { input: 15, output: 75, cachedInput: 1.5 },
  "claude-sonnet-4-5": { input: 3, output: 15, cachedInput: 0.3 },
  "claude-sonnet-4": { input: 3, output: 15, cachedInput: 0.3 },
  "claude-3-7-sonnet": { input: 3, output: 15, cachedInput: 0.3 },
  "claude-3-5-sonnet": { input: 3, output: 15, cachedInput: 0.3 },
  "claude-haiku-4-5": { input: 1, output: 5, cachedInput: 0.1 },
  "claude-3-5-haiku": { input: 0.8, output: 4, cachedInput: 0.08 },
  "claude-3-haiku": { input: 0.25, output: 1.25, cachedInput: 0.03 },
};

/** Token counts of one LLM call. `inputTokens` includes `cachedInputTokens`. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

export type CallCost = { known: true; usd: number } | { known: false; reason: "unpriced_model" | "usage_unknown" };

/**
 * Looks prices up by exact model name, then by the longest table key the model
 * starts with followed by "-", so dated snapshots ("gpt-4o-2024-08-06",
 * "claude-sonnet-4-5-20250929") find their family price.
 */
export class PriceBook {
  private readonly table: PriceTable;
  private readonly keysLongestFirst: string[];

  constructor(overrides: PriceTable = {}, options: { includeDefaults?: boolean } = {}) {
    this.table = { ...(options.includeDefaults === false ? {} : DEFAULT_PRICES), ...overrides };
    this.keysLongestFirst = Object.keys(this.table).sort((a, b) => b.length - a.length);
  }

  priceOf(model: string): ModelPrice | undefined {
    const exact = this.table[model];
    if (exact) return exact;
    const key = this.keysLongestFirst.find((k) => model.startsWith(`${k}-`));
    return key === undefined ? undefined : this.table[key];
  }

  cost(model: string, usage: TokenUsage | undefined): CallCost {
    if (!usage) return { known: false, reason: "usage_unknown" };
    const price = this.priceOf(model);
    if (!price) return { known: false, reason: "unpriced_model" };
    const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
    const usd =
      ((usage.inputTokens - cached) * price.input +
        cached * (price.cachedInput ?? price.input) +
        usage.outputTokens * price.output) /
      1_000_000;
    return { known: true, usd };
  }
}
