import type { VersionGroup } from "@agent-canary/conventions";
import type { Stratum } from "../../routing/strata.js";
import { GateCell, type PointVisitor, type RolloutSeries, type SessionSummary } from "./cell.js";

/** One arm of a rollout: the group and the version hash its sessions carry. */
export interface Arm {
  readonly group: VersionGroup;
  readonly hash: string;
}

/**
 * The gate inputs of one deployment, as cumulative counts per label set.
 *
 * Every series exists at 0 before its first event (a counter series that first
 * appears at 1 loses that 1 to increase()): the split cells of a rollout are
 * created when the router learns of it, for both arms and every stage percent,
 * and any session's cell when it starts.
 *
 * Memory stays bounded in a long-running process: a rollout that ended (the
 * state moved to another rollout, or has no canary any more) is dropped once
 * `retainEndedMs` has passed, none of its sessions is running, and its last
 * values have been collected.
 */
export class GateInputs {
  private readonly rollouts = new Map<string, RolloutSeries>();

  constructor(
    private readonly deployment: string,
    private readonly retainEndedMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The rollout now in force (empty: none). Every other rollout has ended; the
   * current one's split series are created at 0 for each arm and percent.
   */
  follow(rolloutId: string, arms: readonly Arm[], percents: readonly string[]): void {
    for (const series of this.rollouts.values()) {
      if (series.id !== "" && series.id !== rolloutId) series.endedAt ??= this.now();
    }
    if (rolloutId === "") return;
    const series = this.seriesOf(rolloutId);
    series.endedAt = undefined;
    for (const arm of arms) {
      for (const canaryPercent of percents) this.cellIn(series, arm, { rolloutId, canaryPercent, assignment: "split" });
    }
  }

  /** A session starts: its series exist from now, and its rollout is kept while it runs. */
  begin(arm: Arm, stratum: Stratum): GateCell {
    const series = this.seriesOf(stratum.rolloutId);
    series.live += 1;
    return this.cellIn(series, arm, stratum);
  }

  /** A session ended: what it adds to its cell. */
  end(cell: GateCell, summary: SessionSummary): void {
    cell.addSession(summary);
    cell.rollout.live -= 1;
    cell.rollout.dirty = true;
  }

  /** A judge's score for a session of this cell. */
  quality(cell: GateCell, score: number): void {
    cell.observe("quality", score);
    cell.rollout.dirty = true;
  }

  /** Visits every exported point, after dropping the rollouts that ended long enough ago. */
  collect(visitor: PointVisitor): void {
    const now = this.now();
    for (const [id, series] of this.rollouts) {
      if (this.droppable(series, now)) {
        this.rollouts.delete(id);
        continue;
      }
      series.dirty = false;
      for (const cell of series.cells.values()) cell.visit(visitor);
    }
  }

  /** Rollouts whose series are held (for tests and diagnostics). */
  get rolloutIds(): string[] {
    return [...this.rollouts.keys()];
  }

  private droppable(series: RolloutSeries, now: number): boolean {
    return series.endedAt !== undefined && series.live === 0 && !series.dirty && now - series.endedAt >= this.retainEndedMs;
  }

  private seriesOf(rolloutId: string): RolloutSeries {
    let series = this.rollouts.get(rolloutId);
    if (!series) {
      series = { id: rolloutId, cells: new Map(), live: 0, endedAt: undefined, dirty: false };
      this.rollouts.set(rolloutId, series);
    }
    return series;
  }

  private cellIn(series: RolloutSeries, arm: Arm, stratum: Stratum): GateCell {
    const key = `${arm.group}\u0000${arm.hash}\u0000${stratum.canaryPercent}\u0000${stratum.assignment}`;
    let cell = series.cells.get(key);
    if (!cell) {
      cell = new GateCell(series, {
        deployment: this.deployment,
        version_group: arm.group,
        version_hash: arm.hash,
        rollout_id: stratum.rolloutId,
        canary_percent: stratum.canaryPercent,
        assignment: stratum.assignment,
      });
      series.cells.set(key, cell);
    }
    return cell;
  }
}
