import {
  advance,
  pause,
  promote,
  rollback,
  start,
  transition,
  TransitionRejectedError,
  UnknownDeploymentError,
  type RolloutState,
  type RolloutStore,
  type StartInput,
  type TransitionMeta,
  type VersionRef,
} from "@agent-canary/rollout-state";
import { archiveDeploymentRecord, buildDeploymentRecord, type StageRecord } from "./archive.js";
import { systemClock, type Clock } from "./clock.js";
import type { GateReport, GateSource } from "./gate-source.js";
import { stderrLogger, type ProgressLogger } from "./logger.js";

export interface ControllerOptions {
  store: RolloutStore;
  deployment: string;
  gates: GateSource;
  clock?: Clock;
  /** Time between evaluations, in clock milliseconds. Default 30 s. */
  intervalMs?: number;
  /** Directory for the deployment record written when the rollout ends. None: no record. */
  archiveDir?: string;
  /** Written into every transition's `by`. Default "controller". */
  by?: string;
  log?: ProgressLogger;
}

/** What one evaluation did. `final` outcomes end the rollout. */
export type TickOutcome =
  | { kind: "waiting" | "advanced" | "held" | "paused"; final: false; state: RolloutState; reason: string }
  | { kind: "rolled_back" | "promoted" | "idle"; final: true; state: RolloutState; reason: string; recordPath?: string };

export type RolloutResult = Extract<TickOutcome, { final: true }> | { kind: "stopped"; final: true; reason: string };

export interface RolloutRun {
  /** Settles when the rollout is promoted, rolled back, or stopped. */
  done: Promise<RolloutResult>;
  /** Stops evaluating (the state stays as it is). */
  stop(): void;
}

/** Why the stage cannot end yet, or [] when it can. 0% and 100% stages have one arm only. */
function unmetMinimums(state: RolloutState, report: GateReport, elapsedSeconds: number): string[] {
  const stage = state.stages[state.stage ?? -1];
  if (!stage) return [`stage ${String(state.stage)} is not in the plan`];
  const unmet: string[] = [];
  if (elapsedSeconds < stage.minDurationSeconds) unmet.push(`duration ${Math.floor(elapsedSeconds)}s of ${stage.minDurationSeconds}s`);
  if (stage.percent > 0 && report.sessions.canary < stage.minSessionsPerArm) unmet.push(`canary sessions ${report.sessions.canary} of ${stage.minSessionsPerArm}`);
  if (stage.percent < 100 && report.sessions.baseline < stage.minSessionsPerArm) unmet.push(`baseline sessions ${report.sessions.baseline} of ${stage.minSessionsPerArm}`);
  return unmet;
}

/**
 * Why the gates forbid ending this stage, or [] when they allow it: a pending
 * gate may be about to fire, and full traffic must not go to a canary that some
 * gate never had enough sessions to judge.
 */
function gatesNotReady(state: RolloutState, report: GateReport): string[] {
  const reasons: string[] = [];
  const pending = report.pending ?? [];
  if (pending.length > 0) reasons.push(`gates pending: ${pending.map((g) => g.name).join(", ")}`);
  const stageIndex = state.stage ?? 0;
  const next = state.stages[stageIndex + 1];
  const goesToFullTraffic = state.canaryPercent < 100 && (next === undefined || next.percent >= 100);
  const undecided = report.undecided ?? [];
  if (goesToFullTraffic && undecided.length > 0) reasons.push(`gates without enough sessions to judge before 100%: ${undecided.join(", ")}`);
  return reasons;
}

/** Drives one deployment's rollout by evaluating its gates on a clock. */
export class RolloutController {
  private readonly clock: Clock;
  private readonly log: ProgressLogger;
  private readonly by: string;
  /** The versions as the rollout began, for the record (promotion replaces the baseline). */
  private versions: { baseline: VersionRef; canary: VersionRef | null } | undefined;

  constructor(private readonly options: ControllerOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? stderrLogger;
    this.by = options.by ?? "controller";
  }

  /** One evaluation: read state, ask the gates, then wait, advance, hold, roll back or promote. */
  async tick(): Promise<TickOutcome> {
    const { store, deployment } = this.options;
    const state = await store.read(deployment);
    if (!state) throw new UnknownDeploymentError(deployment);
    this.versions ??= state.canary ? { baseline: state.baseline, canary: state.canary } : undefined;
    if (state.phase === "rolled_back") return { kind: "rolled_back", final: true, state, reason: "rolled back (by someone else)" };
    if (state.phase === "promoted") return { kind: "promoted", final: true, state, reason: "promoted (by someone else)" };
    if (state.phase === "idle") return { kind: "idle", final: true, state, reason: "no rollout in progress" };

    const now = this.clock.now();
    const since = state.stageStartedAt ? new Date(state.stageStartedAt) : now;
    let report: GateReport;
    try {
      report = await this.options.gates.report({ deployment, since, now });
    } catch (error) {
      // Without gate data nothing may advance; the rollout simply waits.
      const reason = `gate source failed: ${(error as Error).message}`;
      this.log.warn({ deployment, stage: state.stage }, reason);
      return { kind: "waiting", final: false, state, reason };
    }
    const elapsedSeconds = (now.getTime() - since.getTime()) / 1000;
    const stageRecord: StageRecord = {
      index: state.stage ?? -1,
      percent: state.canaryPercent,
      startedAt: state.stageStartedAt,
      endedAt: now.toISOString(),
      durationSeconds: Math.round(elapsedSeconds),
      sessions: report.sessions,
      ...(report.values ? { values: report.values } : {}),
      firing: report.firing.map((g) => ({ name: g.name, action: g.action })),
    };
    const fields = { deployment, stage: state.stage, percent: state.canaryPercent, phase: state.phase, sessions: report.sessions, elapsedSeconds: Math.round(elapsedSeconds) };

    const rollbackGates = report.firing.filter((g) => g.action === "rollback");
    if (rollbackGates.length > 0) {
      const names = rollbackGates.map((g) => g.name).join(", ");
      const result = await this.write(rollback(deployment), { reason: `rollback gate firing: ${names}`, details: { stage: stageRecord, gates: rollbackGates } });
      this.log.warn({ ...fields, gates: names }, "rollback gate firing: canary set to 0%");
      return { kind: "rolled_back", final: true, state: result, reason: `rollback gate firing: ${names}`, ...(await this.archive("rolled_back")) };
    }
    if (state.phase === "paused") {
      this.log.info(fields, "paused; resume with `agent-canary rollout resume`");
      return { kind: "paused", final: false, state, reason: "paused" };
    }
    const holdGates = report.firing.filter((g) => g.action === "hold");
    if (holdGates.length > 0) {
      const names = holdGates.map((g) => g.name).join(", ");
      const result = await this.write(pause(deployment, "hold"), { reason: `hold gate firing: ${names}`, details: { gates: holdGates } });
      this.log.warn({ ...fields, gates: names }, "hold gate firing: progression paused");
      return { kind: "held", final: false, state: result, reason: `hold gate firing: ${names}` };
    }
    const unmet = [...unmetMinimums(state, report, elapsedSeconds), ...gatesNotReady(state, report)];
    if (unmet.length > 0) {
      this.log.info({ ...fields, waitingFor: unmet }, "stage minimums not met yet");
      return { kind: "waiting", final: false, state, reason: unmet.join("; ") };
    }
    const stageIndex = state.stage ?? 0;
    const last = stageIndex >= state.stages.length - 1;
    const mutation = last ? promote(deployment, { fromStage: stageIndex }) : advance(deployment, stageIndex);
    const result = await transition(this.options.store, deployment, mutation, { by: this.by, reason: last ? "all stages passed" : `stage ${stageIndex} passed`, details: { stage: stageRecord } }, { now: () => this.clock.now() });
    if (result.status === "unchanged") {
      // Someone paused, held or moved the rollout while the gates were queried; the next evaluation sees it.
      this.log.info({ ...fields, why: result.reason }, "state changed during the evaluation; not advancing");
      return { kind: "waiting", final: false, state: result.state ?? state, reason: result.reason };
    }
    if (last) {
      this.log.info(fields, "all stages passed: canary promoted to baseline");
      return { kind: "promoted", final: true, state: result.state, reason: "all stages passed", ...(await this.archive("promoted")) };
    }
    this.log.info({ ...fields, toStage: result.state.stage, toPercent: result.state.canaryPercent }, "stage passed: advanced");
    return { kind: "advanced", final: false, state: result.state, reason: `stage ${stageIndex} passed` };
  }

  /** Ticks until the rollout ends or `signal` aborts. */
  async run(signal: AbortSignal): Promise<RolloutResult> {
    const interval = this.options.intervalMs ?? 30_000;
    for (;;) {
      if (signal.aborted) return { kind: "stopped", final: true, reason: "stopped" };
      try {
        const outcome = await this.tick();
        if (outcome.final) return outcome;
      } catch (error) {
        // A deployment that is gone or a refused transition will not heal; a store hiccup may.
        if (error instanceof TransitionRejectedError) throw error;
        this.log.error({ deployment: this.options.deployment, err: (error as Error).message }, "evaluation failed; retrying at the next interval");
      }
      try {
        await this.clock.sleep(interval, signal);
      } catch {
        return { kind: "stopped", final: true, reason: "stopped" };
      }
    }
  }

  private async write(mutation: Parameters<typeof transition>[2], meta: Omit<TransitionMeta, "by">): Promise<RolloutState> {
    const result = await transition(this.options.store, this.options.deployment, mutation, { by: this.by, ...meta }, { now: () => this.clock.now() });
    if (!result.state) throw new UnknownDeploymentError(this.options.deployment);
    return result.state;
  }

  private async archive(outcome: string): Promise<{ recordPath?: string }> {
    if (!this.options.archiveDir) return {};
    const record = await buildDeploymentRecord(this.options.store, this.options.deployment, outcome, this.clock.now(), this.versions);
    const recordPath = await archiveDeploymentRecord(this.options.archiveDir, record);
    this.log.info({ deployment: this.options.deployment, recordPath }, "deployment record archived");
    return { recordPath };
  }
}

/**
 * Starts (when `start` is given) and then drives a rollout: advances through the
 * plan's stages when each stage's minimum duration and sessions per arm are met and
 * no gate fires; pauses on a hold gate; rolls back on a rollback gate; promotes at the end.
 */
export function startRollout(options: ControllerOptions & { start?: Omit<StartInput, "deployment"> }): RolloutRun {
  const abort = new AbortController();
  const controller = new RolloutController(options);
  const clock = options.clock ?? systemClock;
  const done = (async (): Promise<RolloutResult> => {
    if (options.start) {
      const started = await transition(
        options.store,
        options.deployment,
        start({ ...options.start, deployment: options.deployment }),
        { by: options.by ?? "controller", reason: `start rollout of ${options.start.canary.hash}` },
        { now: () => clock.now() },
      );
      (options.log ?? stderrLogger).info({ deployment: options.deployment, status: started.status, percent: started.state?.canaryPercent }, "rollout started");
    }
    return controller.run(abort.signal);
  })();
  return { done, stop: () => abort.abort() };
}
