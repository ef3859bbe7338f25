// Cost accounting rules a user's cost gate depends on: which dataset provider a
// reported provider name means, the long-context tier boundary, cache tokens never
// charged twice, and the user's own price table. Written against the survivors of
// mutation testing (issue 14; scripts/mutation.sh instrumentation).
import { calcPrice, findProvider } from "@pydantic/genai-prices";
import { PriceBook } from "@agent-canary/instrumentation";
import { describe, expect, it } from "vitest";
import { datasetProviderId } from "../src/cost/dataset.js";

const M = 1_000_000;
const usage = (input: number, output: number, cached = 0, cacheWrite?: number) => ({ inputTokens: input, outputTokens: output, cachedInputTokens: cached, ...(cacheWrite === undefined ? {} : { cacheWriteInputTokens: cacheWrite }) });
const usd = (cost: ReturnType<PriceBook["cost"]>) => (cost.known ? cost.usd : undefined);

describe("provider names", () => {
  it("map the GenAI convention's and the AI SDK's provider names to the dataset's providers", () => {
    const expected: Record<string, string> = {
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
    for (const [name, id] of Object.entries(expected)) {
      expect(datasetProviderId(name), name).toBe(id);
      // Every target is a provider the dataset really has.
      expect(findProvider({ providerId: id }), id).toBeDefined();
    }
  });

  it("ignore case, read the AI SDK's 'provider.api' form by its first part, and leave unknown providers to the model name", () => {
    expect(datasetProviderId("OpenAI")).toBe("openai");
    expect(datasetProviderId("openai.responses")).toBe("openai");
    expect(datasetProviderId("anthropic.messages")).toBe("anthropic");
    expect(datasetProviderId("Amazon-Bedrock")).toBe("aws");
    expect(datasetProviderId("in-house")).toBeUndefined();
    expect(datasetProviderId("")).toBeUndefined();
    expect(datasetProviderId(undefined)).toBeUndefined();
  });

  it("a provider that does not list the model (an OpenAI-compatible server) prices it by the model name alone", () => {
    const book = new PriceBook();
    expect(calcPrice({ input_tokens: 1, output_tokens: 1 }, "gpt-4o-mini", { providerId: "groq" })).toBeNull();
    expect(usd(book.cost("gpt-4o-mini", usage(M, 0), "groq"))).toBeCloseTo(0.15, 9);
    expect(usd(book.cost("gpt-4o-mini", usage(M, 0), "my-gateway"))).toBeCloseTo(0.15, 9);
  });
});

describe("dataset prices", () => {
  const book = new PriceBook();
  const datasetPrice = (model: string, providerId: string, input: number, output: number, read = 0, write = 0) =>
    calcPrice({ input_tokens: input, output_tokens: output, cache_read_tokens: read, cache_write_tokens: write }, model, { providerId })?.total_price;

  it("charge the long-context tier only above its start, as the dataset does", () => {
    // claude-sonnet-4-5: $3 / $15 per 1M up to 200k input tokens, $6 / $22.50 above.
    const at = usd(book.cost("claude-sonnet-4-5", usage(200_000, M), "anthropic"));
    const above = usd(book.cost("claude-sonnet-4-5", usage(200_001, M), "anthropic"));
    expect(at).toBeCloseTo((200_000 * 3 + M * 15) / M, 9);
    expect(above).toBeCloseTo((200_001 * 6 + M * 22.5) / M, 9);
    expect(at).toBeCloseTo(datasetPrice("claude-sonnet-4-5", "anthropic", 200_000, M)!, 9);
    expect(above).toBeCloseTo(datasetPrice("claude-sonnet-4-5", "anthropic", 200_001, M)!, 9);
    // Cache reads and writes follow the tier of the call's whole input.
    expect(usd(book.cost("claude-sonnet-4-5", usage(300_000, 0, 100_000, 100_000), "anthropic"))).toBeCloseTo((100_000 * 6 + 100_000 * 0.6 + 100_000 * 7.5) / M, 9);
  });

  it("never charge a cached token twice: reads first, writes only from what is left", () => {
    // claude-haiku-4-5: input $1, cache write $1.25, cache read $0.10, output $5 per 1M.
    expect(usd(book.cost("claude-haiku-4-5", usage(1000, 0, 800, 500), "anthropic"))).toBeCloseTo((800 * 0.1 + 200 * 1.25) / M, 12);
    expect(usd(book.cost("claude-haiku-4-5", usage(1000, 0, 5000), "anthropic"))).toBeCloseTo((1000 * 0.1) / M, 12);
    expect(usd(book.cost("claude-haiku-4-5", usage(1000, 10, 0), "anthropic"))).toBeCloseTo((1000 * 1 + 10 * 5) / M, 12);
  });

  it("charge a model without a cache rate its input rate for cached tokens, and per-request fees per request", () => {
    for (const model of ["sonar", "sonar-pro"]) {
      const expected = datasetPrice(model, "perplexity", 10_000, 2_000);
      expect(expected).toBeGreaterThan((10_000 + 2_000) / M / 1000);
      expect(usd(book.cost(model, usage(10_000, 2_000), "perplexity")), model).toBeCloseTo(expected!, 12);
    }
  });

  it("computes the other providers' models as the dataset does", () => {
    let checked = 0;
    for (const providerId of ["perplexity", "groq", "deepseek", "x-ai", "cohere", "azure"]) {
      for (const model of findProvider({ providerId })?.models ?? []) {
        const match = model.match as { equals?: string; starts_with?: string };
        const name = match.equals ?? match.starts_with;
        if (!name) continue;
        for (const [input, output, read] of [[12_345, 678, 0], [250_000, 3_000, 0], [50_000, 1_000, 20_000]] as const) {
          const expected = datasetPrice(name, providerId, input, output, read);
          if (expected === undefined) continue;
          expect(usd(book.cost(name, usage(input, output, read), providerId)), `${providerId} ${name}`).toBeCloseTo(expected, 12);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});

describe("the user's price table", () => {
  it("matches model names without regard to case and charges cached input at its own rate, or the input rate", () => {
    const own = new PriceBook({ "In-House-LLM": { input: 2, cachedInput: 0.5, output: 4 }, "Plain-LLM": { input: 2, output: 4 } }, { includeDefaults: false });
    expect(usd(own.cost("in-house-llm", usage(M, M, M / 2)))).toBeCloseTo(1 + 0.25 + 4, 12);
    expect(usd(own.cost("IN-HOUSE-LLM", usage(M, 0, 2 * M)))).toBeCloseTo(0.5, 12);
    expect(usd(own.cost("plain-llm", usage(M, 0, M / 2)))).toBeCloseTo(2, 12);
    expect(own.knows("in-house-llm")).toBe(true);
    expect(own.knows("gpt-4o")).toBe(false);
  });

  it("without the dataset, still finds the user's price by the dataset's id for a dated name, but never the dataset's own price", () => {
    const own = new PriceBook({ "gpt-4o": { input: 1, output: 2 } }, { includeDefaults: false });
    expect(usd(own.cost("gpt-4o-2024-08-06", usage(M, M)))).toBeCloseTo(3, 12);
    expect(own.cost("gpt-4o-mini", usage(M, M))).toEqual({ known: false, reason: "unpriced_model" });
    const none = new PriceBook({}, { includeDefaults: false });
    expect(none.knows("gpt-4o")).toBe(false);
  });

  it("a price that is not a finite number leaves the call unpriced, not charged", () => {
    const own = new PriceBook({ odd: { input: 1, output: 1 } }, { includeDefaults: false });
    expect(own.cost("odd", usage(Number.NaN, 1))).toEqual({ known: false, reason: "unpriced_model" });
    expect(own.cost("odd", usage(1, Number.POSITIVE_INFINITY))).toEqual({ known: false, reason: "unpriced_model" });
  });

  it("keeps prices per provider: the same name under two providers resolves to each one's price", () => {
    const book = new PriceBook();
    const viaBedrock = usd(book.cost("claude-3-5-sonnet-20240620", usage(M, 0), "aws.bedrock"));
    const viaAnthropic = usd(book.cost("claude-3-5-sonnet-20240620", usage(M, 0), "anthropic"));
    expect(viaAnthropic).toBeCloseTo(3, 9);
    expect(viaBedrock).toBeCloseTo(datasetPriceOr(book, "claude-3-5-sonnet-20240620", "aws"), 9);
  });
});

function datasetPriceOr(_book: PriceBook, model: string, providerId: string): number {
  return calcPrice({ input_tokens: M, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 }, model, { providerId })?.total_price ?? calcPrice({ input_tokens: M, output_tokens: 0 }, model)!.total_price;
}
