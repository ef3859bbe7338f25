import { z } from "zod";
import { withDeadline } from "../limits/deadline.js";
import { cosineSimilarity, lexicalSimilarity } from "./lexical-similarity.js";

/**
 * Any async text embedding: an API call, a local model. Must return vectors of
 * one dimension. Pass `signal` to the API call: it aborts at `embedderTimeoutMs`.
 */
export type Embedder = (text: string, signal: AbortSignal) => Promise<readonly number[]>;

export const SIMILARITY_METHODS = ["embedding", "lexical"] as const;
export type SimilarityMethod = (typeof SIMILARITY_METHODS)[number];

export const SIMILARITY_BANDS = ["equivalent", "similar", "review"] as const;
export const SimilarityBandSchema = z.enum(SIMILARITY_BANDS);
export type SimilarityBand = z.infer<typeof SimilarityBandSchema>;

/** The usual embedding-similarity bands for agent outputs: ≥ 0.92 is functionally equivalent, < 0.80 needs a human to look. */
export const BandsSchema = z
  .object({
    equivalent: z.number().min(0).max(1).default(0.92),
    review: z.number().min(0).max(1).default(0.8),
  })
  .refine((b) => b.review <= b.equivalent, {
    message: "bands.review must not be above bands.equivalent (defaults: review 0.80, equivalent 0.92)",
  });
export type Bands = z.output<typeof BandsSchema>;

export function bandOf(score: number, bands: Bands): SimilarityBand {
  if (score >= bands.equivalent) return "equivalent";
  if (score < bands.review) return "review";
  return "similar";
}

export const SimilaritySchema = z.object({
  score: z.number().min(0).max(1),
  method: z.enum(SIMILARITY_METHODS),
  band: SimilarityBandSchema,
});
export type Similarity = z.infer<typeof SimilaritySchema>;

export interface SimilarityOptions {
  readonly embedder?: Embedder | undefined;
  /** Both embeddings of a pair together; past it the lexical score is used. */
  readonly embedderTimeoutMs: number;
  readonly bands: Bands;
  /** Told when the embedder fails and the lexical score is used instead. */
  readonly onEmbedderError?: ((error: unknown) => void) | undefined;
}

export async function outputSimilarity(production: string, candidate: string, options: SimilarityOptions, stop?: AbortSignal): Promise<Similarity> {
  let score: number | undefined;
  let method: SimilarityMethod = "lexical";
  const embedder = options.embedder;
  if (embedder) {
    try {
      const deadline = { what: "embedder", setting: "compare.embedderTimeoutMs", timeoutMs: options.embedderTimeoutMs };
      const [a, b] = await withDeadline((signal) => Promise.all([embedder(production, signal), embedder(candidate, signal)]), deadline, stop);
      score = cosineSimilarity(a, b);
      method = "embedding";
    } catch (error) {
      // A broken embedder should cost precision, not the comparison.
      options.onEmbedderError?.(error);
    }
  }
  score ??= lexicalSimilarity(production, candidate);
  return { score, method, band: bandOf(score, options.bands) };
}
