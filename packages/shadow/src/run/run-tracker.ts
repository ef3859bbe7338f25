import { errorText, ShadowError } from "../record/withheld.js";
import { checkAnswer, InvalidAnswerError, type ShadowContext, type ShadowRole, type ToolDefinition, type Toolset } from "./agent.js";
import { InterceptedWrites, keyOf, type ProductionWrites } from "./read-after-write.js";
import type { RunOutcome, RunRecord, ToolCallRecord } from "./run-record.js";

export class UnknownToolError extends ShadowError {
  constructor(name: string, known: readonly string[]) {
    super(`tool "${name}" is not declared to the shadow runner; declared tools: ${known.join(", ") || "(none)"}. Add it to the \`tools\` option with kind "read" or "write".`);
    this.name = "UnknownToolError";
  }
}

/**
 * What a stopped candidate run gets from `ctx.callTool`: the run passed its
 * timeout (or already answered, or the shadow closed), so the tool is not
 * executed. A call under way when the run stops rejects with it too.
 */
export class CandidateStoppedError extends ShadowError {
  constructor(
    readonly tool: string,
    readonly reason: unknown,
  ) {
    super(`tool call "${tool}" refused and not executed: this candidate run was stopped (${errorMessage(reason)}). Pass ctx.signal to model calls and stop when it aborts.`);
    this.name = "CandidateStoppedError";
  }
}

/** Refused calls after which a stopped run's further calls never settle: it is looping on refusals. */
export const PARK_AFTER_REFUSALS = 100;

/** The reason a candidate's tools refuse once its answer has been recorded. */
export class RunFinishedError extends ShadowError {
  constructor() {
    super("the run had already returned its answer");
    this.name = "RunFinishedError";
  }
}

export interface RunTrackerOptions {
  readonly role: ShadowRole;
  readonly tools: Toolset;
  /** Writes are recorded and answered with their dry-run result, never executed. Always on for the candidate. */
  readonly interceptWrites: boolean;
  readonly dryRunResult: (tool: string, args: unknown) => unknown;
  /** Told of every write the candidate asked for and did not get. */
  readonly onIntercept?: ((tool: string) => void) | undefined;
  /** Shared by the two runs of one request: production notes the keys it really wrote, the candidate checks its reads. */
  readonly productionWrites?: ProductionWrites | undefined;
  /** False: error messages other than the shadow's own are withheld from the record (they may quote inputs). */
  readonly keepInputs?: boolean | undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Watches one run of one arm: it is the context the agent calls tools through,
 * and so the only place that decides whether a write is executed. In the
 * candidate role (or with interceptWrites) it never calls a write tool's execute().
 * Once stopped, its signal is aborted and every tool call is refused.
 */
export class RunTracker implements ShadowContext {
  readonly role: ShadowRole;
  private readonly abort = new AbortController();
  private readonly toolCalls: ToolCallRecord[] = [];
  private turnCount = 0;
  private costSum: number | null = null;
  private costUnknowable = false;
  private readonly writes = new InterceptedWrites();
  private refused = 0;
  private readonly startedAt = performance.now();

  constructor(private readonly options: RunTrackerOptions) {
    this.role = options.role;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Tool calls refused because the run was stopped. */
  get refusedToolCalls(): number {
    return this.refused;
  }

  /** Aborts the signal; from now on tool calls are refused (the one under way included) and turns are not counted. */
  stop(reason: Error): void {
    if (!this.abort.signal.aborted) this.abort.abort(reason);
  }

  async callTool(name: string, args: unknown): Promise<unknown> {
    if (this.signal.aborted) return this.refuse(name);
    // Production is never stopped: its calls go straight through.
    if (this.role === "production") return this.execute(name, args);
    // A stopped run must not go on with what a slow tool returns later.
    let onAbort = (): void => undefined;
    const refused = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(new CandidateStoppedError(name, this.signal.reason));
      this.signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([this.execute(name, args), refused]);
    } finally {
      this.signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Refuses a call of a stopped run. The refusal waits for the next turn of the
   * event loop, so agent code that swallows it and retries cannot starve the
   * process production shares; past PARK_AFTER_REFUSALS it never settles at all,
   * which parks such a loop until the runner abandons the run.
   */
  private async refuse(name: string): Promise<never> {
    this.refused += 1;
    if (this.refused > PARK_AFTER_REFUSALS) return new Promise<never>(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    throw new CandidateStoppedError(name, this.signal.reason);
  }

  private async execute(name: string, args: unknown): Promise<unknown> {
    const tool = Object.hasOwn(this.options.tools, name) ? this.options.tools[name] : undefined;
    if (!tool) {
      const error = new UnknownToolError(name, Object.keys(this.options.tools));
      this.toolCalls.push({ name, kind: "unknown", arguments: args, intercepted: false, error: error.message });
      throw error;
    }
    const key = keyOf(tool, args);
    if (tool.kind === "write" && this.intercepting) return this.intercept(name, tool, args, key);
    if (tool.kind === "write" && key !== undefined) this.options.productionWrites?.note(key);
    const record: ToolCallRecord = { name, kind: tool.kind, arguments: args, intercepted: false };
    if (tool.kind === "read" && key !== undefined) this.noteReadAfterWrite(record, tool, key);
    this.toolCalls.push(record);
    try {
      const readReal = async () => tool.execute(args, this.signal);
      const ownWrites = record.readAfterWrite === "overlaid" && key !== undefined ? this.writes.get(key) : undefined;
      return await (ownWrites && tool.overlay ? tool.overlay(args, ownWrites, readReal) : readReal());
    } catch (error) {
      record.error = errorText(error, this.options.keepInputs ?? true);
      throw error;
    }
  }

  private get intercepting(): boolean {
    return this.role === "candidate" || this.options.interceptWrites;
  }

  /** Records the write, keeps it for reads of its key, and answers with the dry-run result. */
  private intercept(name: string, tool: ToolDefinition, args: unknown, key: string | undefined): unknown {
    this.toolCalls.push({ name, kind: "write", arguments: args, intercepted: true, ...(key !== undefined ? { key } : {}) });
    this.options.onIntercept?.(name);
    const result = tool.dryRun ? tool.dryRun(args) : this.options.dryRunResult(name, args);
    if (key !== undefined) this.writes.add(key, { tool: name, args, result });
    return result;
  }

  /** How a read relates to earlier writes of its key in this request, on its record. */
  private noteReadAfterWrite(record: ToolCallRecord, tool: ToolDefinition, key: string): void {
    if (this.writes.get(key)) record.readAfterWrite = tool.overlay ? "overlaid" : "own_write_missed";
    else if (this.role === "candidate" && this.options.productionWrites?.has(key)) record.readAfterWrite = "production_write_seen";
    if (record.readAfterWrite) record.key = key;
  }

  recordTurn(usage?: { readonly costUsd?: number | undefined }): void {
    if (this.signal.aborted) return;
    this.turnCount += 1;
    const cost = usage?.costUsd;
    if (cost === undefined || this.costUnknowable) return;
    // A cost that is not a real amount makes the run's cost unknown: a sum with it would be wrong.
    if (!Number.isFinite(cost) || cost < 0) {
      this.costUnknowable = true;
      this.costSum = null;
      return;
    }
    this.costSum = (this.costSum ?? 0) + cost;
  }

  /** The run's record from the agent's answer; an answer that is not valid makes it an "error" run saying why. */
  finish(versionHash: string, answer: unknown): RunRecord {
    const checked = checkAnswer(answer);
    if (checked instanceof InvalidAnswerError) return this.fail(versionHash, "error", checked);
    return this.record(versionHash, checked.outcome ?? "completed", checked.output, { turns: checked.turns, costUsd: checked.costUsd });
  }

  fail(versionHash: string, outcome: RunOutcome, error: unknown): RunRecord {
    return { ...this.record(versionHash, outcome, "", {}), error: errorText(error, this.options.keepInputs ?? true) };
  }

  private record(
    versionHash: string,
    outcome: RunOutcome,
    output: string,
    overrides: { turns?: number | undefined; costUsd?: number | undefined },
  ): RunRecord {
    const turns = overrides.turns ?? this.turnCount;
    return {
      versionHash,
      output,
      outcome,
      toolCalls: this.toolCalls.map((call) => ({ ...call })),
      turns,
      steps: turns + this.toolCalls.length,
      costUsd: overrides.costUsd ?? this.costSum,
      durationMs: performance.now() - this.startedAt,
    };
  }
}
