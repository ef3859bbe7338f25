import { datasetProviderId, lookUpDataset } from "./dataset.js";
import type { CallCost, ModelPrice, PriceTable, TokenUsage } from "./schema.js";

/** Resolutions are kept this long, so a runtime refresh of the dataset (its updatePrices()) is picked up. */
export const RESOLUTION_TTL_MS = 10 * 60_000;
/** Model names come from responses: bound what an odd server could make us remember. */
export const MAX_RESOLUTIONS = 2_000;

export interface PriceBookOptions {
  /** `false` prices only what the overrides name (no dataset). */
  includeDefaults?: boolean | undefined;
  /** The clock (ms) the resolution cache ages by. Default: Date.now. */
  now?: (() => number) | undefined;
}

/** How a model is priced: by a function of its usage, not at all, or not because its dataset entry was refused (and why). */
type Pricing = { readonly price: (usage: TokenUsage) => number } | { readonly refused: string } | undefined;

interface Resolution {
  readonly pricing: Pricing;
  readonly at: number;
}

function fromTable(price: ModelPrice): (usage: TokenUsage) => number {
  return (usage) => {
    const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
    return ((usage.inputTokens - cached) * price.input + cached * (price.cachedInput ?? price.input) + usage.outputTokens * price.output) / 1_000_000;
  };
}

/**
 * Prices LLM calls: the user's table first (by the name the call reports, or
 * the dataset's id for it), then the maintained dataset of
 * @pydantic/genai-prices. A model neither knows is unpriced, and so is one
 * whose dataset entry is unusable (the cost says why, for the caller's one warning).
 */
export class PriceBook {
  private readonly overrides = new Map<string, ModelPrice>();
  private readonly useDataset: boolean;
  private readonly now: () => number;
  /** By dataset provider and model name: what the dataset is asked depends on nothing else. */
  private readonly resolved = new Map<string, Resolution>();

  constructor(overrides: PriceTable = {}, options: PriceBookOptions = {}) {
    for (const [model, price] of Object.entries(overrides)) this.overrides.set(model.toLowerCase(), price);
    this.useDataset = options.includeDefaults !== false;
    this.now = options.now ?? Date.now;
  }

  /** USD of one call, or why it is unknown. `provider` is the GenAI provider name, which narrows the dataset lookup. */
  cost(model: string, usage: TokenUsage | undefined, provider?: string): CallCost {
    if (!usage) return { known: false, reason: "usage_unknown" };
    const pricing = this.priceFor(model, provider);
    if (!pricing) return { known: false, reason: "unpriced_model" };
    if ("refused" in pricing) return { known: false, reason: "unpriced_model", refused: pricing.refused };
    const usd = pricing.price(usage);
    return Number.isFinite(usd) ? { known: true, usd } : { known: false, reason: "unpriced_model" };
  }

  /** Whether calls of this model have a price. */
  knows(model: string, provider?: string): boolean {
    const pricing = this.priceFor(model, provider);
    return pricing !== undefined && "price" in pricing;
  }

  private priceFor(model: string, provider: string | undefined): Pricing {
    const providerId = datasetProviderId(provider);
    const key = `${providerId}\u0000${model}`;
    const now = this.now();
    const hit = this.resolved.get(key);
    if (hit && now - hit.at < RESOLUTION_TTL_MS) return hit.pricing;
    const pricing = this.resolve(model, providerId);
    if (this.resolved.size >= MAX_RESOLUTIONS) this.resolved.clear();
    this.resolved.set(key, { pricing, at: now });
    return pricing;
  }

  private resolve(model: string, providerId: string | undefined): Pricing {
    const own = this.overrides.get(model.toLowerCase());
    if (own) return { price: fromTable(own) };
    // Nothing to find: neither the dataset's prices nor an override by dataset id.
    if (!this.useDataset && this.overrides.size === 0) return undefined;
    const found = lookUpDataset(model, providerId);
    if (!found) return undefined;
    if ("refused" in found) return found;
    const byId = this.overrides.get(found.modelId.toLowerCase());
    if (byId) return { price: fromTable(byId) };
    return this.useDataset ? { price: found.cost } : undefined;
  }
}
