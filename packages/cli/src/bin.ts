#!/usr/bin/env node
import { CommanderError } from "commander";
import { exitCodeOfFailure } from "./startup/shell.js";
import { runCli } from "./startup/lazy-program.js";

// The lazy program: a command loads its package only when it runs (see startup/).
runCli(process.argv).catch((error: unknown) => {
  // A CommanderError was already reported (one line naming the flag or file, or the help asked for).
  // Anything else is a bug: its stack says where.
  if (!(error instanceof CommanderError)) process.stderr.write(`agent-canary: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(exitCodeOfFailure(error));
});
