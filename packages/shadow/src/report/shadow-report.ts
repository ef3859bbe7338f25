import { KEY_FIELDS, type KeyField } from "../compare/key-metrics.js";
import { DIVERGENCE_KINDS, type Divergence } from "../compare/divergence.js";
import { JUDGE_VERDICTS, type JudgeVerdict } from "../compare/judge.js";
import { SIMILARITY_BANDS, type SimilarityBand } from "../compare/similarity.js";
import type { ComparisonRecord } from "../record/comparison-record.js";
import { readinessChecks, type ReadinessCheck } from "./readiness.js";
import { judgeDuration, recommendedDuration, type DurationInput, type DurationVerdict } from "./shadow-duration.js";

/** Bucket edges for the similarity distribution: coarse below review, fine around the 0.80 / 0.92 bands. */
export const SIMILARITY_EDGES = [0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.95, 1] as const;

export interface SimilarityBucket {
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

export interface DisagreementExample {
  readonly id: string;
  readonly similarity: number;
  readonly input: unknown;
  readonly productionOutput: string;
  readonly candidateOutput: string;
  readonly divergences: readonly Divergence[];
  readonly judge: string | null;
}

export interface MeanPair {
  readonly production: number | null;
  readonly candidate: number | null;
}

export interface ShadowReport {
  readonly comparisons: number;
  readonly sources: { readonly live: number; readonly replay: number };
  readonly versionPairs: Record<string, number>;
  readonly window: { readonly first: string; readonly last: string } | null;
  readonly similarity: {
    readonly mean: number | null;
    readonly methods: Record<string, number>;
    readonly buckets: SimilarityBucket[];
    readonly bands: Record<SimilarityBand, number>;
  };
  readonly decisionsAgree: number;
  readonly fieldDisagreements: Record<KeyField, number>;
  readonly divergences: Record<(typeof DIVERGENCE_KINDS)[number], number>;
  readonly divergentComparisons: number;
  readonly means: { readonly costUsd: MeanPair; readonly turns: MeanPair; readonly steps: MeanPair };
  readonly interceptedWrites: Record<string, number>;
  readonly judge: {
    readonly judged: number;
    readonly verdicts: Record<JudgeVerdict, number>;
    readonly byTrigger: { readonly sample: number; readonly divergence: number };
    readonly errors: number;
    readonly meanScore: number | null;
  };
  readonly examples: DisagreementExample[];
  readonly duration: DurationVerdict;
  readonly readiness: ReadinessCheck[];
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function bucketIndex(score: number): number {
  for (let i = 1; i < SIMILARITY_EDGES.length - 1; i++) if (score < (SIMILARITY_EDGES[i] ?? 1)) return i - 1;
  return SIMILARITY_EDGES.length - 2;
}

function similarityPart(records: readonly ComparisonRecord[]): ShadowReport["similarity"] {
  const counts = new Array<number>(SIMILARITY_EDGES.length - 1).fill(0);
  const methods: Record<string, number> = {};
  const bands = zeroes(SIMILARITY_BANDS);
  for (const r of records) {
    const i = bucketIndex(r.similarity.score);
    counts[i] = (counts[i] ?? 0) + 1;
    methods[r.similarity.method] = (methods[r.similarity.method] ?? 0) + 1;
    bands[r.similarity.band] += 1;
  }
  return {
    mean: mean(records.map((r) => r.similarity.score)),
    methods,
    buckets: counts.map((count, i) => ({ from: SIMILARITY_EDGES[i] ?? 0, to: SIMILARITY_EDGES[i + 1] ?? 1, count })),
    bands,
  };
}

function judgePart(records: readonly ComparisonRecord[]): ShadowReport["judge"] {
  const verdicts = zeroes(JUDGE_VERDICTS);
  const byTrigger = { sample: 0, divergence: 0 };
  const scores: number[] = [];
  let errors = 0;
  let judged = 0;
  for (const { judge } of records) {
    if (!judge) continue;
    if ("error" in judge) {
      errors += 1;
      continue;
    }
    judged += 1;
    verdicts[judge.verdict] += 1;
    byTrigger[judge.trigger] += 1;
    if (judge.score !== undefined) scores.push(judge.score);
  }
  return { judged, verdicts, byTrigger, errors, meanScore: mean(scores) };
}

function meansOf(records: readonly ComparisonRecord[], pick: (r: ComparisonRecord["production"]) => number | null): MeanPair {
  const known = (values: (number | null)[]) => mean(values.filter((v): v is number => v !== null));
  return { production: known(records.map((r) => pick(r.production))), candidate: known(records.map((r) => pick(r.candidate))) };
}

function examplesOf(records: readonly ComparisonRecord[], limit: number): DisagreementExample[] {
  return records
    .filter((r) => r.divergences.length > 0)
    .sort((a, b) => a.similarity.score - b.similarity.score)
    .slice(0, limit)
    .map((r) => ({
      id: r.id,
      similarity: r.similarity.score,
      input: r.input,
      productionOutput: r.production.output,
      candidateOutput: r.candidate.output,
      divergences: r.divergences,
      judge: r.judge ? ("error" in r.judge ? `error: ${r.judge.error}` : `${r.judge.verdict}${r.judge.reason ? ` (${r.judge.reason})` : ""}`) : null,
    }));
}

function observedDays(live: readonly ComparisonRecord[]): { days: number | null; window: ShadowReport["window"] } {
  if (live.length === 0) return { days: null, window: null };
  const times = live.map((r) => Date.parse(r.at)).sort((a, b) => a - b);
  const first = times[0] ?? 0;
  const last = times[times.length - 1] ?? 0;
  return { days: (last - first) / 86_400_000, window: { first: new Date(first).toISOString(), last: new Date(last).toISOString() } };
}

export interface ReportOptions extends Omit<DurationInput, "trafficPerDay"> {
  readonly trafficPerDay?: number | undefined;
  readonly examples?: number;
  /** Mean similarity the readiness check asks for; default 0.90. */
  readonly minSimilarity?: number | undefined;
}

/** Turns recorded comparisons into the numbers a reviewer needs to decide: go to canary, keep shadowing, or stop. */
export function buildShadowReport(records: readonly ComparisonRecord[], options: ReportOptions): ShadowReport {
  const live = records.filter((r) => r.source === "live");
  const { days, window } = observedDays(live);
  const fieldDisagreements = zeroes(KEY_FIELDS);
  const divergences = zeroes(DIVERGENCE_KINDS);
  const interceptedWrites: Record<string, number> = {};
  const versionPairs: Record<string, number> = {};
  for (const r of records) {
    for (const f of r.keyMetrics.fields) if (!f.agree) fieldDisagreements[f.field] += 1;
    for (const kind of new Set(r.divergences.map((d) => d.kind))) divergences[kind] += 1;
    for (const call of r.candidate.toolCalls) if (call.intercepted) interceptedWrites[call.name] = (interceptedWrites[call.name] ?? 0) + 1;
    const pair = `${r.production.versionHash} → ${r.candidate.versionHash}`;
    versionPairs[pair] = (versionPairs[pair] ?? 0) + 1;
  }
  const distinctRequests = new Set(records.map((r) => r.id)).size;
  const similarity = similarityPart(records);
  const judge = judgePart(records);
  const duration = judgeDuration(recommendedDuration(options), days, distinctRequests);
  const readinessInput = {
    duration,
    meanSimilarity: similarity.mean,
    productionBetter: judge.verdicts.production_better,
    candidateBetter: judge.verdicts.candidate_better,
  };
  return {
    comparisons: records.length,
    sources: { live: live.length, replay: records.length - live.length },
    versionPairs,
    window,
    similarity,
    decisionsAgree: records.filter((r) => r.keyMetrics.decisionsAgree).length,
    fieldDisagreements,
    divergences,
    divergentComparisons: records.filter((r) => r.divergences.length > 0).length,
    means: {
      costUsd: meansOf(records, (r) => r.costUsd),
      turns: meansOf(records, (r) => r.turns),
      steps: meansOf(records, (r) => r.steps),
    },
    interceptedWrites,
    judge,
    examples: examplesOf(records, options.examples ?? 5),
    duration,
    readiness: readinessChecks(readinessInput, options.minSimilarity),
  };
}
