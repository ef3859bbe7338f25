/**
 * What kind of failure a Redis command met, for StoreUnavailableError's message and `code`,
 * never naming the server's address (it can carry credentials in a URL):
 * - a refusal by Redis is named by its error code, the reply's first word (OOM, READONLY,
 *   WRONGTYPE, BUSY, LOADING, ...); a reply without one (a script's own text) is `error`;
 * - ioredis's own failures: `timed out` (commandTimeout passed), `connection closed`,
 *   MaxRetriesPerRequestError (no connection within the retry);
 * - a socket error by its code (ECONNREFUSED, ECONNRESET, ...).
 */
export function errorKind(error: unknown): string {
  if (!(error instanceof Error)) return "error";
  const code = (error as NodeJS.ErrnoException).code;
  if (code) return code;
  // \b: a sentence-cased reply ("Oops, ...") has no code; its capital is not one.
  if (error.name === "ReplyError") return /^[A-Z]+\b/.exec(error.message)?.[0] ?? "error";
  if (error.message === "Command timed out") return "timed out";
  if (error.message === "Connection is closed.") return "connection closed";
  return error.name === "Error" ? "error" : error.name;
}
