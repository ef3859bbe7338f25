import { calcPrice, findProvider, type MatchLogic } from "@pydantic/genai-prices";
import { PriceBook } from "@agent-canary/instrumentation";
import { describe, expect, it } from "vitest";

const M = 1_000_000;
const usage = (input: number, output: number, cached = 0, cacheWrite = 0) => ({ inputTokens: input, outputTokens: output, cachedInputTokens: cached, cacheWriteInputTokens: cacheWrite });
const usd = (cost: ReturnType<PriceBook["cost"]>) => (cost.known ? cost.usd : undefined);

describe("prices from @pydantic/genai-prices", () => {
  const book = new PriceBook();

  it("prices gpt-5-pro as itself, not as gpt-5", () => {
    // gpt-5-pro lists at $15 / $120 per 1M, gpt-5 at $1.25 / $10.
    expect(usd(book.cost("gpt-5-pro", usage(M, M)))).toBeCloseTo(135, 9);
    expect(usd(book.cost("gpt-5", usage(M, M)))).toBeCloseTo(11.25, 9);
  });

  it("leaves a model the dataset does not know unpriced, however it starts", () => {
    for (const model of ["gpt-5-foo", "gpt-4o-mini-fake", "in-house-llm", "my-finetune"]) {
      expect(book.cost(model, usage(1000, 100))).toEqual({ known: false, reason: "unpriced_model" });
    }
  });

  it("prices dated snapshots and Bedrock ids the dataset lists", () => {
    expect(usd(book.cost("gpt-4o-mini-2024-07-18", usage(M, 0)))).toBeCloseTo(0.15, 9);
    expect(usd(book.cost("us.anthropic.claude-3-5-sonnet-20240620-v1:0", usage(M, 0), "aws.bedrock"))).toBeCloseTo(3, 9);
    expect(usd(book.cost("gemini-2.5-flash", usage(M, M), "gcp.gemini"))).toBeCloseTo(2.8, 9);
  });

  it("charges cache reads and cache writes at their own rates", () => {
    // claude-haiku-4-5: input $1, cache write $1.25, cache read $0.10, output $5 per 1M.
    const cost = usd(book.cost("claude-haiku-4-5", usage(3 * M, 0, M, M), "anthropic"));
    expect(cost).toBeCloseTo(1 + 1.25 + 0.1, 9);
  });

  it("applies long-context tiers through the dataset's own calculator", () => {
    const big = usage(300_000, 1000);
    const expected = calcPrice({ input_tokens: 300_000, output_tokens: 1000, cache_read_tokens: 0, cache_write_tokens: 0 }, "claude-sonnet-4-5", { providerId: "anthropic" });
    expect(expected?.total_price).toBeGreaterThan(300_000 * 3 / M + 1000 * 15 / M); // the tier applies
    expect(usd(book.cost("claude-sonnet-4-5", big, "anthropic"))).toBeCloseTo(expected?.total_price ?? Number.NaN, 12);
  });

  it("computes every model of the main providers as the dataset does, tiers included", () => {
    let checked = 0;
    for (const providerId of ["openai", "anthropic", "google", "aws", "mistral"]) {
      const provider = findProvider({ providerId });
      for (const model of provider?.models ?? []) {
        const name = exampleName(model.match);
        if (!name) continue;
        // Below and above the 200k long-context tier that some models price higher.
        for (const u of [usage(12_345, 678), usage(50_000, 2_000, 20_000, 5_000), usage(450_000, 3_000, 100_000, 50_000)]) {
          const expected = calcPrice(
            { input_tokens: u.inputTokens, output_tokens: u.outputTokens, cache_read_tokens: u.cachedInputTokens, cache_write_tokens: u.cacheWriteInputTokens },
            name,
            { providerId },
          );
          const ours = book.cost(name, u, providerId === "aws" ? "aws.bedrock" : providerId === "google" ? "gcp.gemini" : providerId);
          if (!expected) continue;
          expect(usd(ours), `${providerId} ${name}`).toBeCloseTo(expected.total_price, 12);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it("uses user prices over the dataset, by the reported name or the dataset's id for it", () => {
    const own = new PriceBook({ "gpt-4o": { input: 1, output: 2 }, "in-house-llm": { input: 3, output: 4 } });
    expect(usd(own.cost("gpt-4o", usage(M, M)))).toBeCloseTo(3, 9);
    expect(usd(own.cost("gpt-4o-2024-08-06", usage(M, M)))).toBeCloseTo(3, 9);
    expect(usd(own.cost("in-house-llm", usage(M, M)))).toBeCloseTo(7, 9);
    expect(usd(own.cost("gpt-4o-mini", usage(M, 0)))).toBeCloseTo(0.15, 9);
  });

  it("prices only the user's table without the dataset", () => {
    const own = new PriceBook({ "in-house-llm": { input: 3, output: 4 } }, { includeDefaults: false });
    expect(usd(own.cost("in-house-llm", usage(M, 0)))).toBeCloseTo(3, 9);
    expect(own.cost("gpt-4o-mini", usage(M, 0))).toEqual({ known: false, reason: "unpriced_model" });
  });

  it("says usage is unknown rather than pricing nothing", () => {
    expect(book.cost("gpt-4o-mini", undefined)).toEqual({ known: false, reason: "usage_unknown" });
  });
});

/** A model name the match rule accepts, when it is a plain one. */
function exampleName(match: MatchLogic): string | undefined {
  if ("equals" in match) return match.equals;
  if ("starts_with" in match) return match.starts_with;
  if ("or" in match) return match.or.map(exampleName).find((n) => n !== undefined);
  return undefined;
}
