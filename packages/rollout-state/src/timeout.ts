import { StoreUnavailableError } from "./errors.js";

/**
 * Settles with `work`, or rejects with StoreUnavailableError after `ms`. The work itself
 * goes on (a hung syscall or Redis command cannot be cancelled); only the wait is bounded.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
