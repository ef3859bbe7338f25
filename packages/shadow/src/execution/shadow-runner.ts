import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { fieldErrorMap } from "@agent-canary/conventions";
import type { SpanContext } from "@opentelemetry/api";
import { z } from "zod";
import { ShadowClosingError } from "../limits/deadline.js";
import { milliseconds } from "../limits/milliseconds.js";
import { SlotLimiter } from "../limits/slot-limiter.js";
import { jsonSafe, jsonSafeRun } from "../record/json-safe.js";
import { JsonlAppender } from "../record/jsonl-appender.js";
import { withholdRun } from "../record/withheld.js";
import type { RecordedInput } from "../replay/recorded-input.js";
import type { AgentAnswer, ShadowContext } from "../run/agent.js";
import { passThroughContext } from "../run/pass-through-context.js";
import { ProductionWrites } from "../run/read-after-write.js";
import type { RunRecord } from "../run/run-record.js";
import { ShadowMetrics } from "../telemetry/shadow-metrics.js";
import { admit, type RequestMeta } from "./admission.js";
import { runProduction, type ArmRunResult, type ArmRunSettings } from "./arm-run.js";
import { BackgroundWork } from "./background-work.js";
import { runCandidate, type CandidateEnd, type CandidateTrace } from "./candidate-run.js";
import { compareAndRecord, type SinkSettings } from "./comparison-sink.js";
import { ShadowOptionsError, resolveShadowOptions, type ResolvedShadowOptions, type ShadowOptions } from "./options.js";
import type { CloseSummary, ShadowEvents, ShadowRequest, ShadowStats } from "./shadow-events.js";

const CloseOptionsSchema = z.object({ timeoutMs: milliseconds("close({ timeoutMs })", 10_000).optional() });

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
  private readonly background: BackgroundWork;
  /** Aborted when close() runs out of time: candidates, judge and embedder calls stop at once. */
  private readonly shutdown = new AbortController();
  private closed = false;
  /** The context of requests that are not shadowed. */
  private readonly unshadowed: ShadowContext;
  private abandoned = 0;
  private cutShort = 0;

  constructor(options: ShadowOptions<I, O>) {
    super();
    this.settings = resolveShadowOptions(options);
    const s = this.settings;
    this.limiter = new SlotLimiter(s.maxConcurrentCandidates);
    this.unshadowed = passThroughContext(s.tools);
    this.background = new BackgroundWork(s.logger, (id, error) => this.emit("failure", { id, error }));
    this.metrics = new ShadowMetrics(s.deployment, s.candidate.versionHash, s.production.versionHash, "live");
    this.inputsFile = s.recordInputsFile ? new JsonlAppender(s.recordInputsFile) : undefined;
    this.sink = {
      deployment: s.deployment,
      keepInputs: s.keepInputs,
      compare: s.compare,
      metrics: this.metrics,
      file: s.comparisonsFile ? new JsonlAppender(s.comparisonsFile) : undefined,
      logger: s.logger,
      stop: this.shutdown.signal,
    };
  }

  /** Candidate runs and comparisons still under way. */
  get pending(): number {
    return this.background.size;
  }

  get stats(): ShadowStats {
    return { liveCandidates: this.limiter.inUse, abandoned: this.abandoned, cutShort: this.cutShort };
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
    let candidate: Promise<CandidateTrace> | undefined;
    const armSettings = this.armSettings(new ProductionWrites());
    // Always on the next turn of the event loop: production's own synchronous start
    // (or, after production, the caller's continuation) runs before any candidate code.
    const launch = (link: SpanContext) =>
      nextTurn().then(() => {
        this.emit("candidate_started", { id });
        const limits = { timeoutMs: this.settings.candidateTimeoutMs, abandonAfterMs: this.settings.candidateAbandonAfterMs, shutdown: this.shutdown.signal };
        return runCandidate(this.settings.candidate, armSettings, input, meta, limits, link);
      });
    const production = await runProduction(this.settings.production, armSettings, input, meta, (link) => {
      if (release && this.settings.candidateStart === "concurrent") candidate = launch(link);
    });
    if (release && !candidate) candidate = launch(production.spanContext);
    this.emit("production_answered", { id, run: this.shown(production.record) });

    if (this.inputsFile) this.background.add(id, this.inputsFile.append(this.recordedInput(meta, input, production.record)));
    // The slot is held until the candidate's code has ended or been abandoned, not just until its timeout.
    if (candidate && release) this.background.add(id, this.finishPair(meta, input, production, candidate, release).finally(release));

    if (!production.ok) throw production.thrown;
    return production.answer;
  }

  /**
   * Stops shadowing new requests and waits for the candidate runs, comparisons
   * and writes under way, for at most `timeoutMs` (default: the closeTimeoutMs
   * option). Then it aborts the rest: candidates stop (cut short, not compared),
   * judge and embedder calls are aborted (their comparisons are written without
   * them), and it returns once the files are flushed.
   */
  async close(options: { readonly timeoutMs?: number } = {}): Promise<CloseSummary> {
    const parsed = CloseOptionsSchema.safeParse(options, { error: fieldErrorMap });
    if (!parsed.success) throw new ShadowOptionsError(parsed.error.issues, "close() options");
    this.closed = true;
    const pending = this.background.size;
    const finished = await this.background.drain(parsed.data.timeoutMs ?? this.settings.closeTimeoutMs);
    if (!finished) {
      this.settings.logger.warn("shadow close timed out; aborting the candidate runs and comparisons still under way", { pending: this.background.size });
      this.shutdown.abort(new ShadowClosingError());
      await this.background.drain();
    }
    await Promise.all([this.sink.file?.flush(), this.inputsFile?.flush()]);
    return { pending, timedOut: !finished, cutShort: this.cutShort, abandoned: this.abandoned };
  }

  private productionOnly(input: I): Promise<O> {
    return this.settings.production.run(input, this.unshadowed);
  }

  private armSettings(productionWrites?: ProductionWrites): ArmRunSettings {
    return {
      productionWrites,
      keepInputs: this.settings.keepInputs,
      deployment: this.settings.deployment,
      tools: this.settings.tools,
      dryRunResult: this.settings.dryRunResult,
      onIntercept: (tool) => this.metrics.intercepted(tool),
    };
  }

  private async finishPair(meta: RequestMeta, input: I, production: ArmRunResult<O>, candidatePromise: Promise<CandidateTrace>, release: () => void): Promise<void> {
    const candidate = await candidatePromise;
    const { record } = candidate;
    this.metrics.candidateRun(record.outcome === "timeout" ? "timeout" : record.error !== undefined ? "error" : "completed");
    this.emit("candidate_finished", { id: meta.requestId, run: this.shown(record) });
    const compared = candidate.cutShort ? this.countCutShort(meta.requestId) : this.compare(meta, input, production, candidate);
    // The comparison does not wait for a candidate that ignores its signal; the slot does.
    const [comparison, end] = await Promise.allSettled([compared, candidate.ended]);
    release();
    if (end.status === "fulfilled") this.candidateEnded(meta.requestId, end.value);
    if (comparison.status === "rejected") throw comparison.reason;
  }

  private async compare(meta: RequestMeta, input: I, production: ArmRunResult<O>, candidate: CandidateTrace): Promise<void> {
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

  /** A run as events show it: without inputs, arguments and output when the shadow keeps no inputs. */
  private shown(run: RunRecord): RunRecord {
    return this.settings.keepInputs ? run : withholdRun(run);
  }

  private async countCutShort(id: string): Promise<void> {
    this.cutShort += 1;
    this.settings.logger.warn("candidate run cut short by close(); not compared", { id });
  }

  private candidateEnded(id: string, end: CandidateEnd): void {
    if (end.how === "abandoned") {
      this.abandoned += 1;
      this.settings.logger.warn("candidate ignored its aborted signal and was abandoned; its tools refuse, its slot is free", {
        id,
        abandonAfterMs: this.settings.candidateAbandonAfterMs,
        refusedToolCalls: end.refusedToolCalls,
      });
    }
    this.emit("candidate_stopped", { id, ...end });
  }

  private recordedInput(meta: RequestMeta, input: I, production: RunRecord): RecordedInput {
    return {
      id: meta.requestId,
      at: new Date().toISOString(),
      ...(meta.tenant !== undefined ? { tenant: meta.tenant } : {}),
      ...(meta.route !== undefined ? { route: meta.route } : {}),
      input: jsonSafe(input),
      production: jsonSafeRun(production),
    };
  }

}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Creates a shadow runner: production answers the caller, the candidate is compared in the background. */
export function createShadow<I, O extends AgentAnswer | string>(options: ShadowOptions<I, O>): ShadowRunner<I, O> {
  return new ShadowRunner(options);
}
