/** Where the shadow tells of trouble. Plug in pino or the app's logger; the default writes warnings to stderr. */
export interface ShadowLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const stderrLogger: ShadowLogger = {
  info: () => undefined,
  warn: (message, fields) => {
    process.stderr.write(`[agent-canary/shadow] ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}\n`);
  },
};
