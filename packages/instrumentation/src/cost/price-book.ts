import { consoleLogger, OnceLogger } from "../telemetry/logger.js";
import { datasetProviderId, lookUpDataset } from "./dataset.js";
import type { CallCost, ModelPrice, PriceTable, TokenUsage } from "./schema.js";

/** Resolutions are kept this long, so a runtime refresh of the dataset (its updatePrices()) is picked up. */
export const RESOLUTION_TTL_MS = 10 * 60_000;
/** Model names come from responses: bound what an odd server could make us remember. */
export const MAX_RESOLUTIONS = 2_000;

export interface PriceBookOptions {
  /** `false` prices only what the overrides name (no dataset). */
  includeDefaults?: boolean | undefined;
  /** Where unusable dataset entries are reported, once per model and problem. Default: the console. */
  log?: Pick<OnceLogger, "warnOnce"> | undefined;
  /** The clock (ms) the resolution cache ages by. Default: Date.now. */
  now?: (() => number) | undefined;
}

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
 * @pydantic/genai-prices. A model neither knows is unpriced, and so is one
 * whose dataset entry is unusable (with a warning saying why).
 */
export class PriceBook {
  private readonly overrides = new Map<string, ModelPrice>();
  private readonly useDataset: boolean;
  private readonly log: Pick<OnceLogger, "warnOnce">;
  private readonly now: () => number;
  /** By dataset provider and model name: what the dataset is asked depends on nothing else. */
  private readonly resolved = new Map<string, Resolution>();

  constructor(overrides: PriceTable = {}, options: PriceBookOptions = {}) {
    for (const [model, price] of Object.entries(overrides)) this.overrides.set(model.toLowerCase(), price);
    this.useDataset = options.includeDefaults !== false;
    this.log = options.log ?? new OnceLogger(consoleLogger);
    this.now = options.now ?? Date.now;
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
    const providerId = datasetProviderId(provider);
    const key = `${providerId}\u0000${model}`;
    const now = this.now();
    const hit = this.resolved.get(key);
    if (hit && now - hit.at < RESOLUTION_TTL_MS) return hit.price;
    const price = this.resolve(model, providerId);
    if (this.resolved.size >= MAX_RESOLUTIONS) this.resolved.clear();
    this.resolved.set(key, { price, at: now });
    return price;
  }

  private resolve(model: string, providerId: string | undefined): ((usage: TokenUsage) => number) | undefined {
    const own = this.overrides.get(model.toLowerCase());
    if (own) return fromTable(own);
    // Nothing to find: neither the dataset's prices nor an override by dataset id.
    if (!this.useDataset && this.overrides.size === 0) return undefined;
    const found = lookUpDataset(model, providerId);
    if (!found) return undefined;
    if ("problem" in found) {
      this.log.warnOnce(`price-data:${found.problem}`, found.problem);
      return undefined;
    }
    const byId = this.overrides.get(found.modelId.toLowerCase());
    if (byId) return fromTable(byId);
    return this.useDataset ? found.cost : undefined;
  }
}
