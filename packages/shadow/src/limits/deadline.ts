import { ShadowError } from "../record/withheld.js";

/** A bounded call that ran out of time. The message names the setting that bounds it. */
export class DeadlineError extends ShadowError {
  constructor(
    readonly what: string,
    readonly setting: string,
    readonly timeoutMs: number,
  ) {
    super(`${what} did not answer within ${timeoutMs} ms (${setting}); its request was aborted`);
    this.name = "DeadlineError";
  }
}

/** The shadow runner is closing and stopped waiting for this work. */
export class ShadowClosingError extends ShadowError {
  constructor() {
    super("the shadow runner was closed before this finished (close() timeout); it was aborted");
    this.name = "ShadowClosingError";
  }
}

export interface Deadline {
  /** What is called, for the error: "judge", "embedder". */
  readonly what: string;
  /** The option that sets the limit, for the error: "compare.judgeTimeoutMs". */
  readonly setting: string;
  readonly timeoutMs: number;
}

/** A promise that rejects with the signal's reason once it aborts (and never settles otherwise). */
export function abortion(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/**
 * Runs `call` with a signal that aborts after `deadline.timeoutMs`, or as soon as
 * `parent` aborts. Waiting stops at that moment even when `call` ignores its
 * signal, so a remote judge that never answers cannot hold anything beyond the limit;
 * an SDK given the signal also closes its request.
 */
export async function withDeadline<T>(call: (signal: AbortSignal) => PromiseLike<T> | T, deadline: Deadline, parent?: AbortSignal): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DeadlineError(deadline.what, deadline.setting, deadline.timeoutMs)), deadline.timeoutMs);
  const onParent = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParent();
  else parent?.addEventListener("abort", onParent, { once: true });
  try {
    // Started inside then(): a call that throws synchronously rejects like one that fails later.
    return await Promise.race([Promise.resolve().then(() => call(controller.signal)), abortion(controller.signal)]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener("abort", onParent);
  }
}
