import { ZodError } from "zod";
import { firstIssue } from "../field-messages.js";
import { CliError } from "./cli-error.js";
import { EXIT_CODES } from "./exit-codes.js";

/** The one method of commander's Command this module calls (no commander import: see README). */
export interface ErrorReporter {
  error(message: string, options: { exitCode: number; code: string }): never;
}

/** An error class a package treats as a user error (exit 1): its message already names the field and the fix. */
export type UserErrorClass = abstract new (...args: never[]) => Error;

/** Node's own file errors (ENOENT, EACCES...) carry the path: a user error, not a bug. */
function fileProblem(error: unknown): string | undefined {
  const { code, path } = error as { code?: unknown; path?: unknown };
  if (typeof code !== "string" || typeof path !== "string" || !/^E[A-Z]+$/.test(code)) return undefined;
  const what = code === "ENOENT" ? "no such file or directory" : code === "EACCES" || code === "EPERM" ? "permission denied" : "cannot use it";
  return `${path}: ${what} (${code})`;
}

/** The exit code and the one line for a known failure, or undefined for a bug. */
export function describeFailure(error: unknown, userErrors: readonly UserErrorClass[] = []): { exitCode: number; message: string } | undefined {
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message };
  if (userErrors.some((type) => error instanceof type)) return { exitCode: EXIT_CODES.failed, message: (error as Error).message };
  if (error instanceof ZodError) {
    // A schema a file or the state was checked with: the path names the field.
    const { field, message } = firstIssue(error);
    return { exitCode: EXIT_CODES.failed, message: `${field || "input"}: ${message}` };
  }
  const file = fileProblem(error);
  return file === undefined ? undefined : { exitCode: EXIT_CODES.failed, message: file };
}

/**
 * Runs a command's body: a CliError, a package's own user errors and file
 * errors become one line `error: <message>` and the table's exit code
 * (through commander, so an embedding program's exitOverride sees it);
 * anything else is a bug and is rethrown with its stack.
 */
export async function runCommand(command: ErrorReporter, body: () => Promise<void>, userErrors: readonly UserErrorClass[] = []): Promise<void> {
  try {
    await body();
  } catch (error) {
    const failure = describeFailure(error, userErrors);
    if (!failure) throw error;
    command.error(`error: ${failure.message}`, { exitCode: failure.exitCode, code: `agent-canary.exit-${failure.exitCode}` });
  }
}
