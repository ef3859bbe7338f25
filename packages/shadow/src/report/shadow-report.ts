import type { ComparisonRecord } from "../record/comparison-record.js";
import { buildCandidateReport, type CandidateReport, type ReportOptions } from "./candidate-report.js";

/** A line of the comparisons file that could not be used, and why. */
export interface SkippedLine {
  readonly line: number;
  readonly reason: string;
}

/** A comparisons file, one report per candidate version (newest live or replayed comparison first). */
export interface ShadowReport {
  readonly file: string;
  readonly comparisons: number;
  readonly skippedLines: readonly SkippedLine[];
  readonly candidates: readonly CandidateReport[];
}

/**
 * Splits the file's comparisons by candidate version hash and reports on each:
 * an old candidate's weeks of shadowing never count for a new one.
 */
export function buildShadowReport(file: string, records: readonly ComparisonRecord[], skippedLines: readonly SkippedLine[], options: ReportOptions): ShadowReport {
  const byCandidate = new Map<string, ComparisonRecord[]>();
  const latest = new Map<string, number>();
  for (const r of records) {
    const hash = r.candidate.versionHash;
    const list = byCandidate.get(hash) ?? [];
    list.push(r);
    byCandidate.set(hash, list);
    latest.set(hash, Math.max(latest.get(hash) ?? -Infinity, Date.parse(r.at)));
  }
  const newestFirst = [...byCandidate.keys()].sort((a, b) => (latest.get(b) ?? 0) - (latest.get(a) ?? 0));
  return {
    file,
    comparisons: records.length,
    skippedLines,
    candidates: newestFirst.map((hash) => buildCandidateReport(hash, byCandidate.get(hash) ?? [], options)),
  };
}
