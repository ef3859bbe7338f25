// Prices after @pydantic/genai-prices' data is refreshed at runtime (its
// updatePrices(), which a user points at a newer data.json): good, tiered and
// malformed entries, and the price book's resolution cache (TTL, bound, key).
import { calcPrice, type ModelInfo, type Provider, updatePrices, waitForUpdate } from "@pydantic/genai-prices";
import { PriceBook } from "@agent-canary/instrumentation";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

const M = 1_000_000;
const TEN_MINUTES = 10 * 60_000;
const usage = (input: number, output: number, cached = 0) => ({ inputTokens: input, outputTokens: output, cachedInputTokens: cached });
const usd = (cost: ReturnType<PriceBook["cost"]>) => (cost.known ? cost.usd : undefined);
const UNPRICED = { known: false, reason: "unpriced_model" };

/** The data the package ships, restored after each test (the dataset is process-wide). */
let shipped: Provider[];
beforeAll(async () => {
  const data = await waitForUpdate();
  if (!data) throw new Error("@pydantic/genai-prices has no provider data");
  shipped = data;
});
afterEach(() => refresh(shipped));

function refresh(providers: Provider[]): void {
  updatePrices(({ setProviderData }) => setProviderData(providers));
}

/** The shipped data with models replaced (by id) or added under their providers, as a newer data.json would carry them. */
function refreshWith(changes: Record<string, Record<string, unknown>[]>): void {
  const data = structuredClone(shipped);
  for (const [providerId, models] of Object.entries(changes)) {
    const provider = data.find((p) => p.id === providerId);
    if (!provider) throw new Error(`no provider ${providerId} in the shipped data`);
    for (const model of models) {
      const at = provider.models.findIndex((m) => m.id === model.id);
      if (at >= 0) provider.models[at] = { ...provider.models[at], ...model } as ModelInfo;
      else provider.models.unshift({ match: { equals: model.id }, ...model } as ModelInfo);
    }
  }
  refresh(data);
}

/** A price book on a clock the test moves. */
function book(overrides: ConstructorParameters<typeof PriceBook>[0] = {}, includeDefaults = true) {
  const clock = { now: Date.parse("2026-11-29T12:00:00Z") };
  const prices = new PriceBook(overrides, { includeDefaults, now: () => clock.now });
  return { prices, clock };
}

/** An unpriced call whose dataset entry was refused, and why (the caller's one warning names it). */
const refused = (why: string) => ({ ...UNPRICED, refused: why });
const RATE_SHAPE = "expected a non-negative number (USD), or tiered prices { base, tiers: [{ start, price }] }";
const DATASET_REJECTS = "Error: Invalid price value for input_mtok: expected a finite non-negative number or valid tiered prices";

describe("a refreshed dataset", () => {
  it("prices a model at its refreshed rates", () => {
    refreshWith({ openai: [{ id: "gpt-4o", prices: { input_mtok: 3, output_mtok: 12, cache_read_mtok: 1.5 } }] });
    const { prices } = book();
    expect(usd(prices.cost("gpt-4o", usage(M, M, M / 2), "openai"))).toBeCloseTo(1.5 + 0.75 + 12, 9);
    expect(usd(prices.cost("gpt-4o-2024-08-06", usage(M, 0), "openai.responses"))).toBeCloseTo(3, 9);
  });

  it("applies refreshed tiers by their start, as the dataset does, in whatever order the data lists them", () => {
    const input_mtok = { base: 2, tiers: [{ start: 500_000, price: 8 }, { start: 200_000, price: 4 }] };
    refreshWith({ openai: [{ id: "gpt-4o", prices: { input_mtok, output_mtok: 10 } }] });
    const { prices } = book();
    for (const [input, rate] of [[100_000, 2], [200_000, 2], [300_000, 4], [500_001, 8]] as const) {
      const ours = usd(prices.cost("gpt-4o", usage(input, 1000), "openai"));
      expect(ours, `${input} input tokens`).toBeCloseTo((input * rate + 1000 * 10) / M, 12);
      expect(ours, `${input} input tokens`).toBeCloseTo(calcPrice({ input_tokens: input, output_tokens: 1000 }, "gpt-4o", { providerId: "openai" })!.total_price, 12);
    }
  });

  it("refuses a malformed rate, naming the model and the field: the call is unpriced, other models keep their prices", () => {
    for (const bad of ["2.5", -1, null, { base: 2 }, { base: 2, tiers: [{ start: 1000 }] }, { base: "2", tiers: [] }]) {
      refreshWith({ openai: [{ id: "gpt-4o", prices: { input_mtok: bad, output_mtok: 10 } }] });
      const { prices } = book();
      expect(prices.cost("gpt-4o", usage(M, M), "openai"), JSON.stringify(bad)).toEqual(refused(DATASET_REJECTS));
      expect(prices.knows("gpt-4o", "openai")).toBe(false);
      expect(usd(prices.cost("gpt-4o-mini", usage(M, 0), "openai"))).toBeCloseTo(0.15, 9);
    }
  });

  it("refuses a rate of a price key the dataset does not know, and a model without its dataset id, naming every field", () => {
    refreshWith({ openai: [{ id: "gpt-4o", prices: { input_mtok: 2.5, output_mtok: 10, input_hologram_mtok: "soon" } }] });
    const first = book();
    expect(first.prices.cost("gpt-4o", usage(M, M), "openai")).toEqual(refused(`prices.input_hologram_mtok: ${RATE_SHAPE}`));

    refreshWith({ openai: [{ id: "gpt-4o", match: { equals: "gpt-4o" } }, { id: "", match: { equals: "house-model" }, prices: { input_mtok: 1, input_hologram_mtok: "soon" } }] });
    const second = book();
    expect(second.prices.cost("house-model", usage(M, 0), "openai")).toEqual(refused(`id: expected the model's dataset id (a non-empty string); prices.input_hologram_mtok: ${RATE_SHAPE}`));
  });

  it("refuses a model whose later dated prices are malformed before that date comes, though today's are good", () => {
    const dated = [{ prices: { input_mtok: 1, output_mtok: 2 } }, { constraint: { start_date: "2099-01-01" }, prices: { input_mtok: { base: 1, tiers: "soon" } } }];
    refreshWith({ openai: [{ id: "gpt-4o", prices: dated }] });
    // The dataset itself prices today's entry and would fail only in 2099.
    expect(calcPrice({ input_tokens: M, output_tokens: 0 }, "gpt-4o", { providerId: "openai" })?.total_price).toBeCloseTo(1, 9);
    const { prices } = book();
    expect(prices.cost("gpt-4o", usage(M, 0), "openai")).toEqual(refused(`prices.1.prices.input_mtok: ${RATE_SHAPE}`));
  });

  it("prices a model with good dated prices by the entry in force", () => {
    const dated = [{ prices: { input_mtok: 1, output_mtok: 2 } }, { constraint: { start_date: "2020-01-01" }, prices: { input_mtok: 4, output_mtok: 8 } }];
    refreshWith({ openai: [{ id: "gpt-4o", prices: dated }] });
    const { prices } = book();
    expect(usd(prices.cost("gpt-4o", usage(M, M), "openai"))).toBeCloseTo(12, 9);
  });

  it("says why on every call of a refused model, from its cached resolution as from a fresh one", () => {
    refreshWith({ openai: [{ id: "gpt-4o", prices: { input_mtok: "x" } }, { id: "gpt-4o-mini", prices: { output_mtok: "y", input_mtok: 1 } }] });
    const { prices, clock } = book();
    for (let i = 0; i < 3; i++) {
      expect(prices.cost("gpt-4o", usage(M, 0), "openai"), `round ${i}`).toEqual(refused(DATASET_REJECTS));
      expect(prices.cost("gpt-4o", usage(M, 0), "openai"), `round ${i}, cached`).toEqual(refused(DATASET_REJECTS));
      expect(prices.cost("gpt-4o-mini", usage(M, 0), "openai"), `round ${i}`).toEqual(
        refused("Error: Invalid price value for output_mtok: expected a finite non-negative number or valid tiered prices"),
      );
      clock.now += TEN_MINUTES;
    }
  });

  it("keeps the user's prices over a refreshed dataset: by name without reading it, by its id when the entry is usable", () => {
    refreshWith({ openai: [{ id: "gpt-4o", prices: { input_mtok: 3, output_mtok: 12 } }] });
    const own = book({ "gpt-4o": { input: 1, output: 1 } });
    expect(usd(own.prices.cost("gpt-4o-2024-08-06", usage(M, M), "openai"))).toBeCloseTo(2, 9);
    refreshWith({ openai: [{ id: "gpt-4o", prices: { input_mtok: "x" } }] });
    const again = book({ "gpt-4o": { input: 1, output: 1 } });
    expect(usd(again.prices.cost("gpt-4o", usage(M, M), "openai"))).toBeCloseTo(2, 9);
    expect(again.prices.cost("gpt-4o-2024-08-06", usage(M, M), "openai")).toEqual(refused(DATASET_REJECTS));
  });

  it("is not read by a book without the dataset and without prices of its own, so a bad entry is not reported", () => {
    refreshWith({ openai: [{ id: "gpt-4o", prices: { input_mtok: "x" } }] });
    const { prices } = book({}, false);
    expect(prices.cost("gpt-4o", usage(M, 0), "openai")).toEqual(UNPRICED);
  });
});

describe("the price book's resolutions", () => {
  it("are reused for ten minutes, then looked up again (picking up a refreshed dataset)", () => {
    const { prices, clock } = book();
    const start = clock.now;
    expect(usd(prices.cost("gpt-4o", usage(M, 0), "openai"))).toBeCloseTo(2.5, 9);
    refreshWith({ openai: [{ id: "gpt-4o", prices: { input_mtok: 3, output_mtok: 12 } }] });
    clock.now = start + TEN_MINUTES - 1;
    expect(usd(prices.cost("gpt-4o", usage(M, 0), "openai"))).toBeCloseTo(2.5, 9);
    clock.now = start + TEN_MINUTES;
    expect(usd(prices.cost("gpt-4o", usage(M, 0), "openai"))).toBeCloseTo(3, 9);
    // The new resolution is kept from when it was made.
    refreshWith({ openai: [{ id: "gpt-4o", prices: { input_mtok: 4, output_mtok: 12 } }] });
    clock.now = start + 2 * TEN_MINUTES - 1;
    expect(usd(prices.cost("gpt-4o", usage(M, 0), "openai"))).toBeCloseTo(3, 9);
    clock.now = start + 2 * TEN_MINUTES;
    expect(usd(prices.cost("gpt-4o", usage(M, 0), "openai"))).toBeCloseTo(4, 9);
  });

  it("are kept per provider: one name under two providers has each one's price", () => {
    refreshWith({
      openai: [{ id: "house-model", prices: { input_mtok: 1 } }],
      anthropic: [{ id: "house-model", prices: { input_mtok: 2 } }],
    });
    const { prices } = book();
    expect(usd(prices.cost("house-model", usage(M, 0), "anthropic"))).toBeCloseTo(2, 9);
    expect(usd(prices.cost("house-model", usage(M, 0), "openai"))).toBeCloseTo(1, 9);
    expect(usd(prices.cost("house-model", usage(M, 0), "openai.chat"))).toBeCloseTo(1, 9);
    expect(usd(prices.cost("house-model", usage(M, 0), "anthropic.messages"))).toBeCloseTo(2, 9);
    // No provider: the dataset matches the name alone, and no provider claims it.
    expect(prices.cost("house-model", usage(M, 0))).toEqual(UNPRICED);
  });

  it("hold at most 2,000 names, starting afresh past that, and keep answering right", () => {
    const { prices } = book();
    expect(usd(prices.cost("gpt-4o", usage(M, 0), "openai"))).toBeCloseTo(2.5, 9);
    refreshWith({ openai: [{ id: "gpt-4o", prices: { input_mtok: 3, output_mtok: 12 } }] });
    for (let i = 1; i < 2_000; i++) expect(prices.cost(`in-house-${i}`, usage(M, 0), "openai")).toEqual(UNPRICED);
    // 2,000 held: the first resolution is still the one used.
    expect(usd(prices.cost("gpt-4o", usage(M, 0), "openai"))).toBeCloseTo(2.5, 9);
    expect(prices.cost("in-house-2000", usage(M, 0), "openai")).toEqual(UNPRICED);
    // The 2,001st name started the cache afresh: gpt-4o is looked up again.
    expect(usd(prices.cost("gpt-4o", usage(M, 0), "openai"))).toBeCloseTo(3, 9);
    expect(prices.cost("in-house-1", usage(M, 0), "openai")).toEqual(UNPRICED);
  });
});
