import { AgentCanaryGuardError } from "../guards/errors.js";
import type { Safely } from "../telemetry/safely.js";

export interface PartObserver {
  /** Sees each part before the consumer does. */
  onPart(part: unknown): void;
  /** Whether the part just seen ends the call (its usage is known): guards are then checked before it is passed on. */
  isLast(part: unknown): boolean;
  /** The call ended (last part, end of stream, or the consumer cancelled); may throw a guard error. */
  onEnd(): void;
  onError(error: unknown): void;
}

/**
 * A web ReadableStream of model parts, observed in order. A guard tripped by
 * the call errors the stream in place of its last part, so the framework
 * reading it (the AI SDK's step loop) stops instead of carrying on.
 */
export function observeReadable<T>(source: ReadableStream<T>, observer: PartObserver, safely: Safely): ReadableStream<T> {
  const reader = source.getReader();
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    observer.onEnd();
  };
  return new ReadableStream<T>({
    async pull(controller) {
      let step: Awaited<ReturnType<typeof reader.read>>;
      try {
        step = await reader.read();
      } catch (error) {
        if (!ended) {
          ended = true;
          safely("stream-error", () => observer.onError(error), undefined);
        }
        controller.error(error);
        return;
      }
      try {
        if (step.done) {
          end();
          controller.close();
          return;
        }
        safely("stream-item", () => observer.onPart(step.value), undefined);
        if (safely("stream-item", () => observer.isLast(step.value), false)) end();
      } catch (error) {
        // A guard trip: the consumer gets it instead of the part that completed the call.
        controller.error(error);
        void reader.cancel(error).catch(() => undefined);
        return;
      }
      controller.enqueue(step.value);
    },
    async cancel(reason) {
      // The consumer stopped reading: record what was seen. A guard it trips ends
      // the session (its next call throws); it is not thrown into the cancel.
      safely(
        "stream-early-end",
        () => {
          try {
            end();
          } catch (error) {
            if (!(error instanceof AgentCanaryGuardError)) throw error;
          }
        },
        undefined,
      );
      await reader.cancel(reason);
    },
  });
}
