import { createRequire } from "node:module";
import { EXIT_CODES, exitCodesHelp, tableExitCode } from "@agent-canary/conventions/cli";
import { Command, CommanderError } from "commander";

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

/**
 * Every exit goes through here as a thrown CommanderError with the shared
 * table's code (commander's own usage errors say 1; the table says 2), so `bin`
 * exits once, after the command's cleanup, and an embedding program can catch it.
 */
function exitWithTableCode(error: CommanderError): never {
  throw new CommanderError(tableExitCode(error), error.code, error.message);
}

/** The `agent-canary` program with no commands yet: name, description, version, exit codes and error help. */
export function programShell(): Command {
  return new Command("agent-canary")
    .description(
      "Safe rollouts for LLM agents: gates as code, alert-driven rollback, rollout control and shadow reports.\n" +
        "Start with `agent-canary demo`; every command has --help.",
    )
    .version(version, "-v, --version")
    .showSuggestionAfterError(true)
    .exitOverride(exitWithTableCode)
    .addHelpText("after", `\n${exitCodesHelp()}\n(the same for every command; --json, where a command has it, prints one JSON document on stdout)\n`);
}

/** The exit code a failed run of the program ends the process with. */
export function exitCodeOfFailure(error: unknown): number {
  return error instanceof CommanderError ? error.exitCode : EXIT_CODES.failed;
}
