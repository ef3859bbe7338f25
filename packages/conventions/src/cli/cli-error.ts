import { EXIT_CODES, type ExitCode } from "./exit-codes.js";

/**
 * A user error: the message names the flag, file or field and the fix, and the
 * CLI prints it as one line (`error: <message>`) and exits with `exitCode`:
 * 1 by default (the work failed), 2 for a mistake on the command line, 3 for a
 * check that says no. Anything that is not a CliError (or a known user error,
 * see runCommand) is a bug and keeps its stack.
 */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode = EXIT_CODES.failed) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A mistake on the command line (a malformed flag value, flags that contradict): exit 2. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_CODES.usage);
}
