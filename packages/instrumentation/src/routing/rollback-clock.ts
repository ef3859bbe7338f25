import type { RolloutState } from "@agent-canary/rollout-state";

/**
 * When this process learned of the current rollback, on its monotonic clock.
 *
 * The drain deadline is measured from there, not from the state's wall-clock
 * `rolledBackAt`: hosts' clocks disagree, and an agent whose clock runs 11
 * minutes ahead of the receiver's would otherwise find a 10-minute drain
 * already over and end every running canary session at once. A process that
 * learns of a rollback late gives its canary sessions the full drain time from then.
 */
export class RollbackClock {
  private rollback: { key: string; learnedAt: number; drainMs: number } | undefined;

  observe(state: RolloutState): void {
    if (state.phase !== "rolled_back") {
      this.rollback = undefined;
      return;
    }
    const key = `${state.rolloutId ?? ""}@${state.rolledBackAt ?? ""}`;
    const drainMs = state.drainTimeoutSeconds * 1000;
    // The same rollback seen again (an unchanged re-read, another field changed) keeps its start.
    if (this.rollback?.key === key) this.rollback.drainMs = drainMs;
    else this.rollback = { key, learnedAt: performance.now(), drainMs };
  }

  /** performance.now() ms after which canary sessions must have ended; undefined without a rollback. */
  deadline(): number | undefined {
    return this.rollback ? this.rollback.learnedAt + this.rollback.drainMs : undefined;
  }
}
