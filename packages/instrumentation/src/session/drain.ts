/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Ends a canary session at a deadline on this process's monotonic clock
 * (performance.now() ms). Created only for canary sessions running when a
 * rollback is learned of.
 */
export class DrainTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly deadline: number,
    private readonly onExpire: () => void,
  ) {
    this.arm();
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  // setTimeout fires at once for delays past 2^31-1 ms (about 24.8 days): a longer drain re-arms.
  private arm(): void {
    const delay = this.deadline - performance.now();
    if (delay <= 0) {
      this.timer = undefined;
      this.onExpire();
      return;
    }
    this.timer = setTimeout(() => this.arm(), Math.min(delay, MAX_TIMER_MS));
    this.timer.unref();
  }
}
