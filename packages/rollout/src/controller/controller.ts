import type { GatesConfig } from "@agent-canary/gate-rules";
import {
  advance,
  pause,
  promote,
  recordEvent,
  rollback,
  transition,
  TransitionRejectedError,
  UnknownDeploymentError,
  type RolloutState,
  type RolloutStore,
  type TransitionMeta,
} from "@agent-canary/rollout-state";
import { writeDeploymentRecord, type RolloutVersions, type StageRecord } from "../records/index.js";
import { systemClock, type Clock } from "./clock.js";
import { evidenceMissing, scopeReport, unmetMinimums, verdictSummary } from "./evidence.js";
import { evidenceOutlook, type GateOutlook } from "./outlook.js";
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
  /** Say early when traffic cannot decide: see OutlookOptions. Absent: no estimate. */
  outlook?: OutlookOptions;
}

export interface OutlookOptions {
  /** The gates config (gate kinds, tolerances, look-back) the estimate is computed with. */
  config: GatesConfig;
  /** Seconds into a stage before traffic is measured; default 600 (the first minutes of a stage). */
  afterSeconds?: number;
  /** Hours beyond which a gate counts as unable to decide; default the config's look-back. */
  limitHours?: number;
  /** Called once per stage with the gates that cannot decide in time (e.g. to page, or an operator's policy to accept). */
  onUndecidable?: (gates: GateOutlook[], state: RolloutState) => Promise<void> | void;
}

/** What one evaluation did. `final` outcomes end the rollout. */
export type TickOutcome =
  | { kind: "waiting" | "advanced" | "held" | "paused"; final: false; state: RolloutState; reason: string }
  | { kind: "rolled_back" | "promoted" | "idle"; final: true; state: RolloutState; reason: string; recordPath?: string };

export type RolloutResult = Extract<TickOutcome, { final: true }> | { kind: "stopped"; final: true; reason: string };


/** JSON has no Infinity: "never" is null in the audit log. */
function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : null;
}

/** Names one stage of one rollout. */
function key(state: RolloutState): string {
  return `${state.rolloutId ?? ""}/${String(state.stage)}`;
}

/** Drives one deployment's rollout by evaluating its gates on a clock. */
export class RolloutController {
  private readonly clock: Clock;
  private readonly log: ProgressLogger;
  private readonly by: string;
  /** The versions as the rollout began, for the record (promotion replaces the baseline). */
  private versions: RolloutVersions | undefined;
  private versionsOf: string | null | undefined;
  /** The stage ("rolloutId/stage") whose outlook was reported, and what it said. */
  private outlookFor: string | undefined;
  private outlook: GateOutlook[] = [];
  /** What the last "not advancing" log line said, without its counts: one line per change, not per evaluation. */
  private lastWaiting: string | undefined;

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
    // Kept per rollout: a promotion replaces the baseline in the state, and a new start replaces both.
    if (state.canary && this.versionsOf !== state.rolloutId) {
      this.versions = { baseline: state.baseline, canary: state.canary };
      this.versionsOf = state.rolloutId;
    }
    if (state.phase === "rolled_back") return { kind: "rolled_back", final: true, state, reason: "rolled back (by someone else)" };
    if (state.phase === "promoted") return { kind: "promoted", final: true, state, reason: "promoted (by someone else)" };
    if (state.phase === "idle") return { kind: "idle", final: true, state, reason: "no rollout in progress" };

    const now = this.clock.now();
    const since = state.stageStartedAt ? new Date(state.stageStartedAt) : now;
    let report: GateReport;
    try {
      report = await this.options.gates.report({ deployment, rolloutId: state.rolloutId, since, now });
    } catch (error) {
      // Without gate data nothing may advance; the rollout simply waits.
      const reason = `gate source failed: ${(error as Error).message}`;
      this.log.warn({ deployment, stage: state.stage }, reason);
      return { kind: "waiting", final: false, state, reason };
    }
    const elapsedSeconds = (now.getTime() - since.getTime()) / 1000;
    const scoped = scopeReport(state, report);
    for (const line of scoped.ignored) this.log.info({ deployment, rolloutId: state.rolloutId }, `ignored: ${line}`);
    await this.reportOutlook(state, scoped.verdicts, report.sessions, elapsedSeconds);
    const stageRecord: StageRecord = {
      index: state.stage ?? -1,
      percent: state.canaryPercent,
      startedAt: state.stageStartedAt,
      endedAt: now.toISOString(),
      durationSeconds: Math.round(elapsedSeconds),
      sessions: report.sessions,
      ...(report.values ? { values: report.values } : {}),
      firing: scoped.firing.map((g) => ({ name: g.name, action: g.action })),
      verdicts: verdictSummary(state, scoped.verdicts),
      ...(this.outlook.length ? { outlook: this.outlook.map(({ gate, canarySessions, hours, decidable }) => ({ gate, canarySessions, hours, decidable })) } : {}),
    };
    const fields = { deployment, rolloutId: state.rolloutId, stage: state.stage, percent: state.canaryPercent, phase: state.phase, sessions: report.sessions, elapsedSeconds: Math.round(elapsedSeconds) };

    const rollbackGates = scoped.firing.filter((g) => g.action === "rollback");
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
    const holdGates = scoped.firing.filter((g) => g.action === "hold");
    if (holdGates.length > 0) {
      const names = holdGates.map((g) => g.name).join(", ");
      const result = await this.write(pause(deployment, "hold"), { reason: `hold gate firing: ${names}`, details: { gates: holdGates } });
      this.log.warn({ ...fields, gates: names }, "hold gate firing: progression paused");
      return { kind: "held", final: false, state: result, reason: `hold gate firing: ${names}` };
    }
    const unmet = [...unmetMinimums(state, report, elapsedSeconds), ...evidenceMissing(state, scoped)];
    if (unmet.length > 0) {
      const gist = `${key(state)} ${unmet.join("; ").replace(/\d+/g, "#")}`;
      if (gist !== this.lastWaiting) this.log.info({ ...fields, waitingFor: unmet }, "not advancing yet");
      this.lastWaiting = gist;
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

  /** Once per stage, after its first minutes: how long each required gate still needs at the measured traffic. */
  private async reportOutlook(state: RolloutState, verdicts: GateReport["verdicts"], sessions: GateReport["sessions"], elapsedSeconds: number): Promise<void> {
    const options = this.options.outlook;
    if (!options || this.outlookFor === key(state) || elapsedSeconds < (options.afterSeconds ?? 600) || sessions.canary === 0) return;
    this.outlookFor = key(state);
    this.outlook = evidenceOutlook({ config: options.config, state, verdicts, sessions, elapsedSeconds, ...(options.limitHours === undefined ? {} : { limitHours: options.limitHours }) });
    const fields = { deployment: state.deployment, rolloutId: state.rolloutId, stage: state.stage, percent: state.canaryPercent };
    for (const o of this.outlook) {
      const at = { ...fields, gate: o.gate, canarySessions: o.canarySessions, hours: o.hours };
      if (o.decidable) this.log.info(at, o.message);
      else this.log.warn(at, o.message);
    }
    if (this.outlook.length > 0) {
      // In the audit log too, so `rollout status` and the deployment record say it.
      const reason = this.outlook.map((o) => o.message).join("; ");
      const details = { outlook: this.outlook.map(({ gate, atPercent, canarySessions, hours, decidable }) => ({ gate, atPercent, canarySessions: finiteOrNull(canarySessions), hours: finiteOrNull(hours), decidable })) };
      await recordEvent(this.options.store, state, { by: this.by, action: "outlook", outcome: "unchanged", reason, details }, this.clock.now());
    }
    const undecidable = this.outlook.filter((o) => !o.decidable);
    if (undecidable.length > 0) await options.onUndecidable?.(undecidable, state);
  }

  private async write(mutation: Parameters<typeof transition>[2], meta: Omit<TransitionMeta, "by">): Promise<RolloutState> {
    const result = await transition(this.options.store, this.options.deployment, mutation, { by: this.by, ...meta }, { now: () => this.clock.now() });
    if (!result.state) throw new UnknownDeploymentError(this.options.deployment);
    return result.state;
  }

  private async archive(outcome: string): Promise<{ recordPath?: string }> {
    if (!this.options.archiveDir) return {};
    const { store, deployment, archiveDir } = this.options;
    const recordPath = await writeDeploymentRecord({ store, deployment, outcome, dir: archiveDir, now: this.clock.now(), ...(this.versions ? { previous: this.versions } : {}) });
    this.log.info({ deployment: this.options.deployment, recordPath }, `deployment record archived: ${recordPath}`);
    return { recordPath };
  }
}
