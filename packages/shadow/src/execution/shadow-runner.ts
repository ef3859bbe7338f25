import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { SpanContext } from "@opentelemetry/api";
import type { ComparisonRecord } from "../record/comparison-record.js";
import { JsonlAppender } from "../record/jsonl-appender.js";
import type { RecordedInput } from "../replay/recorded-input.js";
import type { AgentAnswer } from "../run/agent.js";
import type { RunRecord } from "../run/run-record.js";
import { RunTracker } from "../run/run-tracker.js";
import { ShadowMetrics } from "../telemetry/shadow-metrics.js";
import { admit } from "./admission.js";
import { runCandidate, runProduction, type ArmRunResult, type ArmRunSettings, type ArmTrace } from "./arm-run.js";
import { compareAndRecord, type SinkSettings } from "./comparison-sink.js";
import { resolveShadowOptions, type ResolvedShadowOptions, type ShadowOptions } from "./options.js";
import { SlotLimiter } from "./slot-limiter.js";

export interface ShadowRequest {
  /** Ties the two runs, the comparison and the sampling together. Generated when absent. */
  readonly requestId?: string;
  readonly tenant?: string;
  readonly route?: string;
}

/** What happens to a shadowed request, in order, for logs and tests. */
export interface ShadowEvents {
  production_answered: [{ id: string; run: RunRecord }];
  candidate_started: [{ id: string }];
  candidate_finished: [{ id: string; run: RunRecord }];
  dropped: [{ id: string; reason: "concurrency_limit" }];
  comparison: [ComparisonRecord];
  /** Background work that failed (a comparison file that cannot be written...). Production was not affected. */
  failure: [{ id: string; error: unknown }];
}

/**
 * Runs production for the caller and the candidate beside it. The caller's
 * promise settles with production's answer (or error) as soon as production
 * is done: the candidate, its comparison and the file writes happen in the
 * background, bounded by a timeout and a concurrency limit.
 */
export class ShadowRunner<I, O extends AgentAnswer | string> extends EventEmitter<ShadowEvents> {
  private readonly settings: ResolvedShadowOptions<I, O>;
  private readonly limiter: SlotLimiter;
  private readonly metrics: ShadowMetrics;
  private readonly sink: SinkSettings<I>;
  private readonly inputsFile: JsonlAppender | undefined;
  private readonly background = new Set<Promise<void>>();
  private closed = false;

  constructor(options: ShadowOptions<I, O>) {
    super();
    this.settings = resolveShadowOptions(options);
    const s = this.settings;
    this.limiter = new SlotLimiter(s.maxConcurrentCandidates);
    this.metrics = new ShadowMetrics(s.deployment, s.candidate.versionHash, s.production.versionHash);
    this.inputsFile = s.recordInputsFile ? new JsonlAppender(s.recordInputsFile) : undefined;
    this.sink = {
      deployment: s.deployment,
      keepInputs: s.keepInputs,
      compare: s.compare,
      metrics: this.metrics,
      file: s.comparisonsFile ? new JsonlAppender(s.comparisonsFile) : undefined,
      logger: s.logger,
    };
  }

  /** Candidate runs and comparisons still under way. */
  get pending(): number {
    return this.background.size;
  }

  /** Production's answer for `input`; shadows the candidate when the request is admitted. */
  async run(input: I, request: ShadowRequest = {}): Promise<O> {
    const id = request.requestId ?? randomUUID();
    const meta = { requestId: id, tenant: request.tenant, route: request.route };
    if (this.closed) return this.productionOnly(input);
    const decision = admit(this.settings, meta);
    this.metrics.request(decision);
    if (decision !== "shadowed") return this.productionOnly(input);

    const release = this.limiter.tryAcquire();
    if (!release) {
      this.metrics.candidateRun("dropped");
      this.settings.logger.info("candidate run dropped: every slot is taken", { id, limit: this.limiter.limit });
      this.emit("dropped", { id, reason: "concurrency_limit" });
    }
    let candidate: Promise<ArmTrace> | undefined;
    // Always on the next turn of the event loop: production's own synchronous start
    // (or, after production, the caller's continuation) runs before any candidate code.
    const launch = (link: SpanContext) =>
      nextTurn().then(() => {
        this.emit("candidate_started", { id });
        return runCandidate(this.settings.candidate, this.armSettings(), input, meta, this.settings.candidateTimeoutMs, link);
      });
    const production = await runProduction(this.settings.production, this.armSettings(), input, meta, (link) => {
      if (release && this.settings.candidateStart === "concurrent") candidate = launch(link);
    });
    if (release && !candidate) candidate = launch(production.spanContext);
    this.emit("production_answered", { id, run: production.record });

    if (this.inputsFile) this.track(id, this.inputsFile.append(this.recordedInput(meta, input, production.record)));
    if (candidate && release) this.track(id, this.finishPair(meta, input, production, candidate).finally(release));

    if (!production.ok) throw production.thrown;
    return production.answer;
  }

  /** Stops shadowing new requests and waits for every candidate run, comparison and write under way. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
    await Promise.all([this.sink.file?.flush(), this.inputsFile?.flush()]);
  }

  private async productionOnly(input: I): Promise<O> {
    return this.settings.production.run(input, new RunTracker({ ...this.armSettings(), role: "production", interceptWrites: false, signal: new AbortController().signal }));
  }

  private armSettings(): ArmRunSettings {
    return {
      deployment: this.settings.deployment,
      tools: this.settings.tools,
      dryRunResult: this.settings.dryRunResult,
      onIntercept: (tool) => this.metrics.intercepted(tool),
    };
  }

  private async finishPair(
    meta: { requestId: string; tenant?: string | undefined; route?: string | undefined },
    input: I,
    production: ArmRunResult<O>,
    candidatePromise: Promise<ArmTrace>,
  ): Promise<void> {
    const candidate = await candidatePromise;
    this.metrics.candidateRun(candidate.record.outcome === "timeout" ? "timeout" : candidate.record.error !== undefined ? "error" : "completed");
    this.emit("candidate_finished", { id: meta.requestId, run: candidate.record });
    const record = await compareAndRecord(this.sink, {
      id: meta.requestId,
      source: "live",
      tenant: meta.tenant,
      route: meta.route,
      input,
      production: production.record,
      candidate: candidate.record,
      links: [production.spanContext, candidate.spanContext],
    });
    this.emit("comparison", record);
  }

  private recordedInput(meta: { requestId: string; tenant?: string | undefined; route?: string | undefined }, input: I, production: RunRecord): RecordedInput {
    return {
      id: meta.requestId,
      at: new Date().toISOString(),
      ...(meta.tenant !== undefined ? { tenant: meta.tenant } : {}),
      ...(meta.route !== undefined ? { route: meta.route } : {}),
      input,
      production,
    };
  }

  /** Background work never rejects into the caller: failures are logged and emitted. */
  private track(id: string, work: Promise<unknown>): void {
    const tracked: Promise<void> = work.then(
      () => undefined,
      (error: unknown) => {
        this.settings.logger.warn("shadow background work failed; production was not affected", { id, error: String(error) });
        this.emit("failure", { id, error });
      },
    );
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Creates a shadow runner: production answers the caller, the candidate is compared in the background. */
export function createShadow<I, O extends AgentAnswer | string>(options: ShadowOptions<I, O>): ShadowRunner<I, O> {
  return new ShadowRunner(options);
}
