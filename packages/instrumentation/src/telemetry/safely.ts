import type { OnceLogger } from "./logger.js";
import type { Instruments } from "./metrics.js";

export interface Safely {
  /** Runs instrumentation code; if it throws, reports the error and returns `fallback`. */
  <T>(component: string, body: () => T, fallback: T): T;
  /** Counts and logs (once per component) an error caught elsewhere in instrumentation code. */
  report(component: string, error: unknown): void;
}

/**
 * Instrumentation failures never reach the agent: each is counted in
 * `instrumentation_errors{component}` and logged once per component.
 */
export function makeSafely(instruments: Instruments, log: OnceLogger): Safely {
  const report = (component: string, error: unknown): void => {
    try {
      instruments.record("instrumentationErrors", 1, { component });
      log.warnOnce(
        `instrumentation-error:${component}`,
        `internal error in ${component} (the agent's call went on; further errors here are counted in agent_canary_instrumentation_errors_total): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    } catch {
      // Counting failed too: there is nothing safer left to do.
    }
  };
  const safely = <T>(component: string, body: () => T, fallback: T): T => {
    try {
      return body();
    } catch (error) {
      report(component, error);
      return fallback;
    }
  };
  return Object.assign(safely, { report });
}
