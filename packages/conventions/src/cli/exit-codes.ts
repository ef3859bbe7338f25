/**
 * The exit codes of every agent-canary command, one table for gate-rules,
 * rollout, shadow and the demo: a script can tell "fix the command line" from
 * "the work failed" from "the check ran and says no" without knowing the command.
 */
export const EXIT_CODES = {
  /** Done (also "unchanged": the state already was what was asked). */
  ok: 0,
  /** The command line was fine but the work failed: a file missing or invalid, the store unreachable, a transition refused. Nothing changed. */
  failed: 1,
  /** The command line is wrong: unknown flag, missing or malformed value, flags that contradict. Nothing ran. */
  usage: 2,
  /** The command ran and its check says no (e.g. `shadow report --check`: not ready for a canary). */
  checkFailed: 3,
  /** Stopped by Ctrl-C or SIGTERM; what was done so far is kept. */
  interrupted: 130,
} as const;

export type ExitCodeName = keyof typeof EXIT_CODES;
export type ExitCode = (typeof EXIT_CODES)[ExitCodeName];

/** One line per code, as `--help` and the command reference print them. */
export const EXIT_CODE_MEANINGS: Readonly<Record<ExitCodeName, string>> = {
  ok: "done (or unchanged: the state already was what was asked)",
  failed: "the work failed: a file missing or invalid, the store unreachable, a change refused; nothing changed",
  usage: "the command line is wrong: unknown flag, missing or malformed value, flags that contradict; nothing ran",
  checkFailed: "the command ran and its check says no (shadow report --check: not ready for a canary)",
  interrupted: "stopped by Ctrl-C or SIGTERM; what was done so far is kept",
};

/** The exit-code table as help text: `Exit codes:` and one indented line per code. */
export function exitCodesHelp(names: readonly ExitCodeName[] = Object.keys(EXIT_CODES) as ExitCodeName[]): string {
  const lines = names.map((name) => `  ${String(EXIT_CODES[name]).padStart(3)}  ${EXIT_CODE_MEANINGS[name]}`);
  return `Exit codes:\n${lines.join("\n")}`;
}

/** What commander's own errors are: all of them are mistakes on the command line. */
const COMMANDER_USAGE_ERRORS = new Set([
  "commander.unknownOption",
  "commander.unknownCommand",
  "commander.missingArgument",
  "commander.optionMissingArgument",
  "commander.missingMandatoryOptionValue",
  "commander.invalidArgument",
  "commander.excessArguments",
  "commander.conflictingOption",
]);

/** The fields of commander's CommanderError this module reads (no commander import: see README). */
export interface CommanderErrorLike {
  readonly exitCode: number;
  readonly code: string;
}

/** True for commander's own command-line errors (unknown flag, missing value...). */
export function isCommanderUsageError(error: CommanderErrorLike): boolean {
  return COMMANDER_USAGE_ERRORS.has(error.code);
}

/** The exit code of the table for an error commander raised: its usage errors are 2 (commander says 1). */
export function exitCodeOf(error: CommanderErrorLike): number {
  return isCommanderUsageError(error) ? EXIT_CODES.usage : error.exitCode;
}
