/** Where agent-canary writes its own diagnostics. Defaults to the console with a prefix. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: Logger = {
  debug: () => undefined,
  info: (m) => console.info(`[agent-canary] ${m}`),
  warn: (m) => console.warn(`[agent-canary] ${m}`),
  error: (m) => console.error(`[agent-canary] ${m}`),
};

/** Logs a warning once per key, so a recurring condition does not flood the logs. */
export class OnceLogger {
  private readonly seen = new Set<string>();
  constructor(readonly logger: Logger) {}

  warnOnce(key: string, message: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.logger.warn(message);
  }

  /** Allow the warning for `key` again (the condition cleared and may come back). */
  forget(key: string): void {
    this.seen.delete(key);
  }
}
