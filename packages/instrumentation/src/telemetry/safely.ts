import type { Instruments } from "./metrics.js";
import type { OnceLogger } from "./logger.js";

/**
 * Runs instrumentation code so that its failure never reaches the agent: the
 * exception is counted in `instrumentation_errors` and logged once per component.
 */
export function makeSafely(instruments: Instruments, log: OnceLogger) {
  return function safely<T>(component: string, body: () => T, fallback: T): T {
    try {
      return body();
    } catch (error) {
      try {
        instruments.record("instrumentationErrors", 1, { component });
        log.warnOnce(
          `instrumentation-error:${component}`,
          `internal error in ${component} (the agent's call went on; further errors here are counted in agent_canary_instrumentation_errors_total): ${error instanceof Error ? error.stack ?? error.message : String(error)}`,
        );
      } catch {
        // Counting failed too: there is nothing safer left to do.
      }
      return fallback;
    }
  };
}

export type Safely = ReturnType<typeof makeSafely>;
