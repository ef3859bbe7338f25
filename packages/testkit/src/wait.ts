export interface WaitOptions {
  /** Give up after this long; a hang guard, not a speed assertion. */
  timeoutMs?: number;
  intervalMs?: number;
  /** Said in the error when it gives up. */
  what?: string;
}

/**
 * Polls `check` until it returns a value other than undefined/false, and
 * returns that value. Exceptions thrown by `check` count as "not yet"; the last
 * one is reported if time runs out.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: WaitOptions = {}): Promise<Exclude<T, false | undefined>> {
  const { timeoutMs = 30_000, intervalMs = 50, what = "condition" } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as Exclude<T, false | undefined>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `: last error: ${lastError.message}` : "";
      throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
