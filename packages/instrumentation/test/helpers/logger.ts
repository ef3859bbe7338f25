import type { Logger } from "@agent-canary/instrumentation";

/** A logger that keeps what it is told, by level, for assertions. */
export function recordingLogger() {
  const lines = { info: [] as string[], warn: [] as string[], error: [] as string[] };
  const logger: Logger = {
    debug: () => undefined,
    info: (m) => lines.info.push(m),
    warn: (m) => lines.warn.push(m),
    error: (m) => lines.error.push(m),
  };
  return { logger, ...lines };
}
