// The CLI side of the contracts: one exit-code table, one user-error class, one --json emit and one
// zod-issue formatter for every agent-canary command. A subpath (`@agent-canary/conventions/cli`) so
// the agent-side packages never load it; no commander import (structural types instead).
export { EXIT_CODES, EXIT_CODE_MEANINGS, exitCodesHelp, exitCodesTable, exitCodeOf, isCommanderUsageError, tableExitCode, type CommanderErrorLike, type ExitCode, type ExitCodeName } from "./exit-codes.js";
export { CliError, usageError } from "./cli-error.js";
export { cliIo, emit, processIo, type CliIo, type TextSink } from "./cli-io.js";
export { flagIssueMessage, flagName, parseFlags, type FlagNames } from "./flag-issues.js";
export { describeFailure, runCommand, type ErrorReporter, type UserErrorClass } from "./run-command.js";
