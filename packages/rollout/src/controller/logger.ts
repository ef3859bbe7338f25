/** The logging the controller needs; pino and fastify's logger fit it. */
export interface ProgressLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** One JSON line per event on stderr, pino-style, so logs from the receiver and controller read alike. */
export const stderrLogger: ProgressLogger = {
  info: (fields, msg) => process.stderr.write(`${JSON.stringify({ level: "info", time: Date.now(), ...fields, msg })}\n`),
  warn: (fields, msg) => process.stderr.write(`${JSON.stringify({ level: "warn", time: Date.now(), ...fields, msg })}\n`),
  error: (fields, msg) => process.stderr.write(`${JSON.stringify({ level: "error", time: Date.now(), ...fields, msg })}\n`),
};
