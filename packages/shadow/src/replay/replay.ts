import { fieldErrorMap } from "@agent-canary/conventions";
import { z } from "zod";
import { CompareOptionsSchema } from "../compare/comparator.js";
import { runProduction, type ArmRunSettings } from "../execution/arm-run.js";
import { runCandidate } from "../execution/candidate-run.js";
import { compareAndRecord, type SinkSettings } from "../execution/comparison-sink.js";
import { stderrLogger, type ShadowLogger } from "../execution/logger.js";
import {
  ArmSchema,
  comparatorSettings,
  fn,
  LoggerSchema,
  resolveHash,
  ShadowOptionsError,
  ToolSchema,
  type Arm,
  type CompareSettingsInput,
  type ResolvedArm,
} from "../execution/options.js";
import { timeLimit } from "../limits/milliseconds.js";
import { JsonlAppender } from "../record/jsonl-appender.js";
import { JsonlLineError, readJsonl } from "../record/jsonl-reader.js";
import type { AgentAnswer, Toolset } from "../run/agent.js";
import type { RunRecord } from "../run/run-record.js";
import { ShadowMetrics } from "../telemetry/shadow-metrics.js";
import { silentProgress, type ReplayProgress } from "./progress.js";
import { RecordedInputSchema, type RecordedInput } from "./recorded-input.js";

const ReplayOptionsSchema = z.object({
  inputsFile: z.string().min(1, "inputsFile is the JSONL file of recorded inputs"),
  deployment: z.string().min(1).default("default"),
  candidate: ArmSchema,
  production: ArmSchema.optional(),
  tools: z.record(z.string(), ToolSchema).default({}),
  comparisonsFile: z.string().min(1).optional(),
  concurrency: z.number().int().positive().default(4),
  candidateTimeoutMs: timeLimit("candidateTimeoutMs", 30_000),
  candidateAbandonAfterMs: timeLimit("candidateAbandonAfterMs", 5_000),
  dryRunResult: fn("dryRunResult").optional(),
  keepInputs: z.boolean().default(true),
  compare: CompareOptionsSchema.prefault({}),
  parseInput: fn("parseInput").optional(),
  logger: LoggerSchema.optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, "signal must be an AbortSignal").optional(),
});

export interface ReplayOptions<I> {
  readonly inputsFile: string;
  readonly deployment?: string;
  readonly candidate: Arm<I, AgentAnswer | string>;
  /**
   * Runs lines that carry no recorded production run. Its writes are
   * intercepted as well: a replay never acts on the world.
   */
  readonly production?: Arm<I, AgentAnswer | string>;
  readonly tools?: Toolset;
  readonly comparisonsFile?: string;
  /** Candidate runs at once. */
  readonly concurrency?: number;
  readonly candidateTimeoutMs?: number;
  /** After its timeout, how long a candidate that ignores its signal keeps its place in `concurrency` before it is abandoned. */
  readonly candidateAbandonAfterMs?: number;
  readonly dryRunResult?: (tool: string, args: unknown) => unknown;
  readonly keepInputs?: boolean;
  readonly compare?: CompareSettingsInput<I>;
  /** Checks and types each recorded input (e.g. a zod schema's parse); what it throws names the line. */
  readonly parseInput?: (input: unknown) => I;
  readonly progress?: ReplayProgress;
  readonly logger?: ShadowLogger;
  /**
   * Aborting it interrupts the replay: no new input starts, candidates under way
   * stop at once and are not compared, judge and embedder calls are aborted, and
   * replayShadow() resolves with what was compared (interrupted: true).
   */
  readonly signal?: AbortSignal;
}

export interface ReplaySummary {
  readonly inputs: number;
  readonly compared: number;
  readonly divergent: number;
  readonly candidateFailures: number;
  /** Candidates that ignored their aborted signal past candidateAbandonAfterMs. */
  readonly abandoned: number;
  /** The signal was aborted: inputs after those compared were not replayed. */
  readonly interrupted: boolean;
}

interface ReplayItem<I> {
  readonly line: number;
  readonly recorded: RecordedInput;
  readonly input: I;
}

/**
 * Replays recorded production inputs against a candidate, later and at its own
 * pace. The whole file is checked before the first run, so a bad line 9,000
 * does not surface after 8,999 paid candidate runs.
 */
export async function replayShadow<I>(options: ReplayOptions<I>): Promise<ReplaySummary> {
  const parsed = ReplayOptionsSchema.safeParse(options, { error: fieldErrorMap });
  if (!parsed.success) throw new ShadowOptionsError(parsed.error.issues, "replay options");
  const p = parsed.data;
  const logger = options.logger ?? stderrLogger;
  const items = await loadItems(options, p.inputsFile);
  const candidate: ResolvedArm<I, AgentAnswer | string> = { run: options.candidate.run, versionHash: resolveHash(options.candidate.version), name: p.candidate.name };
  const production = options.production ? { run: options.production.run, versionHash: resolveHash(options.production.version), name: p.production?.name } : undefined;
  const productionHash = production?.versionHash ?? items.find((i) => i.recorded.production)?.recorded.production?.versionHash ?? "unknown";
  const metrics = new ShadowMetrics(p.deployment, candidate.versionHash, productionHash, "replay");
  const file = p.comparisonsFile ? new JsonlAppender(p.comparisonsFile) : undefined;
  const signal = options.signal;
  const sink: SinkSettings<I> = { deployment: p.deployment, keepInputs: p.keepInputs, compare: comparatorSettings(p.compare, options.compare, logger, p.keepInputs), metrics, file, logger, stop: signal };
  const arm: ArmRunSettings = {
    deployment: p.deployment,
    tools: options.tools ?? {},
    dryRunResult: options.dryRunResult ?? (() => ({ ok: true, dryRun: true })),
    onIntercept: (tool) => metrics.intercepted(tool),
    interceptProductionWrites: true,
    keepInputs: p.keepInputs,
  };
  const productionRunOf = async (item: ReplayItem<I>, request: { requestId: string; tenant?: string | undefined }): Promise<RunRecord> => {
    if (item.recorded.production) return item.recorded.production;
    if (!production) throw noProductionRun(p.inputsFile, item.line);
    return (await runProduction(production, arm, item.input, request)).record;
  };
  const missing = production ? undefined : items.find((i) => !i.recorded.production);
  // Checked up front, like the file itself: fail before the first paid run.
  if (missing) throw noProductionRun(p.inputsFile, missing.line);

  const progress = options.progress ?? silentProgress;
  const tally = { compared: 0, divergent: 0, candidateFailures: 0, abandoned: 0 };
  progress.start(items.length);
  try {
    await forEachLimited(items, p.concurrency, signal, async (item) => {
      const request = { requestId: item.recorded.id, tenant: item.recorded.tenant };
      const productionRun = await productionRunOf(item, request);
      const limits = { timeoutMs: p.candidateTimeoutMs, abandonAfterMs: p.candidateAbandonAfterMs, shutdown: signal };
      const candidateRun = await runCandidate(candidate, arm, item.input, request, limits, undefined);
      const ended = candidateRun.ended.then((end) => {
        if (end.how === "abandoned") tally.abandoned += 1;
      });
      // Stopped by the interrupt, not by its own timeout: not a fair comparison.
      if (candidateRun.cutShort) return ended;
      const record = await compareAndRecord(sink, {
        id: item.recorded.id,
        source: "replay",
        tenant: item.recorded.tenant,
        route: item.recorded.route,
        input: item.input,
        production: productionRun,
        candidate: candidateRun.record,
        links: [candidateRun.spanContext],
      });
      tally.compared += 1;
      if (record.divergences.length > 0) tally.divergent += 1;
      if (record.candidate.error !== undefined) tally.candidateFailures += 1;
      progress.update(tally.compared, tally.divergent);
      // The next input waits for this candidate's code to end, so `concurrency` bounds live runs.
      await ended;
    });
  } finally {
    progress.stop();
    await file?.flush();
  }
  return { inputs: items.length, ...tally, interrupted: signal?.aborted ?? false };
}

function noProductionRun(file: string, line: number): JsonlLineError {
  return new JsonlLineError(file, line, "no recorded production run on this line; pass a `production` arm to replay it, or record inputs with the shadow's recordInputsFile");
}

async function loadItems<I>(options: ReplayOptions<I>, inputsFile: string): Promise<ReplayItem<I>[]> {
  const hint = 'Each line: {"id": "...", "input": ..., "production"?: {...}} as written by the shadow\'s recordInputsFile.';
  const items: ReplayItem<I>[] = [];
  for await (const recorded of readJsonl(inputsFile, RecordedInputSchema, hint)) {
    const line = recorded.line;
    if (recorded.value.input === undefined) throw new JsonlLineError(inputsFile, line, 'field "input": required; it is the value the agent was called with');
    let input: I;
    try {
      input = options.parseInput ? options.parseInput(recorded.value.input) : (recorded.value.input as I);
    } catch (error) {
      throw new JsonlLineError(inputsFile, line, `field "input" rejected by parseInput: ${error instanceof Error ? error.message : String(error)}`);
    }
    items.push({ line, recorded: recorded.value, input });
  }
  return items;
}

/** Runs `work` over `items` with at most `limit` in flight; the first failure, or `stop`, ends new work. */
async function forEachLimited<T>(items: readonly T[], limit: number, stop: AbortSignal | undefined, work: (item: T) => Promise<void>): Promise<void> {
  // One iterator shared by every worker: each next() hands out a different item.
  const queue = items.values();
  const worker = async (): Promise<void> => {
    for (const item of queue) {
      if (stop?.aborted) return;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
