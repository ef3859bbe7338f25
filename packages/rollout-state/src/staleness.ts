import { StoreUnavailableError } from "./errors.js";

/**
 * Tracks when a watcher last heard from its store. A router that keeps serving the last
 * state of a hung store keeps sending sessions to a canary that may have been rolled back
 * meanwhile (876 of 1,756 new sessions during a 90 s Redis freeze); past `staleAfterMs`
 * without a confirmed read the watcher is told `unavailable` and fails closed, until the
 * next confirmed read brings the state back.
 */
export class Staleness {
  private lastConfirmedAt = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly staleAfterMs: number,
    onStale: (error: StoreUnavailableError) => void,
    what: string,
  ) {
    this.timer = setInterval(
      () => {
        const silentMs = Date.now() - this.lastConfirmedAt;
        if (silentMs > this.staleAfterMs) {
          onStale(new StoreUnavailableError(`${what} has not confirmed the rollout state for ${Math.round(silentMs / 1000)} s (bound: ${this.staleAfterMs / 1000} s)`));
        }
      },
      Math.max(50, Math.min(1_000, Math.floor(staleAfterMs / 4))),
    );
    this.timer.unref();
  }

  /** The store answered (a state, no state, or an invalid one): it is reachable. */
  confirm(): void {
    this.lastConfirmedAt = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
