import { AgentCanaryGuardError } from "../guards/errors.js";
import type { Safely } from "../telemetry/safely.js";

export interface StreamObserver {
  /** Sees every item the consumer receives. */
  onItem(item: unknown): void;
  /**
   * Whether the item just seen completes the call (a terminal event carrying
   * the usage). The call is then recorded before the item is passed on, so a
   * guard it trips reaches a consumer that stops reading at that event (the
   * SDKs' stream helpers do).
   */
  isLast?(item: unknown): boolean;
  /** The stream ended or the consumer stopped reading; may throw a guard error to the consumer. */
  onEnd(): void;
  onError(error: unknown): void;
}

type IteratorFactory = () => AsyncIterator<unknown>;

/**
 * Observes an SDK stream in place: the object the user gets is the SDK's own
 * (its tee(), toReadableStream(), controller keep working); only its iterator
 * is wrapped so items are seen as the consumer reads them.
 */
export function observeStream(stream: object, observer: StreamObserver, safely: Safely): void {
  const target = stream as { iterator?: unknown; [Symbol.asyncIterator]?: unknown };
  // openai and @anthropic-ai/sdk streams iterate through an own `iterator`
  // factory (tee() uses it too); older versions only have Symbol.asyncIterator.
  if (typeof target.iterator === "function" && Object.hasOwn(target, "iterator")) {
    const original = (target.iterator as IteratorFactory).bind(stream);
    target.iterator = () => observed(original(), observer, safely);
  } else if (typeof target[Symbol.asyncIterator] === "function") {
    const original = (target[Symbol.asyncIterator] as IteratorFactory).bind(stream);
    Object.defineProperty(stream, Symbol.asyncIterator, {
      value: () => observed(original(), observer, safely),
      configurable: true,
      writable: true,
    });
  } else {
    safely("stream", () => observer.onEnd(), undefined);
  }
}

async function* observed(inner: AsyncIterator<unknown>, observer: StreamObserver, safely: Safely): AsyncGenerator<unknown> {
  let finished = false;
  try {
    while (true) {
      let step: IteratorResult<unknown>;
      try {
        step = await inner.next();
      } catch (error) {
        finished = true;
        safely("stream-error", () => observer.onError(error), undefined);
        throw error;
      }
      if (step.done) break;
      safely("stream-item", () => observer.onItem(step.value), undefined);
      if (safely("stream-item", () => observer.isLast?.(step.value) ?? false, false)) {
        finished = true;
        try {
          observer.onEnd();
        } catch (error) {
          await inner.return?.();
          throw error;
        }
        yield step.value;
        // Anything after the terminal event is passed on unrecorded.
        while (!(step = await inner.next()).done) yield step.value;
        return;
      }
      yield step.value;
    }
    finished = true;
    observer.onEnd();
  } finally {
    if (!finished) {
      // The consumer broke out early: record what was seen, and let the SDK abort its request.
      // A guard tripped by this call is not thrown into the consumer's `break`; the
      // session is ended and its next LLM or tool call throws it.
      safely(
        "stream-early-end",
        () => {
          try {
            observer.onEnd();
          } catch (error) {
            if (!(error instanceof AgentCanaryGuardError)) throw error;
          }
        },
        undefined,
      );
      await inner.return?.();
    }
  }
}
