import type { ShadowLogger } from "./logger.js";

/**
 * The work a shadow runner does after the caller has its answer: candidate
 * runs, comparisons, file appends. None of it ever rejects into the caller;
 * close() drains it within a bound.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly logger: ShadowLogger,
    private readonly onFailure: (id: string, error: unknown) => void,
  ) {}

  get size(): number {
    return this.running.size;
  }

  /** Failures are logged and handed to onFailure; production was not affected by them. */
  add(id: string, work: Promise<unknown>): void {
    const tracked: Promise<void> = work.then(
      () => undefined,
      (error: unknown) => {
        this.logger.warn("shadow background work failed; production was not affected", { id, error: String(error) });
        this.onFailure(id, error);
      },
    );
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }

  /** Waits until nothing is running (work added meanwhile included); false when `timeoutMs` passed first. */
  async drain(timeoutMs?: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      if (timeoutMs !== undefined) timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      while (this.running.size > 0) {
        const done = await Promise.race([Promise.allSettled([...this.running]).then(() => true as const), expired]);
        if (!done) return false;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
}
