import { z } from "zod";
import { timeLimit } from "../limits/milliseconds.js";
import type { RunRecord } from "../run/run-record.js";
import { findDivergences, type Divergence } from "./divergence.js";
import { judgeTrigger, runJudge, type Judge, type Judgement } from "./judge.js";
import { compareKeyMetrics, type KeyMetricComparison } from "./key-metrics.js";
import { BandsSchema, outputSimilarity, type Embedder, type Similarity } from "./similarity.js";

function isFunction(value: unknown): boolean {
  return typeof value === "function";
}

/** The comparison settings a user may give, with the usual figures for agent shadowing as defaults. */
export const CompareOptionsSchema = z.object({
  bands: BandsSchema.prefault({}),
  /** Relative cost difference that still counts as the same cost (0.25 = ±25%). */
  costTolerance: z.number().min(0).default(0.25),
  /** Share of non-divergent pairs sent to the judge; divergent pairs always go. 5–10% is the usual range. */
  judgeSampleRate: z.number().min(0).max(1).default(0.05),
  /** A judge call that has not answered by then is aborted and recorded as a judge error. */
  judgeTimeoutMs: timeLimit("compare.judgeTimeoutMs", 30_000),
  /** Both embeddings of a pair; past it the call is aborted and the lexical similarity is used. */
  embedderTimeoutMs: timeLimit("compare.embedderTimeoutMs", 10_000),
  embedder: z.custom<Embedder>(isFunction, "embedder must be an async function (text) => number[]").optional(),
  judge: z.custom<Judge<never>>(isFunction, "judge must be an async function ({ input, production, candidate, divergences }) => { verdict }").optional(),
});
export type CompareOptionsInput = z.input<typeof CompareOptionsSchema>;

export interface PairComparison {
  readonly similarity: Similarity;
  readonly keyMetrics: KeyMetricComparison;
  readonly divergences: Divergence[];
  readonly judge: Judgement | null;
}

export interface ComparatorSettings<I> {
  readonly bands: z.output<typeof BandsSchema>;
  readonly costTolerance: number;
  readonly judgeSampleRate: number;
  readonly judgeTimeoutMs: number;
  readonly embedderTimeoutMs: number;
  readonly embedder?: Embedder | undefined;
  readonly judge?: Judge<I> | undefined;
  readonly onEmbedderError?: ((error: unknown) => void) | undefined;
  /** False: the comparison shows tool calls by name only and keeps no judge reason or foreign error message. */
  readonly keepInputs: boolean;
}

/**
 * Runs the three comparisons in order of cost: key metrics, similarity, then
 * (sometimes) the judge. The remote calls are bounded by their timeouts and
 * end early when `stop` aborts (the shadow runner closing).
 */
export async function comparePair<I>(
  settings: ComparatorSettings<I>,
  requestId: string,
  input: I,
  production: RunRecord,
  candidate: RunRecord,
  stop?: AbortSignal,
): Promise<PairComparison> {
  const keyMetrics = compareKeyMetrics(production, candidate, settings.costTolerance, settings.keepInputs);
  const similarity = await outputSimilarity(production.output, candidate.output, settings, stop);
  const divergences = findDivergences(production, candidate, keyMetrics, similarity, settings.costTolerance, settings.keepInputs);
  const trigger = settings.judge ? judgeTrigger(requestId, divergences, settings.judgeSampleRate) : null;
  const judge =
    settings.judge && trigger
      ? await runJudge(settings.judge, { input, production, candidate, divergences }, { trigger, timeoutMs: settings.judgeTimeoutMs, keepInputs: settings.keepInputs, stop })
      : null;
  return { similarity, keyMetrics, divergences, judge };
}
