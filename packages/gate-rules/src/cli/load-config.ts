import { CliError } from "@agent-canary/conventions/cli";
import { GatesConfigError, loadGatesConfig } from "../config/load.js";
import type { GatesConfig } from "../config/resolve.js";

/**
 * A gates config named on the command line. An invalid config stays a
 * GatesConfigError (every problem with file:line); a file that cannot be read
 * becomes a CliError naming the flag, so each command reports both the same way.
 */
export async function readGatesConfigFlag(flag: string, path: string): Promise<GatesConfig> {
  try {
    return await loadGatesConfig(path);
  } catch (error) {
    if (error instanceof GatesConfigError) throw error;
    throw new CliError(`${flag ? `${flag} ` : ""}${error instanceof Error ? error.message : String(error)}`);
  }
}

/** An invalid config as one CliError: each problem on its own line (file:line: field: message), then what happened. */
function configProblems(error: GatesConfigError): CliError {
  return new CliError(`${error.message}\nnothing was written; fix the config and run again`);
}

/** Runs `body`, reporting an invalid gates config as every command reports a user error (exit 1, each problem on a line). */
export async function reportingConfigProblems<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof GatesConfigError) throw configProblems(error);
    throw error;
  }
}
