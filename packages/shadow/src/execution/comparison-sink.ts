import { privateFieldErrorMap, type ShadowSource } from "@agent-canary/conventions";
import type { SpanContext } from "@opentelemetry/api";
import { comparePair, type ComparatorSettings } from "../compare/comparator.js";
import type { z } from "zod";
import { ComparisonRecordSchema, type ComparisonRecord } from "../record/comparison-record.js";
import { jsonSafe, jsonSafeRun } from "../record/json-safe.js";
import { withholdRun } from "../record/withheld.js";
import type { JsonlAppender } from "../record/jsonl-appender.js";
import type { RunRecord } from "../run/run-record.js";
import type { ShadowMetrics } from "../telemetry/shadow-metrics.js";
import { recordCompareSpan } from "../telemetry/shadow-spans.js";
import type { ShadowLogger } from "./logger.js";

export interface PairToCompare<I> {
  readonly id: string;
  readonly source: ShadowSource;
  readonly tenant?: string | undefined;
  readonly route?: string | undefined;
  readonly input: I;
  readonly production: RunRecord;
  readonly candidate: RunRecord;
  readonly links: readonly SpanContext[];
}

export interface SinkSettings<I> {
  readonly deployment: string;
  readonly keepInputs: boolean;
  readonly compare: ComparatorSettings<I>;
  readonly metrics: ShadowMetrics;
  readonly file?: JsonlAppender | undefined;
  readonly logger: ShadowLogger;
  /** Aborted when the runner is closing: judge and embedder calls stop waiting. */
  readonly stop?: AbortSignal | undefined;
}

/** A comparison that does not match the file's schema: a bug here, reported rather than written. */
export class InvalidComparisonError extends Error {
  constructor(id: string, issues: readonly z.core.$ZodIssue[]) {
    const issue = issues[0];
    super(`comparison ${id} not written: field "${issue?.path.join(".") ?? ""}": ${issue?.message ?? "invalid"}`);
    this.name = "InvalidComparisonError";
  }
}

/** Compares one pair and sends the result everywhere it goes: the JSONL file, metrics, a span. */
export async function compareAndRecord<I>(settings: SinkSettings<I>, pair: PairToCompare<I>): Promise<ComparisonRecord> {
  const comparison = await comparePair(settings.compare, pair.id, pair.input, pair.production, pair.candidate, settings.stop);
  const built: ComparisonRecord = {
    schemaVersion: 1,
    id: pair.id,
    at: new Date().toISOString(),
    deployment: settings.deployment,
    source: pair.source,
    ...(pair.tenant !== undefined ? { tenant: pair.tenant } : {}),
    ...(pair.route !== undefined ? { route: pair.route } : {}),
    ...(settings.keepInputs ? { input: jsonSafe(pair.input) } : { withheld: true }),
    production: settings.keepInputs ? jsonSafeRun(pair.production) : withholdRun(pair.production),
    candidate: settings.keepInputs ? jsonSafeRun(pair.candidate) : withholdRun(pair.candidate),
    ...comparison,
  };
  // What is written is what `shadow report` will read back: check it against the same schema first.
  const checked = ComparisonRecordSchema.safeParse(built, { error: privateFieldErrorMap });
  if (!checked.success) throw new InvalidComparisonError(pair.id, checked.error.issues);
  const record = checked.data;
  const { similarity, keyMetrics, judge, divergences } = comparison;
  settings.metrics.comparison(similarity.score, similarity.method, similarity.band, keyMetrics.decisionsAgree);
  if (judge && "verdict" in judge) settings.metrics.verdict(judge.verdict, judge.trigger);
  if (judge && "error" in judge) settings.logger.warn("judge failed; comparison kept without a verdict", { id: pair.id, error: judge.error });
  recordCompareSpan(
    { deployment: settings.deployment, versionHash: pair.candidate.versionHash },
    pair.production.versionHash,
    { requestId: pair.id, tenant: pair.tenant },
    pair.links,
    comparison,
  );
  if (divergences.length > 0) {
    settings.logger.info("candidate diverged from production", { id: pair.id, divergences: divergences.map((d) => d.kind) });
  }
  await settings.file?.append(record);
  return record;
}
