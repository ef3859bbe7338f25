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
  /** The shadow kept no inputs: the outputs below are empty, not what the versions said. */
  readonly withheld: boolean;
  readonly productionOutput: string;
  readonly candidateOutput: string;
  readonly divergences: readonly Divergence[];
  readonly judge: string | null;
}

export interface MeanPair {
  readonly production: number | null;
  readonly candidate: number | null;
}

export const COMPARISON_SOURCES = ["live", "replay"] as const;
export type ComparisonSource = (typeof COMPARISON_SOURCES)[number];

/** The headline numbers of one source of comparisons, kept apart: replayed inputs say nothing about live traffic. */
export interface SourceSummary {
  readonly comparisons: number;
  readonly distinctRequests: number;
  readonly meanSimilarity: number | null;
  readonly decisionsAgree: number;
}

/** Everything about one candidate version: a report never pools two candidates. */
export interface CandidateReport {
  readonly candidateVersion: string;
  /** Production versions it was compared with, and how often. */
  readonly productionVersions: Record<string, number>;
  readonly comparisons: number;
  readonly sources: Record<ComparisonSource, SourceSummary>;
  /** First and last live comparison. */
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
  /** Whose distinct requests count toward the request minimum: live only unless replayed ones were opted in. */
  readonly requestsCounted: readonly ComparisonSource[];
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

function similarityPart(records: readonly ComparisonRecord[]): CandidateReport["similarity"] {
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

function judgePart(records: readonly ComparisonRecord[]): CandidateReport["judge"] {
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
      withheld: r.withheld === true,
      productionOutput: r.production.output,
      candidateOutput: r.candidate.output,
      divergences: r.divergences,
      judge: r.judge ? ("error" in r.judge ? `error: ${r.judge.error}` : `${r.judge.verdict}${r.judge.reason ? ` (${r.judge.reason})` : ""}`) : null,
    }));
}

function observedDays(live: readonly ComparisonRecord[]): { days: number | null; window: CandidateReport["window"] } {
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
  /** Count replayed requests toward the distinct-request minimum too (default: live requests only). */
  readonly countReplayed?: boolean | undefined;
  /** Fail the judge check when no pair was judged. Default: when the risk tier asks for a review (medium and up). */
  readonly requireJudge?: boolean | undefined;
}

function sourceSummary(records: readonly ComparisonRecord[]): SourceSummary {
  return {
    comparisons: records.length,
    distinctRequests: new Set(records.map((r) => r.id)).size,
    meanSimilarity: mean(records.map((r) => r.similarity.score)),
    decisionsAgree: records.filter((r) => r.keyMetrics.decisionsAgree).length,
  };
}

function tally(records: readonly ComparisonRecord[]) {
  const fieldDisagreements = zeroes(KEY_FIELDS);
  const divergences = zeroes(DIVERGENCE_KINDS);
  const interceptedWrites: Record<string, number> = {};
  const productionVersions: Record<string, number> = {};
  for (const r of records) {
    for (const f of r.keyMetrics.fields) if (!f.agree) fieldDisagreements[f.field] += 1;
    for (const kind of new Set(r.divergences.map((d) => d.kind))) divergences[kind] += 1;
    for (const call of r.candidate.toolCalls) if (call.intercepted) interceptedWrites[call.name] = (interceptedWrites[call.name] ?? 0) + 1;
    productionVersions[r.production.versionHash] = (productionVersions[r.production.versionHash] ?? 0) + 1;
  }
  return { fieldDisagreements, divergences, interceptedWrites, productionVersions };
}

/**
 * Turns one candidate version's comparisons into the numbers a reviewer needs
 * to decide: go to canary, keep shadowing, or stop. Duration is measured on
 * live comparisons only; replayed ones count toward the request minimum only
 * when `countReplayed` is set.
 */
export function buildCandidateReport(candidateVersion: string, records: readonly ComparisonRecord[], options: ReportOptions): CandidateReport {
  const live = records.filter((r) => r.source === "live");
  const replay = records.filter((r) => r.source === "replay");
  const { days, window } = observedDays(live);
  const counted = options.countReplayed ? records : live;
  const similarity = similarityPart(records);
  const judge = judgePart(records);
  const requirement = recommendedDuration(options);
  const duration = judgeDuration(requirement, days, new Set(counted.map((r) => r.id)).size);
  const readinessInput = {
    duration,
    meanSimilarity: similarity.mean,
    judged: judge.judged,
    judgeErrors: judge.errors,
    productionBetter: judge.verdicts.production_better,
    candidateBetter: judge.verdicts.candidate_better,
    requireJudge: options.requireJudge ?? requirement.required,
  };
  const { productionVersions, ...tallies } = tally(records);
  return {
    candidateVersion,
    productionVersions,
    comparisons: records.length,
    sources: { live: sourceSummary(live), replay: sourceSummary(replay) },
    window,
    similarity,
    decisionsAgree: records.filter((r) => r.keyMetrics.decisionsAgree).length,
    ...tallies,
    divergentComparisons: records.filter((r) => r.divergences.length > 0).length,
    means: {
      costUsd: meansOf(records, (r) => r.costUsd),
      turns: meansOf(records, (r) => r.turns),
      steps: meansOf(records, (r) => r.steps),
    },
    judge,
    examples: examplesOf(records, options.examples ?? 5),
    duration,
    requestsCounted: options.countReplayed ? ["live", "replay"] : ["live"],
    readiness: readinessChecks(readinessInput, options.minSimilarity),
  };
}
