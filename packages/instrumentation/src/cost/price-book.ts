import { lookUpDataset, type DatasetPrice } from "./dataset.js";
import type { CallCost, ModelPrice, PriceTable, TokenUsage } from "./schema.js";

/** Resolutions are kept this long, so a runtime refresh of the dataset (its updatePrices()) is picked up. */
const RESOLUTION_TTL_MS = 10 * 60_000;
/** Model names come from responses: bound what an odd server could make us remember. */
const MAX_RESOLUTIONS = 2_000;

interface Resolution {
  readonly price: ((usage: TokenUsage) => number) | undefined;
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
 * @pydantic/genai-prices. A model neither knows is unpriced.
 */
export class PriceBook {
  private readonly overrides = new Map<string, ModelPrice>();
  private readonly useDataset: boolean;
  private readonly resolved = new Map<string, Resolution>();

  /** `includeDefaults: false` prices only what `overrides` names (no dataset). */
  constructor(overrides: PriceTable = {}, options: { includeDefaults?: boolean } = {}) {
    for (const [model, price] of Object.entries(overrides)) this.overrides.set(model.toLowerCase(), price);
    this.useDataset = options.includeDefaults !== false;
  }

  /** USD of one call, or why it is unknown. `provider` is the GenAI provider name, which narrows the dataset lookup. */
  cost(model: string, usage: TokenUsage | undefined, provider?: string): CallCost {
    if (!usage) return { known: false, reason: "usage_unknown" };
    const price = this.priceFor(model, provider);
    if (!price) return { known: false, reason: "unpriced_model" };
    const usd = price(usage);
    return Number.isFinite(usd) ? { known: true, usd } : { known: false, reason: "unpriced_model" };
  }

  /** Whether calls of this model have a price. */
  knows(model: string, provider?: string): boolean {
    return this.priceFor(model, provider) !== undefined;
  }

  private priceFor(model: string, provider: string | undefined): ((usage: TokenUsage) => number) | undefined {
    const key = `${provider ?? ""}\u0000${model}`;
    const now = Date.now();
    const hit = this.resolved.get(key);
    if (hit && now - hit.at < RESOLUTION_TTL_MS) return hit.price;
    const price = this.resolve(model, provider);
    if (this.resolved.size >= MAX_RESOLUTIONS) this.resolved.clear();
    this.resolved.set(key, { price, at: now });
    return price;
  }

  private resolve(model: string, provider: string | undefined): ((usage: TokenUsage) => number) | undefined {
    const own = this.overrides.get(model.toLowerCase());
    if (own) return fromTable(own);
    if (!this.useDataset && this.overrides.size === 0) return undefined;
    const found: DatasetPrice | undefined = lookUpDataset(model, provider);
    if (!found) return undefined;
    const byId = this.overrides.get(found.modelId.toLowerCase());
    if (byId) return fromTable(byId);
    return this.useDataset ? found.cost : undefined;
  }
}
