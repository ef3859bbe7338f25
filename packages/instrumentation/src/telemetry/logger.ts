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

/**
 * Logs a warning once per key, so a recurring condition does not flood the
 * logs. Keys are bounded: an agent whose prompts vary per call (a date in the
 * system prompt) would otherwise mint a new key, and a new line, on every call.
 */
export class OnceLogger {
  private readonly seen = new Set<string>();
  constructor(
    readonly logger: Logger,
    private readonly maxKeys = 1_000,
  ) {}

  warnOnce(key: string, message: string): void {
    if (this.seen.has(key)) return;
    if (this.seen.size >= this.maxKeys) {
      if (this.seen.size === this.maxKeys) {
        this.seen.add("\u0000full");
        this.logger.warn(`${this.maxKeys} distinct warnings logged; further new ones are suppressed (the metrics still count them)`);
      }
      return;
    }
    this.seen.add(key);
    this.logger.warn(message);
  }

  /** Allow the warning for `key` again (the condition cleared and may come back). */
  forget(key: string): void {
    this.seen.delete(key);
  }
}
